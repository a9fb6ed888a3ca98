package main

import (
	"encoding/json"
	"errors"
	"math"
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

// TestJfloatJSON checks that a jfloat's JSON is encoding/json's for its
// float64 in every format that takes, and null for NaN and ±Inf, alone,
// as a field (omitempty too) and in a slice.
func TestJfloatJSON(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -2.5, 0.1, 1.0 / 3, float64(float32(0.1)), 1e-7, 1e-6,
		1e20, 1e21, -1e21, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := json.Marshal(jfloat(f)); err != nil || string(got) != string(want) {
			t.Errorf("jfloat(%v): %s, %v; want %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		v := struct {
			A jfloat   `json:"a"`
			B jfloat   `json:"b,omitempty"`
			C []jfloat `json:"c"`
			D jfloat   `json:"d,omitempty"`
		}{A: jfloat(f), B: jfloat(f), C: []jfloat{1, jfloat(f)}}
		const want = `{"a":null,"b":null,"c":[1,null]}`
		if got, err := json.Marshal(v); err != nil || string(got) != want {
			t.Errorf("%v: %s, %v; want %s", f, got, err, want)
		}
	}
}

// TestWriteJSON checks writeJSON's line of an empty and a full report
// with every value finite: names, order, omitempty, "-", nested rows,
// null slices, HTML escapes and float formats.
func TestWriteJSON(t *testing.T) {
	for _, c := range []struct {
		r    report
		want string
	}{
		{report{}, `{"cpu":"","kernels":"","threads":0,"peak_gflops":0,"data":"","train_samples":0,"test_samples":0,"inputs":0,"network":"","loss":"","params":0,"optimizer":"","batch":0,"schedule":"","last_lr":0,"weight_decay":0,"dropout":0,"steps":0,"planned_steps":0,"interrupted":false,"epochs":0,"prepacked":null,"sparse_mode":"","sparse":false,"density":0,"forward_s":0,"backward_s":0,"update_s":0,"other_s":0,"train_s":0,"eval_s":0,"samples_per_s":0,"gflops":0,"peak_share":0,"last_step_loss":0,"train_loss":0,"train_accuracy":0,"test_loss":0,"test_accuracy":0,"load_s":0,"total_s":0}`},
		{fullReport(), `{"cpu":"AMD EPYC \u003c\u0026\u003e","kernels":"avx2","threads":2,"peak_gflops":95.5,"data":"synthetic","train_samples":100,"test_samples":10,"inputs":784,"network":"784-8-1 sigmoid","loss":"bce","params":6289,"optimizer":"GD(lr=0.1)","batch":100,"schedule":"warmup:5,cosine:25:0","last_lr":0.05,"weight_decay":0.0001,"dropout":0.2,"resumed_from":"ck.model","steps_before":10,"steps":3,"planned_steps":14,"interrupted":true,"epochs":3,"prepacked":["X as op(A)"],"sparse_mode":"auto","sparse":true,"density":0.208,"forward_s":1e-7,"backward_s":2.5,"update_s":1e+21,"other_s":0,"train_s":3,"eval_s":0,"samples_per_s":1000000,"gflops":12.25,"peak_share":0.128,"last_step_loss":0.69,"train_loss":0.5,"train_accuracy":0.75,"test_loss":0.25,"test_accuracy":1,"validation":{"samples":20,"every":5,"validations":2,"loss":0.6,"accuracy":0.7,"best_loss":0.55,"best_accuracy":0.75,"best_step":12,"patience":1,"stopped_early":true,"restore_best":true,"restored":true},"target_accuracy":0.9,"target_step":2,"target_s":1.5,"compare":[{"name":"gofma","threads":2,"steps":3,"sparse":false,"ms_per_step":10,"gflops":80,"time_vs_gofma":1,"loss":0.5}],"plot":"loss.png","saved":"ck.model","onnx":"net.onnx","load_s":0.1,"total_s":4,"test_curve":[{"step":2,"accuracy":0.5}]}`},
	} {
		var b strings.Builder
		if err := c.r.writeJSON(&b); err != nil || b.String() != c.want+"\n" {
			t.Errorf("writeJSON: %v\n%s\nwant\n%s", err, b.String(), c.want)
		}
	}
}

// TestWriteJSONNonFinite checks that writeJSON writes NaN and infinite
// values, nested ones too, as null and lists them in non_finite, with
// why: divergence for losses and accuracies when training diverged.
func TestWriteJSONNonFinite(t *testing.T) {
	r := fullReport()
	r.Diverged = "training diverged: the loss became +Inf at step 4"
	r.LastStepLoss, r.TrainLoss, r.TestAccuracy = jfloat(math.Inf(1)), jfloat(math.NaN()), jfloat(math.NaN())
	r.Compare = append(r.Compare, row{Name: "gonum", TimeVsGofma: jfloat(math.Inf(-1)), Loss: jfloat(math.NaN())})
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
	r.Validation.Loss, r.Validation.BestAccuracy = jfloat(math.Inf(1)), jfloat(math.NaN())
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
	nan := jfloat(math.NaN())
	r.Validation = &validation{Samples: 20, Loss: nan, Accuracy: nan, BestLoss: nan, BestAccuracy: nan}
	if got := r.nonFinite(); len(got) != 4 || got[0] != "validation.loss: NaN (no validation ran)" {
		t.Errorf("nonFinite with no validation run: %q", got)
	}

	r = fullReport()
	r.PeakShare = jfloat(math.NaN())
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
	r.LastStepLoss, r.TestLoss = jfloat(math.Inf(1)), jfloat(math.NaN())
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
		density jfloat
		want    string
	}{
		{"auto", true, 0.208, "first layer sparse (X density 20.8%)\n"},
		{"auto", false, 0.9, "first layer dense (X density 90.0%, over the 30% of -sparse auto)\n"},
		{"auto", false, 0.2, "first layer dense (X density 20.0%, batches under the 128 of -sparse auto)\n"},
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
