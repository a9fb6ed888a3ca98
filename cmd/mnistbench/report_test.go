package main

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// fullReport returns a report with every kind of field set, finite.
func fullReport() report {
	return report{
		CPU: "AMD EPYC <&>", Kernels: "avx2", Threads: 2, PeakGFLOPS: 95.5, Data: "synthetic", Train: 100, Test: 10,
		Inputs: 784, Network: "784-8-1 sigmoid", Loss: "bce", Params: 6289, Optimizer: "GD(lr=0.1)", Batch: 100,
		Schedule: "warmup:5,cosine:25:0", LastLR: 0.05, WeightDecay: 1e-4, Dropout: 0.2, ResumedFrom: "ck.model", StepsBefore: 10,
		Validation: &validation{Samples: 20, Every: 5, Validations: 2, Loss: 0.6, Accuracy: 0.7, BestLoss: 0.55, BestAccuracy: 0.75, BestStep: 12,
			Patience: 1, StoppedEarly: true, RestoreBest: true, Restored: true},
		Saved: "ck.model", ONNX: "net.onnx",
		Steps: 3, PlannedSteps: 14, Interrupted: true, Epochs: 3, Prepacked: []string{"X as op(A)"},
		SparseMode: "auto", Sparse: true, Density: 0.208,
		ForwardSeconds: 1e-7, BackwardSeconds: 2.5, UpdateSeconds: 1e21, TrainSeconds: 3, SamplesPerSec: 1e6, GFLOPS: 12.25,
		PeakShare: 0.128, LastStepLoss: 0.69, TrainLoss: 0.5, TrainAccuracy: 0.75, TestLoss: 0.25, TestAccuracy: 1,
		TargetAccuracy: 0.9, TargetStep: 2, TargetSeconds: 1.5,
		Compare: []row{{Name: "gofma", Threads: 2, Steps: 3, MsPerStep: 10, GFLOPS: 80, TimeVsGofma: 1, Loss: 0.5}},
		Plot:    "loss.png", LoadSeconds: 0.1, TotalSeconds: 4, Losses: []float64{1, 2},
		TestCurve: []point{{Step: 2, Accuracy: 0.5}}, EpochCurve: []epochLoss{{1, 2}},
	}
}

// TestAppendJSON checks that appendJSON writes what encoding/json writes
// when every value is finite: names, omitempty, "-", nested rows, nil and
// empty slices, HTML escapes and float formats.
func TestAppendJSON(t *testing.T) {
	full := fullReport()
	full.Prepacked = []string{}
	for _, r := range []report{{}, fullReport(), full} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, reflect.ValueOf(r))
		if err != nil || string(got) != string(want) {
			t.Errorf("appendJSON:\n%s, %v\nencoding/json:\n%s", got, err, want)
		}
	}
}

// TestWriteJSONNonFinite checks that writeJSON writes NaN and infinite
// values, nested ones too, as null and lists them in non_finite, with
// why: divergence for losses and accuracies when training diverged.
func TestWriteJSONNonFinite(t *testing.T) {
	r := fullReport()
	r.Diverged = "training diverged: the loss became +Inf at step 4"
	r.LastStepLoss, r.TrainLoss, r.TestAccuracy = math.Inf(1), math.NaN(), math.NaN()
	r.Compare = append(r.Compare, row{Name: "gonum", TimeVsGofma: math.Inf(-1), Loss: math.NaN()})
	r.Losses = []float64{math.NaN()} // not in the JSON
	var b strings.Builder
	if err := r.writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("not one line: %q", out)
	}
	for _, want := range []string{`"last_step_loss":null,"train_loss":null,"train_accuracy":0.75,"test_loss":0.25,"test_accuracy":null,`,
		`"time_vs_gofma":null,"loss":null}`, `"diverged":"training diverged: the loss became +Inf at step 4",`,
		`"non_finite":["last_step_loss: +Inf (training diverged)","train_loss: NaN (training diverged)",` +
			`"test_accuracy: NaN (training diverged)","compare[1].time_vs_gofma: -Inf (could not be computed)",` +
			`"compare[1].loss: NaN (training diverged)"]}`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Errorf("not JSON: %v", err)
	}
	if r.NonFinite != nil {
		t.Errorf("writeJSON changed the report: NonFinite %q", r.NonFinite)
	}

	// Validation values that are not finite are nested; with no
	// validation run they are NaN, and say why.
	r = fullReport()
	r.Validation.Loss, r.Validation.BestAccuracy = math.Inf(1), math.NaN()
	b.Reset()
	if err := r.writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	if want := `"validation":{"samples":20,"every":5,"validations":2,"loss":null,"accuracy":0.7,"best_loss":0.55,"best_accuracy":null,`; !strings.Contains(b.String(), want) {
		t.Errorf("JSON lacks %s:\n%s", want, b.String())
	}
	if want := `"non_finite":["validation.loss: +Inf (could not be computed)","validation.best_accuracy: NaN (could not be computed)"]`; !strings.Contains(b.String(), want) {
		t.Errorf("JSON lacks %s:\n%s", want, b.String())
	}
	nan := math.NaN()
	r.Validation = &validation{Samples: 20, Loss: nan, Accuracy: nan, BestLoss: nan, BestAccuracy: nan}
	if got := r.nonFinite(); len(got) != 4 || got[0] != "validation.loss: NaN (no validation ran)" {
		t.Errorf("nonFinite with no validation run: %q", got)
	}

	r = fullReport()
	r.PeakShare = math.NaN()
	if got := r.nonFinite(); len(got) != 1 || got[0] != "peak_share: NaN (could not be computed)" {
		t.Errorf("nonFinite of a run that did not diverge: %q", got)
	}
}

// TestWriteTextNonFinite checks that the text report says that training
// diverged and which values are not finite.
func TestWriteTextNonFinite(t *testing.T) {
	r := fullReport()
	r.Interrupted = false
	r.Diverged, r.CompareSkipped, r.Compare = "training diverged: the loss became +Inf at step 4", true, nil
	r.LastStepLoss, r.TestLoss = math.Inf(1), math.NaN()
	var b strings.Builder
	if err := r.writeText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"diverged    the loss became +Inf at step 4; -compare skipped\n" +
			"not finite  last_step_loss: +Inf (training diverged)\n" +
			"            test_loss: NaN (training diverged)\n",
		"loss        0.5000 on the training set (last step's batch: +Inf)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}

// TestWriteTextTraining checks the text report's lines of a training run:
// resumed, learning rate, regularisation, validation, early stop, model
// files.
func TestWriteTextTraining(t *testing.T) {
	r := fullReport()
	var b strings.Builder
	if err := r.writeText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"            100 training (20 more held out for validation) and 10 test samples of 784 inputs",
		"\nresumed     from ck.model after step 10: this run took steps 11 to 13\n",
		"\nlr          0.05 at the last step, schedule warmup:5,cosine:25:0\n",
		"\nregularize  weight decay 0.0001, dropout 0.2\n",
		"\ninterrupted after 13 of 14 steps\n",
		"\nvalidation  20 samples held out, validated every 5 steps\n" +
			"            last: loss 0.6000, accuracy 70.00% (2 validations)\n" +
			"            best: loss 0.5500, accuracy 75.00% at step 12\n" +
			"stopped     early at step 13 of 14: 1 validations without a lower loss (-patience 1)\n" +
			"restored    the weights of step 12, the best validation (-restore-best); the loss and accuracy above are theirs\n",
		"\nsaved       ck.model, with its training state: -resume ck.model continues it\nonnx        net.onnx\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
	r = report{Train: 10, Schedule: "constant", LastLR: 0.1, Validation: &validation{Samples: 2}}
	b.Reset()
	if err := r.writeText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"validated at each epoch's end\n            no validation ran\n", "\nlr          0.1 at the last step, schedule constant\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
	for _, no := range []string{"resumed", "regularize", "stopped", "saved", "onnx"} {
		if strings.Contains(b.String(), "\n"+no+" ") {
			t.Errorf("text report of a plain run has a %s line:\n%s", no, b.String())
		}
	}
}

// TestWriteTextFirstLayer checks the line that says which path the first
// layer took, with X's density, and why when the flag chose it or auto
// did not take the sparse path.
func TestWriteTextFirstLayer(t *testing.T) {
	for _, c := range []struct {
		mode    string
		sparse  bool
		density float64
		want    string
	}{
		{"auto", true, 0.208, "first layer sparse (X density 20.8%)\n"},
		{"auto", false, 0.9, "first layer dense (X density 90.0%, over the 30% of -sparse auto)\n"},
		{"auto", false, 0.2, "first layer dense (X density 20.0%, batches under the 256 of -sparse auto)\n"},
		{"on", true, 0.9, "first layer sparse (X density 90.0%, -sparse on)\n"},
		{"off", false, 0.208, "first layer dense (X density 20.8%, -sparse off)\n"},
	} {
		r := fullReport()
		r.SparseMode, r.Sparse, r.Density = c.mode, c.sparse, c.density
		var b strings.Builder
		if err := r.writeText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "\n"+c.want) {
			t.Errorf("-sparse %s: text report lacks %q:\n%s", c.mode, c.want, b.String())
		}
	}
	var b strings.Builder
	r := fullReport()
	if err := r.writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	if want := `"sparse_mode":"auto","sparse":true,"density":0.208,`; !strings.Contains(b.String(), want) {
		t.Errorf("JSON lacks %s:\n%s", want, b.String())
	}
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct{ n int }

// Write takes what fits in the n bytes left and fails if p does not.
func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteTextError checks that writeText returns the first write error.
func TestWriteTextError(t *testing.T) {
	r := fullReport()
	if err := r.writeText(&failingWriter{n: 100}); err == nil || err.Error() != "disk full" {
		t.Errorf("writeText to a failing writer: %v, want disk full", err)
	}
}
