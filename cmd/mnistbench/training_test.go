package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofma/gofma/mlp"
)

// jsonReport runs the command in this process with args and -json and
// returns its report.
func jsonReport(t *testing.T, args ...string) report {
	t.Helper()
	out, _, err := runArgs(t, append(args, "-json")...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%q: stdout is not one JSON object: %v\n%s", args, err, out)
	}
	return r
}

// TestRunResumeBitwise trains 30 steps at once, and 13 steps saved with
// -save then continued to 30 with -resume (updating the same file), and
// checks that both end with the same model file, byte for byte: the
// weights, the optimizer's moments and the place in the data order.
// Training takes every path a checkpoint must carry: mini-batches whose
// epochs end mid-way through the first part, AdamW, dropout, weight decay,
// a warm-up and cosine schedule (cosine alone in the whole run and the
// second part, over 30 − 5 steps; given whole to the first), validation
// data. The second part's report counts only its own steps.
func TestRunResumeBitwise(t *testing.T) {
	dir := t.TempDir()
	whole, ck := filepath.Join(dir, "whole.model"), filepath.Join(dir, "ck.model")
	common := []string{"-synthetic", "-hidden", "8", "-opt", "adamw", "-batch", "1000", "-dropout", "0.2", "-weight-decay", "1e-4", "-val-split", "0.1", "-seed", "7"}
	arg := func(extra ...string) []string { return append(append([]string{}, common...), extra...) }

	r := jsonReport(t, arg("-iters", "30", "-schedule", "warmup:5,cosine", "-save", whole)...)
	if r.Steps != 30 || r.Saved != whole || r.Schedule != "warmup:5,cosine:25:0" || r.ResumedFrom != "" || r.StepsBefore != 0 {
		t.Errorf("whole run: %d steps, saved %q, schedule %q, resumed from %q after %d", r.Steps, r.Saved, r.Schedule, r.ResumedFrom, r.StepsBefore)
	}
	r = jsonReport(t, arg("-iters", "13", "-schedule", "warmup:5,cosine:25", "-save", ck)...)
	if r.Steps != 13 || r.Saved != ck {
		t.Fatalf("first part: %d steps, saved %q", r.Steps, r.Saved)
	}
	r = jsonReport(t, arg("-iters", "30", "-schedule", "warmup:5,cosine", "-resume", ck, "-save", ck)...)
	if r.Steps != 17 || r.StepsBefore != 13 || r.PlannedSteps != 30 || r.ResumedFrom != ck || r.Saved != ck {
		t.Errorf("second part: %d steps after %d of %d, resumed from %q, saved %q; want 17 after 13 of 30", r.Steps, r.StepsBefore, r.PlannedSteps, r.ResumedFrom, r.Saved)
	}
	// Steps 14 to 30 of 1,000 samples each, but for step 22, which ends
	// the second epoch of 10,145 samples with the last 145.
	if samples := float64(r.Epochs) * float64(r.Train); r.Train != 10145 || math.Abs(samples-16145) > 1e-6 {
		t.Errorf("second part: %.6g samples of %d (%v epochs), want 16145 of 10145", samples, r.Train, r.Epochs)
	}
	if want := 16145 / float64(r.TrainSeconds); math.Abs(float64(r.SamplesPerSec)-want) > 1e-9*want {
		t.Errorf("second part: %v samples/s, want this run's 16145 samples in %v s", r.SamplesPerSec, r.TrainSeconds)
	}
	a, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		msg := "the training states differ"
		na, erra := mlp.LoadFile(whole)
		nb, errb := mlp.LoadFile(ck)
		if erra == nil && errb == nil {
			for l := range na.NumLayers() {
				wa, wb := na.Weights(l).RawMatrix().Data, nb.Weights(l).RawMatrix().Data
				for i := range wa {
					if math.Float32bits(wa[i]) != math.Float32bits(wb[i]) {
						msg = "the weights differ"
					}
				}
			}
		}
		t.Errorf("30 steps at once and 13 + 17 with -resume end with different model files (%d and %d bytes): %s", len(a), len(b), msg)
	}
}

// TestRunResumeChecks checks what -resume refuses, before training, in
// this process: a file that is not a model (the error matches
// mlp.ErrBadModelFile), one whose network does not match -hidden, -act or
// -digits, a weights-only file, and one whose training already ran the
// steps asked for; and, after the data is read, one saved with another
// optimizer.
func TestRunResumeChecks(t *testing.T) {
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(file("junk"), []byte("not a model"), 0o666); err != nil {
		t.Fatal(err)
	}
	net, err := mlp.New(mlp.Config{Inputs: pixels, Hidden: []mlp.Layer{{Units: 4, Act: mlp.Tanh}}, Outputs: 1, Loss: mlp.BinaryCrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.SaveFile(file("weights.model")); err != nil {
		t.Fatal(err)
	}
	r := jsonReport(t, "-synthetic", "-hidden", "4", "-act", "tanh", "-opt", "adam", "-batch", "2000", "-iters", "3", "-save", file("ck.model"))
	if r.Saved == "" {
		t.Fatal("no checkpoint saved")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-resume", file("junk")}, "-resume " + file("junk") + ": not a gofma model file"},
		{[]string{"-resume", file("ck.model"), "-hidden", "8"}, "-hidden 8 with -resume " + file("ck.model") + ": the file's network is 784-4-1 tanh, with hidden layers 4"},
		{[]string{"-resume", file("ck.model"), "-hidden", ""}, `-hidden "" with -resume ` + file("ck.model") + ": the file's network is 784-4-1 tanh"},
		{[]string{"-resume", file("ck.model"), "-act", "relu"}, "-act relu with -resume " + file("ck.model") + ": the file's network is 784-4-1 tanh"},
		{[]string{"-resume", file("ck.model"), "-digits", "all"}, "does not tell 10 digits apart, which takes 10 outputs and crossentropy loss"},
		{[]string{"-resume", file("weights.model")}, "-resume " + file("weights.model") + ": the file holds no training steps to continue (a weights-only model): train without -resume"},
		{[]string{"-resume", file("ck.model"), "-iters", "3"}, "its training is 3 steps in, and -iters and -epochs ask for 3, counted from the start of training"},
		{[]string{"-resume", file("ck.model"), "-opt", "sgd"}, "-resume " + file("ck.model") + ": the training state is Adam's"},
		{[]string{"-resume", file("ck.model"), "-val-split", "0.5"}, "-resume " + file("ck.model") + ": the training state is of 11272 samples"},
	} {
		args := append([]string{"-synthetic", "-iters", "5", "-opt", "adam", "-batch", "2000"}, c.args...)
		out, _, err := runArgs(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || out != "" {
			t.Errorf("%q: %v, report %q; want one line containing %q and no report", c.args, err, out, c.want)
		}
		if c.args[1] == file("junk") && !errors.Is(err, mlp.ErrBadModelFile) {
			t.Errorf("%q: %v does not match mlp.ErrBadModelFile", c.args, err)
		}
	}
}

// TestMainResume runs -save and -resume as a user does, in processes of
// their own: a bad file exits with status 1 and one line, and a good one
// continues, its text report saying from where.
func TestMainResume(t *testing.T) {
	dir := t.TempDir()
	ck, junk := filepath.Join(dir, "ck.model"), filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("GOFMAMLP but nothing more"), 0o666); err != nil {
		t.Fatal(err)
	}
	args := []string{"-synthetic", "-hidden", "4", "-opt", "sgd", "-batch", "2000", "-iters", "2", "-save", ck}
	if _, stderr, status := runMain(t, nil, args...); status != 0 {
		t.Fatalf("%q: exit %d\n%s", args, status, stderr)
	}
	args = []string{"-synthetic", "-opt", "sgd", "-batch", "2000", "-iters", "4", "-resume", ck, "-save", ck}
	stdout, stderr, status := runMain(t, nil, args...)
	if status != 0 {
		t.Fatalf("%q: exit %d\n%s", args, status, stderr)
	}
	for _, want := range []string{"network     784-4-1 sigmoid,", "2 steps (", "resumed     from " + ck + " after step 2: this run took steps 3 to 4\n",
		"saved       " + ck + ", with its training state: -resume " + ck + " continues it\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("%q: report lacks %q:\n%s", args, want, stdout)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-resume", junk}, "-resume " + junk + ": truncated"},
		{[]string{"-resume", ck, "-hidden", "5"}, "-hidden 5 with -resume " + ck + ": the file's network is 784-4-1 sigmoid"},
		{[]string{"-resume", ck, "-opt", "adam"}, "-resume " + ck + ": the training state is SGD's"},
	} {
		args := append([]string{"-synthetic", "-iters", "6", "-opt", "sgd", "-batch", "2000", "-json"}, c.args...)
		stdout, stderr, status := runMain(t, nil, args...)
		checkFailure(t, c.args, stderr, status, 1, c.want, true)
		if stdout != "" {
			t.Errorf("%q: wrote %q on stdout, want nothing", c.args, stdout)
		}
	}
}

// TestRunONNX checks that -onnx writes an ONNX model, a protobuf
// ModelProto whose first field is ir_version (field 1, a varint: the byte
// 0x08), and leaves no temporary file beside it.
func TestRunONNX(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.onnx")
	r := jsonReport(t, "-synthetic", "-digits", "all", "-hidden", "4", "-opt", "adam", "-batch", "20000", "-iters", "1", "-onnx", path)
	if r.ONNX != path || r.Saved != "" {
		t.Errorf("report: onnx %q, saved %q; want %s and nothing", r.ONNX, r.Saved, path)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4*r.Params || b[0] != 0x08 {
		t.Errorf("ONNX file of %d bytes (a network of %d parameters), first byte %#x, %v; want at least 4 bytes a parameter, starting 0x08", len(b), r.Params, b[:min(len(b), 1)], err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
		t.Errorf("the folder holds %v (%v), want net.onnx alone", entries, err)
	}
}

// TestRunEarlyStop trains on random labels, which a network can only
// learn by heart, with a rate high enough that the validation loss soon
// rises: -patience 1 stops training at the first validation without a
// lower loss, and -restore-best ends with the weights of the best one,
// whose validation loss the report gives.
func TestRunEarlyStop(t *testing.T) {
	const iters = 2000
	args := []string{"-synthetic", "-hidden", "32", "-opt", "adam", "-lr", "0.01", "-batch", "100", "-iters", "2000",
		"-val-split", "0.1", "-eval-every", "5", "-patience", "1", "-restore-best"}
	r := jsonReport(t, args...)
	v := r.Validation
	if v == nil {
		t.Fatal("no validation in the report")
	}
	if !v.StoppedEarly || !v.Restored || r.Steps >= iters || r.Steps%5 != 0 || v.Validations != r.Steps/5 || v.BestStep != r.Steps-5 {
		t.Errorf("stopped early %v after %d of %d steps, %d validations, restored %v the best of step %d; want stopped at a validation, the one after the best, and restored",
			v.StoppedEarly, r.Steps, iters, v.Validations, v.Restored, v.BestStep)
	}
	if v.Samples != 1127 || r.Train != 11272-1127 || v.Every != 5 || v.Patience != 1 || !v.RestoreBest {
		t.Errorf("validation %+v with %d training samples", *v, r.Train)
	}
	if !(v.Loss > v.BestLoss) || !(v.BestLoss > 0) {
		t.Errorf("last validation loss %v, best %v: want the last higher", v.Loss, v.BestLoss)
	}
	// The text report says so.
	out, _, err := runArgs(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"validation  1127 samples held out, validated every 5 steps\n", "            best: loss ",
		"stopped     early at step ", ": 1 validations without a lower loss (-patience 1)\n", "restored    the weights of step "} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

// TestRunTrainingJSON checks the JSON report's fields of a training run:
// schedule, last learning rate, weight decay, dropout, validation and the
// model files; and that they are there, empty, without those flags.
func TestRunTrainingJSON(t *testing.T) {
	dir := t.TempDir()
	save, onnx := filepath.Join(dir, "m.model"), filepath.Join(dir, "m.onnx")
	out, _, err := runArgs(t, "-synthetic", "-hidden", "4", "-opt", "adamw", "-lr", "0.01", "-batch", "5000", "-iters", "4", "-schedule", "cosine",
		"-weight-decay", "0.001", "-dropout", "0.25", "-val-split", "0.25", "-save", save, "-onnx", onnx, "-json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	lastLR := 0.01 * (1 + math.Cos(math.Pi*3/4)) / 2 // step 4 of cosine:4
	for k, want := range map[string]any{"schedule": "cosine:4:0", "weight_decay": 0.001, "dropout": 0.25, "saved": save, "onnx": onnx,
		"train_samples": 8454.0, "steps": 4.0} {
		if m[k] != want {
			t.Errorf("%s is %v, want %v", k, m[k], want)
		}
	}
	if lr, _ := m["last_lr"].(float64); math.Abs(lr-lastLR) > 1e-9 {
		t.Errorf("last_lr %v, want %v", m["last_lr"], lastLR)
	}
	v, _ := m["validation"].(map[string]any)
	for _, k := range []string{"samples", "every", "validations", "loss", "accuracy", "best_loss", "best_accuracy", "best_step", "patience", "stopped_early", "restore_best", "restored"} {
		if _, ok := v[k]; !ok {
			t.Errorf("validation lacks %s: %v", k, m["validation"])
		}
	}
	// Batches of 5,000 of 8,454 samples: an epoch ends at steps 2 and 4.
	if v["samples"] != 2818.0 || v["validations"] != 2.0 || v["every"] != 0.0 {
		t.Errorf("validation %v: want 2818 samples, 2 validations at the epochs' ends", v)
	}
	for _, k := range []string{"loss", "accuracy", "best_loss", "best_accuracy"} {
		if f, ok := v[k].(float64); !ok || !(f > 0) {
			t.Errorf("validation %s is %v, want a number > 0", k, v[k])
		}
	}
	if _, ok := m["resumed_from"]; ok {
		t.Errorf("resumed_from in a run without -resume: %v", m["resumed_from"])
	}

	out, _, err = runArgs(t, "-synthetic", "-hidden", "4", "-iters", "1", "-json")
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m["schedule"] != "constant" || m["last_lr"] != 0.1 || m["weight_decay"] != 0.0 || m["dropout"] != 0.0 {
		t.Errorf("plain run: schedule %v, last_lr %v, weight_decay %v, dropout %v; want constant, 0.1, 0, 0", m["schedule"], m["last_lr"], m["weight_decay"], m["dropout"])
	}
	for _, k := range []string{"validation", "saved", "onnx", "resumed_from", "steps_before"} {
		if _, ok := m[k]; ok {
			t.Errorf("plain run: %s is %v, want it left out", k, m[k])
		}
	}
}

// TestRunDivergedNoFiles checks that a run whose training diverges writes
// neither -save's file nor -onnx's, and says so.
func TestRunDivergedNoFiles(t *testing.T) {
	dir := t.TempDir()
	save, onnx := filepath.Join(dir, "m.model"), filepath.Join(dir, "m.onnx")
	args := append(append([]string{}, divergingRuns[0].args...), "-save", save, "-onnx", onnx)
	out, _, err := runArgs(t, args...)
	if err == nil || !strings.Contains(err.Error(), "training diverged") {
		t.Errorf("run: %v, want training diverged", err)
	}
	if !strings.Contains(out, "; -save and -onnx skipped\n") || strings.Contains(out, "\nsaved ") {
		t.Errorf("report does not say the files were skipped:\n%s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the folder holds %v, want nothing", entries)
	}
}
