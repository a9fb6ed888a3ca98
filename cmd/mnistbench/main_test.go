package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofma/gofma/mlp"
	"github.com/gofma/gofma/mnist"
)

func TestParseFlagsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-iters", "-1"}, "need numbers ≥ 0"},
		{[]string{"-iters", "0"}, "both 0"},
		{[]string{"-batch", "-5"}, "-batch -5"},
		{[]string{"-lr", "-0.1"}, "-lr -0.1"},
		{[]string{"-lr", "NaN"}, "-lr NaN: need a finite learning rate"},
		{[]string{"-lr", "Inf"}, "-lr +Inf: need a finite learning rate"},
		{[]string{"-lr", "-Inf", "-opt", "adam"}, "-lr -Inf: need a finite learning rate"},
		{[]string{"-lr", "1e39"}, "-lr 1e+39: need a finite learning rate"},
		{[]string{"-lr", "1e-50", "-opt", "sgd"}, "-lr 1e-50: too small for float32"},
		{[]string{"-threads", "-2"}, "-threads -2"},
		{[]string{"-threads", "100000"}, "-threads 100000: need 0 (all) to 1024"},
		{[]string{"-target-acc", "97.5"}, "-target-acc 97.5"},
		{[]string{"-target-acc", "NaN"}, "-target-acc NaN: need an accuracy in (0, 1]"},
		{[]string{"-target-acc", "Inf"}, "-target-acc +Inf: need an accuracy in (0, 1]"},
		{[]string{"-target-acc", "-0.5"}, "-target-acc -0.5: need an accuracy in (0, 1]"},
		{[]string{"-eval-every", "-1"}, "-eval-every -1"},
		{[]string{"-batch", "128"}, "-batch 128 with -opt gd: gd is full-batch gradient descent; use -batch 0, or an optimizer for mini-batches such as -opt sgd"},
		{[]string{"-opt", "gd", "-batch", "11272"}, "-batch 11272 with -opt gd"},
		{[]string{"-hidden", "1048576,1048576"}, "-hidden 1048576,1048576: more than 1073741824 parameters"},
		{[]string{"-opt", "lbfgs"}, `unknown optimizer "lbfgs"`},
		{[]string{"-hidden", "256,x"}, `"x" is not a layer size`},
		{[]string{"-hidden", "0"}, `"0" is not a layer size`},
		{[]string{"-act", "gelu"}, `unknown activation "gelu"`},
		{[]string{"-digits", "5"}, "at least two digits"},
		{[]string{"-digits", "5,12"}, "12"},
		{[]string{"-compare-steps", "0"}, "-compare-steps 0"},
		{[]string{"-sparse", "maybe"}, `-sparse "maybe": want auto, on or off`},
		{[]string{"-sparse", ""}, `-sparse "": want auto, on or off`},
		{[]string{"-schedule", "step:0:0.5"}, `-schedule "step:0:0.5": step:EVERY:GAMMA needs EVERY ≥ 1`},
		{[]string{"-schedule", "exp:1.5"}, `-schedule "exp:1.5": exp:GAMMA needs GAMMA in (0, 1]`},
		{[]string{"-schedule", "cosine:-3"}, `-schedule "cosine:-3": cosine:STEPS:MIN needs STEPS ≥ 1`},
		{[]string{"-schedule", "warmup:-1,cosine"}, `-schedule "warmup:-1,cosine": warmup:STEPS needs STEPS ≥ 1`},
		{[]string{"-schedule", "cosine:x"}, `-schedule "cosine:x": STEPS "x" is not a whole number`},
		{[]string{"-weight-decay", "-1"}, "-weight-decay -1"},
		{[]string{"-dropout", "1"}, "-dropout 1"},
		{[]string{"-val-split", "1"}, "-val-split 1"},
		{[]string{"-patience", "2"}, "-patience 2: needs -val-split"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-nosuchflag"}, "not defined"},
	} {
		var errOut bytes.Buffer
		_, err := parseFlags(c.args, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
		if errOut.Len() > 0 || err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("parseFlags(%q): the error is not one line: %q, and wrote %q", c.args, err, errOut.String())
		}
		if err != nil && (strings.Contains(err.Error(), "mlp") || strings.Contains(err.Error(), "Config")) {
			t.Errorf("parseFlags(%q): the error speaks of mlp's Go names: %q", c.args, err)
		}
	}
}

// TestParseFlagsOutputs checks that a bad -plot or -cpuprofile file fails
// at flag time, before the data is read (here -data names an empty folder,
// which would fail later), and that the checks leave no files behind.
func TestParseFlagsOutputs(t *testing.T) {
	dir, empty := t.TempDir(), t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	if err := os.Mkdir(file("folder.png"), 0o777); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(t.TempDir(), "dangling.model") // a link to a file in a folder that does not exist
	if err := os.Symlink(file("missing/x.model"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-save", dangling}, "-save " + dangling + ": cannot replace it: a symbolic link that does not lead to a file"},
		{[]string{"-onnx", dangling}, "-onnx " + dangling + ": cannot replace it: a symbolic link that does not lead to a file"},
		{[]string{"-plot", file("loss.gif")}, "-plot " + file("loss.gif") + ": cannot draw .gif files; want .eps, .jpeg, .jpg, .pdf, .png, .svg, .tex, .tif or .tiff"},
		{[]string{"-plot", file("loss")}, "-plot " + file("loss") + ": no file extension"},
		{[]string{"-plot", file("missing/loss.png")}, "-plot " + file("missing/loss.png") + ": cannot create the file: folder " + file("missing") + " does not exist"},
		{[]string{"-plot", file("folder.png")}, "-plot " + file("folder.png") + ": cannot write the file: is a directory"},
		{[]string{"-cpuprofile", file("missing/cpu.prof")}, "-cpuprofile " + file("missing/cpu.prof") + ": cannot create the file: folder " + file("missing") + " does not exist"},
		{[]string{"-cpuprofile", file("folder.png")}, "-cpuprofile " + file("folder.png") + ": cannot write the file"},
		{[]string{"-plot", file("out.png"), "-cpuprofile", file("out.png")}, "-plot and -cpuprofile both name"},
	} {
		args := append([]string{"-data", empty, "-iters", "1"}, c.args...)
		_, err := parseFlags(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}

	// Good names pass, and the checks neither leave a file nor touch one.
	if err := os.WriteFile(file("old.svg"), []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-plot", file("loss.PNG"), "-cpuprofile", file("cpu.prof")}, {"-plot", file("old.svg")},
		{"-save", file("net.model"), "-onnx", file("net.onnx")}, {"-save", file("old.svg"), "-resume", file("old.svg")}} {
		if _, err := parseFlags(args, io.Discard); err != nil {
			t.Errorf("parseFlags(%q): %v", args, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "folder.png old.svg" {
		t.Errorf("after the checks the folder holds %s, want folder.png old.svg", got)
	}
	if b, err := os.ReadFile(file("old.svg")); err != nil || string(b) != "old" {
		t.Errorf("the check changed an existing file: %q, %v", b, err)
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var errOut bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &errOut); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(errOut.String(), "-target-acc") {
		t.Errorf("-h printed no flags: %q", errOut.String())
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.iters != 1000 || o.epochs != 0 || o.batch != 0 || o.lr != 0.1 || o.opt != "gd" ||
		len(o.hidden) != 1 || o.hidden[0] != 196 || len(o.digits) != 2 || o.digits[0] != 5 || o.digits[1] != 8 {
		t.Errorf("defaults %+v, want the reference workload", o)
	}
	o, err = parseFlags([]string{"-epochs", "3"}, io.Discard)
	if err != nil || o.iters != 0 || o.epochs != 3 {
		t.Errorf("-epochs 3 alone: %+v, %v; want iters 0, epochs 3", o, err)
	}
}

// TestParseFlagsTraining checks the flags of a training run: their
// defaults, and values that pass.
func TestParseFlagsTraining(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.save != "" || o.resume != "" || o.onnx != "" || o.weightDecay != 0 || o.dropout != 0 || o.schedule != "constant" ||
		o.valSplit != 0 || o.patience != 0 || o.restoreBest || o.hiddenSet || o.actSet {
		t.Errorf("defaults %+v, want none of a training run's", o)
	}
	o, err = parseFlags([]string{"-opt", "adamw", "-batch", "64", "-weight-decay", "1e-4", "-dropout", "0.5", "-schedule", "warmup:10,cosine",
		"-val-split", "0.2", "-patience", "3", "-restore-best", "-hidden", "32", "-act", "relu"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.opt != "adamw" || o.weightDecay != 1e-4 || o.dropout != 0.5 || o.schedule != "warmup:10,cosine" || o.valSplit != 0.2 ||
		o.patience != 3 || !o.restoreBest || !o.hiddenSet || !o.actSet {
		t.Errorf("parsed %+v", o)
	}
	var help bytes.Buffer
	parseFlags([]string{"-h"}, &help)
	for _, want := range []string{"adam or adamw", "-save", "-resume", "count from the start of training", "-onnx", "-weight-decay", "-dropout",
		"-schedule", "cosine (over the run's steps)", "-val-split", "-patience", "-restore-best"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-h lacks %q", want)
		}
	}
}

// TestParseSchedule checks that -schedule takes mlp.ParseSchedule's
// syntax and cosine alone, over the run's steps less the warm-up's.
func TestParseSchedule(t *testing.T) {
	for _, c := range []struct {
		s     string
		total int
		want  mlp.Schedule
	}{
		{"constant", 10, mlp.Constant{}},
		{"cosine", 1000, mlp.Cosine{Steps: 1000}},
		{"cosine", 1, mlp.Cosine{Steps: 1}},
		{"warmup:100,cosine", 1000, mlp.Warmup{Steps: 100, Then: mlp.Cosine{Steps: 900}}},
		{"warmup:100,cosine", 50, mlp.Warmup{Steps: 100, Then: mlp.Cosine{Steps: 1}}},
		{"cosine:500:0.1", 1000, mlp.Cosine{Steps: 500, Min: 0.1}},
		{"warmup:5,step:10:0.5", 1000, mlp.Warmup{Steps: 5, Then: mlp.StepDecay{Every: 10, Gamma: 0.5}}},
		{"exp:0.99", 1000, mlp.Exponential{Gamma: 0.99}},
	} {
		got, err := parseSchedule(c.s, c.total)
		if err != nil || got != c.want {
			t.Errorf("parseSchedule(%q, %d) = %v, %v; want %v", c.s, c.total, got, err, c.want)
		}
	}
}

// TestHoldOut checks that -val-split takes the validation samples from
// the end of the training data, rounding down, and refuses a split that
// leaves either set empty.
func TestHoldOut(t *testing.T) {
	d := tinyData(50)
	x, y := d.train.X, d.train.Y
	if err := d.holdOut(0.21); err != nil {
		t.Fatal(err)
	}
	if d.train.n != 40 || d.val.n != 10 || d.test.n != 50 {
		t.Fatalf("-val-split 0.21 of 50: %d training, %d validation, %d test samples; want 40, 10, 50", d.train.n, d.val.n, d.test.n)
	}
	for i := range 10 {
		if &d.val.X.Row(i)[0] != &x.Row(40 + i)[0] || d.val.Y.At(i, 0) != y.At(40+i, 0) {
			t.Errorf("validation sample %d is not training sample %d", i, 40+i)
		}
	}
	if r, _ := d.train.X.Dims(); r != 40 || &d.train.X.Row(39)[0] != &x.Row(39)[0] {
		t.Errorf("training X has %d rows, want the first 40", r)
	}
	d = tinyData(50)
	if err := d.holdOut(0); err != nil || d.val.n != 0 || d.train.n != 50 {
		t.Errorf("-val-split 0: %v, %d validation samples", err, d.val.n)
	}
	for _, f := range []float64{0.01, 0.019} {
		d = tinyData(50)
		if err := d.holdOut(f); err == nil || !strings.HasPrefix(err.Error(), "-val-split ") {
			t.Errorf("-val-split %v of 50 samples: %v, want an error naming -val-split", f, err)
		}
	}
}

// TestParseFlagsSparse checks -sparse: auto by default, and each mode's
// name parsed to its mlp.SparseMode.
func TestParseFlagsSparse(t *testing.T) {
	for _, c := range []struct {
		args []string
		want mlp.SparseMode
	}{
		{nil, mlp.SparseAuto},
		{[]string{"-sparse", "auto"}, mlp.SparseAuto},
		{[]string{"-sparse", "on"}, mlp.SparseOn},
		{[]string{"-sparse=off"}, mlp.SparseOff},
	} {
		o, err := parseFlags(c.args, io.Discard)
		if err != nil || o.sparse != c.want {
			t.Errorf("parseFlags(%q): sparse %v, %v; want %v", c.args, o.sparse, err, c.want)
		}
	}
}

// runArgs runs the command with args and returns its stdout and stderr.
func runArgs(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var errOut bytes.Buffer
	out, err := runWith(t, context.Background(), &errOut, args...)
	return out, errOut.String(), err
}

// runWith runs the command with args and ctx, progress to errOut, and
// returns its stdout.
func runWith(t *testing.T, ctx context.Context, errOut io.Writer, args ...string) (string, error) {
	t.Helper()
	o, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(ctx, o, &out, errOut)
	return out.String(), err
}

func TestRunSyntheticJSON(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "loss.png")
	out, errOut, err := runArgs(t, "-synthetic", "-iters", "4", "-hidden", "16", "-json", "-plot", plot, "-eval-every", "2", "-target-acc", "1")
	if err != nil {
		t.Fatal(err)
	}
	if errOut != "" {
		t.Errorf("-json to a non-terminal wrote progress: %q", errOut)
	}
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("JSON report spans lines:\n%s", out)
	}
	if r.Steps != 4 || r.Train != 11272 || r.Test != 1866 || r.Network != "784-16-1 sigmoid" || r.Loss != "bce" {
		t.Errorf("report %+v", r)
	}
	if r.TrainSeconds <= 0 || r.SamplesPerSec <= 0 || r.GFLOPS <= 0 || r.CPU == "" || r.Kernels == "" || r.Threads < 1 {
		t.Errorf("report lacks measurements: %+v", r)
	}
	if len(r.TestCurve) != 2 || r.TargetStep != 0 {
		t.Errorf("test curve %v (want steps 2 and 4), target step %d (want not reached)", r.TestCurve, r.TargetStep)
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}
}

// TestRunSparseJSON checks the first layer's path and X's density in the
// JSON report of short synthetic runs, for each -sparse mode. Synthetic
// pixels are random, so X is dense: auto takes the dense path, on the
// sparse one; with off Fit measures no density, and mnistbench counts it.
func TestRunSparseJSON(t *testing.T) {
	for _, c := range []struct {
		mode       string
		wantSparse bool
	}{{"auto", false}, {"on", true}, {"off", false}} {
		out, _, err := runArgs(t, "-synthetic", "-iters", "1", "-hidden", "4", "-json", "-sparse", c.mode)
		if err != nil {
			t.Fatalf("-sparse %s: %v", c.mode, err)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("-sparse %s: stdout is not one JSON object: %v\n%s", c.mode, err, out)
		}
		if r["sparse_mode"] != c.mode || r["sparse"] != c.wantSparse {
			t.Errorf("-sparse %s: sparse_mode %v, sparse %v; want %s, %v", c.mode, r["sparse_mode"], r["sparse"], c.mode, c.wantSparse)
		}
		if d, ok := r["density"].(float64); !ok || d < 0.999 || d > 1 {
			t.Errorf("-sparse %s: density %v, want about 1 (random pixels)", c.mode, r["density"])
		}
	}
}

// TestRunSparseText checks the text report's first-layer line.
func TestRunSparseText(t *testing.T) {
	for _, c := range []struct{ mode, want string }{
		{"off", "\nfirst layer dense (X density 100.0%, -sparse off)\n"},
		{"on", "\nfirst layer sparse (X density 100.0%, -sparse on)\n"},
	} {
		out, _, err := runArgs(t, "-synthetic", "-iters", "1", "-hidden", "4", "-sparse", c.mode)
		if err != nil {
			t.Fatalf("-sparse %s: %v", c.mode, err)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("-sparse %s: report lacks %q:\n%s", c.mode, c.want, out)
		}
	}
}

// TestRunSparseMNIST checks, on the real 5-vs-8 images where they are
// found, that -sparse auto takes the sparse path at their density (20.8%)
// and -sparse off the dense one, reporting the same density.
func TestRunSparseMNIST(t *testing.T) {
	if _, err := mnist.Find(""); err != nil {
		t.Skip("no MNIST data:", err)
	}
	if testing.Short() {
		t.Skip("reads MNIST twice")
	}
	var density [2]jfloat
	for i, c := range []struct {
		mode       string
		wantSparse bool
	}{{"auto", true}, {"off", false}} {
		out, _, err := runArgs(t, "-iters", "1", "-hidden", "1", "-json", "-sparse", c.mode)
		if err != nil {
			t.Fatalf("-sparse %s: %v", c.mode, err)
		}
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("-sparse %s: %v\n%s", c.mode, err, out)
		}
		if r.Sparse != c.wantSparse || r.Density < 0.20 || r.Density > 0.21 {
			t.Errorf("-sparse %s: sparse %v, density %v; want %v, about 0.208", c.mode, r.Sparse, r.Density, c.wantSparse)
		}
		density[i] = r.Density
	}
	if density[0] != density[1] {
		t.Errorf("density %v as Fit measured it, %v as mnistbench counted it", density[0], density[1])
	}
}

func TestRunTextReport(t *testing.T) {
	out, errOut, err := runArgs(t, "-synthetic", "-digits", "all", "-hidden", "8", "-opt", "adam", "-batch", "5000", "-epochs", "1", "-compare", "-compare-steps", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cpu ", "kernels ", "60000 training and 10000 test", "784-8-10 sigmoid, crossentropy loss",
		"Adam(lr=0.001", "batches of 5000", "12 steps (1.00 epochs)", "forward", "backward", "update", "samples/s", "GFLOP/s",
		"first layer dense (X density 100.0%, over the 30% of -sparse auto)",
		"accuracy ", "compare: the same 1 steps from the same start, first layer dense", "gofma generic (pure Go)", "gonum Sgemm", "total "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "step 12/12") {
		t.Errorf("no plain progress lines on a non-terminal: %q", errOut)
	}
}

func TestRunMissingData(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runArgs(t, "-data", dir, "-iters", "1")
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("missing data: %v, want an error naming %s", err, dir)
	}
	if strings.Contains(oneLine(err), "\n") {
		t.Errorf("error spans lines: %q", oneLine(err))
	}
}
