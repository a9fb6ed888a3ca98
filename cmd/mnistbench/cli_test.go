package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runMain runs the command in a process of its own, as a user runs it,
// with args and stdout going to stdout (nil: a buffer), and returns what it
// wrote to that buffer and to stderr, and its exit status (-1 when it did
// not exit by itself within a minute).
func runMain(t *testing.T, stdout io.Writer, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MNISTBENCH_TEST_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdout != nil {
		cmd.Stdout = stdout
	}
	err := cmd.Run()
	status := 0
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		status = -1
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), status
}

// checkFailure checks that the command exited with status want and that
// its stderr ends with one line "mnistbench: …" that contains msg, with
// no Go panic or fatal error; with only, that line is all of stderr.
func checkFailure(t *testing.T, args []string, stderr string, status, want int, msg string, only bool) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	switch {
	case strings.Contains(stderr, "panic:") || strings.Contains(stderr, "fatal error:") || strings.Contains(stderr, "goroutine "):
		t.Errorf("%q: exit %d, a Go panic or fatal error:\n%s", args, status, stderr)
	case status != want:
		t.Errorf("%q: exit status %d, want %d; stderr:\n%s", args, status, want, stderr)
	case !strings.HasPrefix(last, "mnistbench: ") || !strings.Contains(last, msg):
		t.Errorf("%q: last line of stderr %q, want mnistbench: …%s…", args, last, msg)
	case only && len(lines) != 1:
		t.Errorf("%q: stderr has %d lines, want one:\n%s", args, len(lines), stderr)
	}
}

// TestMainBadFlags runs the command with hostile values of every flag: each
// exits with status 2 and one line on stderr that names the flag, before
// any data is read (-data names an empty folder, which would fail later,
// with status 1).
func TestMainBadFlags(t *testing.T) {
	dir, empty := t.TempDir(), t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	if err := os.Mkdir(file("folder.png"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file("ck.model"), []byte("not read before the flags are checked"), 0o666); err != nil {
		t.Fatal(err)
	}
	layers1025 := strings.Repeat("1,", 1023) + "1" // 1,024 hidden layers and the output layer
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-iters", "NaN"}, `invalid value "NaN" for flag -iters`},
		{[]string{"-iters", "Inf"}, `invalid value "Inf" for flag -iters`},
		{[]string{"-iters", "1e30"}, `invalid value "1e30" for flag -iters`},
		{[]string{"-iters", "-1"}, "-iters -1 -epochs 0: need numbers ≥ 0"},
		{[]string{"-iters", "1000000000000"}, "-iters 1000000000000: at most 1000000000 steps"},
		{[]string{"-iters", "99999999999999999999"}, `invalid value "99999999999999999999" for flag -iters`},
		{[]string{"-epochs", "NaN"}, `invalid value "NaN" for flag -epochs`},
		{[]string{"-epochs", "-1"}, "-epochs -1: need numbers ≥ 0"},
		{[]string{"-epochs", "1000000000000"}, "-epochs 1000000000000: at most 1000000000"},
		{[]string{"-batch", "NaN"}, `invalid value "NaN" for flag -batch`},
		{[]string{"-batch", "-1"}, "-batch -1: need 0 (full batch) or more"},
		{[]string{"-batch", "1099511627776", "-opt", "sgd"}, "-batch 1099511627776: more than the 10000000 samples a data set may hold"},
		{[]string{"-batch", "67108864", "-opt", "sgd"}, "-batch 67108864: more than the 10000000 samples a data set may hold"},
		{[]string{"-batch", "128"}, "-batch 128 with -opt gd"},
		{[]string{"-lr", "NaN"}, "-lr NaN: need a finite learning rate"},
		{[]string{"-lr", "Inf"}, "-lr +Inf: need a finite learning rate"},
		{[]string{"-lr", "-Inf", "-opt", "adam"}, "-lr -Inf: need a finite learning rate"},
		{[]string{"-lr", "-1"}, "-lr -1: need a finite learning rate"},
		{[]string{"-lr", "1e39"}, "-lr 1e+39: need a finite learning rate"},
		{[]string{"-lr", "1e400"}, `invalid value "1e400" for flag -lr`},
		{[]string{"-lr", "1e-50", "-opt", "sgd"}, "-lr 1e-50: too small for float32"},
		{[]string{"-threads", "NaN"}, `invalid value "NaN" for flag -threads`},
		{[]string{"-threads", "-1"}, "-threads -1: need 0 (all) to 1024"},
		{[]string{"-threads", "20000"}, "-threads 20000: need 0 (all) to 1024"},
		{[]string{"-threads", "1000000000000"}, "-threads 1000000000000: need 0 (all) to 1024"},
		{[]string{"-target-acc", "NaN"}, "-target-acc NaN: need an accuracy in (0, 1]"},
		{[]string{"-target-acc", "Inf"}, "-target-acc +Inf: need an accuracy in (0, 1]"},
		{[]string{"-target-acc", "-Inf"}, "-target-acc -Inf: need an accuracy in (0, 1]"},
		{[]string{"-target-acc", "-0.5"}, "-target-acc -0.5: need an accuracy in (0, 1]"},
		{[]string{"-target-acc", "97.5"}, "-target-acc 97.5: need an accuracy in (0, 1]"},
		{[]string{"-eval-every", "NaN"}, `invalid value "NaN" for flag -eval-every`},
		{[]string{"-eval-every", "-1"}, "-eval-every -1: need 0 (auto) to 1000000000"},
		{[]string{"-eval-every", "1000000000000"}, "-eval-every 1000000000000: need 0 (auto) to 1000000000"},
		{[]string{"-compare-steps", "NaN"}, `invalid value "NaN" for flag -compare-steps`},
		{[]string{"-compare-steps", "0"}, "-compare-steps 0: need 1 to 1000000000"},
		{[]string{"-compare-steps", "-1"}, "-compare-steps -1: need 1 to 1000000000"},
		{[]string{"-compare-steps", "1000000000000"}, "-compare-steps 1000000000000: need 1 to 1000000000"},
		{[]string{"-seed", "-1"}, `invalid value "-1" for flag -seed`},
		{[]string{"-seed", "NaN"}, `invalid value "NaN" for flag -seed`},
		{[]string{"-seed", "1e30"}, `invalid value "1e30" for flag -seed`},
		{[]string{"-hidden", "0"}, `-hidden "0": "0" is not a layer size (1..1048576)`},
		{[]string{"-hidden", "-5"}, `"-5" is not a layer size`},
		{[]string{"-hidden", "1048577"}, `"1048577" is not a layer size`},
		{[]string{"-hidden", "99999999999999999999"}, `is not a layer size`},
		{[]string{"-hidden", "NaN"}, `"NaN" is not a layer size`},
		{[]string{"-hidden", ","}, `"" is not a layer size`},
		{[]string{"-hidden", "16,,8"}, `"" is not a layer size`},
		{[]string{"-hidden", "1048576,1048576"}, "-hidden 1048576,1048576: more than 1073741824 parameters"},
		{[]string{"-hidden", layers1025}, "-hidden 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,… (2047 bytes): 1025 layers, at most 1024"},
		{[]string{"-act", "gelu"}, `unknown activation "gelu"`},
		{[]string{"-act", ""}, `unknown activation ""`},
		{[]string{"-opt", "lbfgs"}, `unknown optimizer "lbfgs"`},
		{[]string{"-opt", ""}, `unknown optimizer ""`},
		{[]string{"-digits", ""}, `-digits "": empty digit list`},
		{[]string{"-digits", " "}, `-digits " ": empty digit list`},
		{[]string{"-digits", "x"}, `-digits "x": "x" in "x" is not a digit 0..9`},
		{[]string{"-digits", "5"}, "-digits 5: need at least two digits"},
		{[]string{"-digits", "5,5"}, `-digits "5,5": digit 5 is listed twice`},
		{[]string{"-digits", "5,10"}, `-digits "5,10": "10" in "5,10" is not a digit`},
		{[]string{"-digits", "-1,5"}, `-digits "-1,5": "-1" in "-1,5" is not a digit`},
		{[]string{"-digits", "all,5"}, `-digits "all,5": "all" in "all,5" is not a digit`},
		{[]string{"-kernels", "foo"}, `-kernels "foo": not available on this machine; want auto, `},
		{[]string{"-sparse", "yes"}, `-sparse "yes": want auto, on or off`},
		{[]string{"-sparse", "ON"}, `-sparse "ON": want auto, on or off`},
		{[]string{"-sparse", ""}, `-sparse "": want auto, on or off`},
		{[]string{"-kernels", ""}, `-kernels "": not available on this machine`},
		{[]string{"-plot", file("missing/loss.png")}, "-plot " + file("missing/loss.png") + ": cannot create the file: folder " + file("missing") + " does not exist"},
		{[]string{"-plot", file("folder.png")}, "-plot " + file("folder.png") + ": cannot write the file: is a directory"},
		{[]string{"-plot", file("loss.gif")}, "-plot " + file("loss.gif") + ": cannot draw .gif files"},
		{[]string{"-plot", file("loss")}, "-plot " + file("loss") + ": no file extension"},
		{[]string{"-cpuprofile", file("missing/cpu.prof")}, "-cpuprofile " + file("missing/cpu.prof") + ": cannot create the file"},
		{[]string{"-cpuprofile", file("folder.png")}, "-cpuprofile " + file("folder.png") + ": cannot write the file: is a directory"},
		{[]string{"-plot", file("x.png"), "-cpuprofile", file("x.png")}, "-plot and -cpuprofile both name"},
		{[]string{"-save", file("missing/m.model")}, "-save " + file("missing/m.model") + ": cannot create the file: folder " + file("missing") + " does not exist"},
		{[]string{"-save", file("folder.png")}, "-save " + file("folder.png") + ": cannot write the file: is a directory"},
		{[]string{"-onnx", file("missing/m.onnx")}, "-onnx " + file("missing/m.onnx") + ": cannot create the file: folder " + file("missing") + " does not exist"},
		{[]string{"-onnx", file("folder.png")}, "-onnx " + file("folder.png") + ": cannot write the file: is a directory"},
		{[]string{"-save", file("m"), "-onnx", file("m")}, "-save and -onnx both name " + file("m")},
		{[]string{"-plot", file("m.png"), "-save", file("m.png")}, "-plot and -save both name"},
		{[]string{"-resume", file("missing.model")}, "-resume " + file("missing.model") + ": no such file"},
		{[]string{"-resume", file("folder.png")}, "-resume " + file("folder.png") + ": cannot read the file: is a directory"},
		{[]string{"-resume", file("ck.model"), "-onnx", file("ck.model")}, "-onnx and -resume both name " + file("ck.model")},
		{[]string{"-resume", file("ck.model"), "-cpuprofile", file("ck.model")}, "-cpuprofile and -resume both name " + file("ck.model")},
		{[]string{"-weight-decay", "NaN"}, "-weight-decay NaN: need a finite number ≥ 0"},
		{[]string{"-weight-decay", "Inf"}, "-weight-decay +Inf: need a finite number ≥ 0"},
		{[]string{"-weight-decay", "-0.01"}, "-weight-decay -0.01: need a finite number ≥ 0"},
		{[]string{"-weight-decay", "1e39"}, "-weight-decay 1e+39: need a finite number ≥ 0"},
		{[]string{"-weight-decay", "1e-50"}, "-weight-decay 1e-50: too small for float32"},
		{[]string{"-weight-decay", "x"}, `invalid value "x" for flag -weight-decay`},
		{[]string{"-dropout", "NaN"}, "-dropout NaN: need a probability in [0, 1)"},
		{[]string{"-dropout", "-0.1"}, "-dropout -0.1: need a probability in [0, 1)"},
		{[]string{"-dropout", "1"}, "-dropout 1: need a probability in [0, 1)"},
		{[]string{"-dropout", "Inf"}, "-dropout +Inf: need a probability in [0, 1)"},
		{[]string{"-dropout", "0.99999999999"}, "-dropout 0.99999999999: need a probability in [0, 1)"},
		{[]string{"-dropout", "1e-50"}, "-dropout 1e-50: too small for float32"},
		{[]string{"-dropout", "0.5", "-hidden", ""}, "-dropout 0.5: the network has no hidden layer"},
		{[]string{"-schedule", ""}, `-schedule "": want constant, step:EVERY:GAMMA, exp:GAMMA, cosine:STEPS[:MIN] or cosine`},
		{[]string{"-schedule", "linear"}, `-schedule "linear": want constant,`},
		{[]string{"-schedule", "step:0:0.5"}, `-schedule "step:0:0.5": step:EVERY:GAMMA needs EVERY ≥ 1 and GAMMA in (0, 1]`},
		{[]string{"-schedule", "step:x:0.5"}, `-schedule "step:x:0.5": EVERY "x" is not a whole number`},
		{[]string{"-schedule", "exp:2"}, `-schedule "exp:2": exp:GAMMA needs GAMMA in (0, 1]`},
		{[]string{"-schedule", "exp:NaN"}, `-schedule "exp:NaN": exp:GAMMA needs GAMMA in (0, 1]`},
		{[]string{"-schedule", "cosine:0"}, `-schedule "cosine:0": cosine:STEPS:MIN needs STEPS ≥ 1 and MIN in [0, 1]`},
		{[]string{"-schedule", "cosine:10:2"}, `-schedule "cosine:10:2": cosine:STEPS:MIN needs`},
		{[]string{"-schedule", "warmup:0,cosine"}, `-schedule "warmup:0,cosine": warmup:STEPS needs STEPS ≥ 1`},
		{[]string{"-schedule", "warmup:x,cosine"}, `-schedule "warmup:x,cosine": warmup:STEPS needs a whole number of steps, not "x"`},
		{[]string{"-schedule", "warmup:5,warmup:5"}, `-schedule "warmup:5,warmup:5": want constant,`},
		{[]string{"-val-split", "NaN"}, "-val-split NaN: need a fraction in [0, 1)"},
		{[]string{"-val-split", "-0.1"}, "-val-split -0.1: need a fraction in [0, 1)"},
		{[]string{"-val-split", "1"}, "-val-split 1: need a fraction in [0, 1)"},
		{[]string{"-val-split", "Inf"}, "-val-split +Inf: need a fraction in [0, 1)"},
		{[]string{"-val-split", "10%"}, `invalid value "10%" for flag -val-split`},
		{[]string{"-patience", "-1", "-val-split", "0.1"}, "-patience -1: need 0 (off) to 1000000000"},
		{[]string{"-patience", "1000000000000", "-val-split", "0.1"}, "-patience 1000000000000: need 0 (off) to 1000000000"},
		{[]string{"-patience", "NaN"}, `invalid value "NaN" for flag -patience`},
		{[]string{"-patience", "3"}, "-patience 3: needs -val-split"},
		{[]string{"-restore-best"}, "-restore-best: needs -val-split"},
		{[]string{"-restore-best=maybe", "-val-split", "0.1"}, `invalid boolean value "maybe" for -restore-best`},
		{[]string{"-opt", "adamw", "-lr", "NaN"}, "-lr NaN: need a finite learning rate"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
	} {
		args := append([]string{"-data", empty}, c.args...)
		_, stderr, status := runMain(t, nil, args...)
		checkFailure(t, c.args, stderr, status, 2, c.want, true)
	}
}

// TestMainRunErrors runs the command with values that fail only once the
// data is read, or when the report or the profile is written: each exits
// with status 1 and one line on stderr, never a Go panic or fatal error,
// and with the JSON report on stdout where training ran.
func TestMainRunErrors(t *testing.T) {
	empty := t.TempDir()
	// Eight layers of 2^20 units on 11,272 samples: some 600 GB of outputs
	// and gradients, for about 25 million parameters.
	wide := strings.Repeat("1,1048576,", 7) + "1,1048576"
	type tc struct {
		args   []string
		want   string
		report bool // the JSON report is written before the error
	}
	cases := []tc{
		{[]string{"-data", empty, "-iters", "1"}, "mnist: folder " + empty + " lacks", false},
		{[]string{"-synthetic", "-opt", "sgd", "-batch", "20000", "-iters", "1"}, "-batch 20000: more than the 11272 training samples; use -batch 0 (or 11272) for the full batch", false},
		{[]string{"-synthetic", "-opt", "sgd", "-batch", "1", "-epochs", "1000000000", "-hidden", "1"}, "-epochs 1000000000 of 11272 steps each: more than 1000000000 steps", false},
		{[]string{"-synthetic", "-iters", "1", "-val-split", "1e-5"}, "-val-split 1e-05 of 11272 training samples holds out 0: need at least one sample for validation and one for training", false},
		{[]string{"-synthetic", "-opt", "sgd", "-batch", "11000", "-iters", "1", "-val-split", "0.1"}, "-batch 11000: more than the 10145 training samples left by -val-split 0.1; use -batch 0 (or 10145) for the full batch", false},
	}
	if runtime.GOOS == "linux" { // where the available memory is known, and /dev/full refuses writes
		cases = append(cases,
			tc{[]string{"-synthetic", "-iters", "1", "-hidden", wide}, "-hidden and -batch: a network of 17 layers and 8388617 units, on batches of 11272 samples, needs at least", false},
			tc{[]string{"-synthetic", "-iters", "1", "-hidden", "2", "-cpuprofile", "/dev/full"}, "-cpuprofile /dev/full: write /dev/full: no space left on device", true})
	}
	for _, c := range cases {
		stdout, stderr, status := runMain(t, nil, append(c.args, "-json")...)
		checkFailure(t, c.args, stderr, status, 1, c.want, true)
		var r map[string]any
		if err := json.Unmarshal([]byte(stdout), &r); c.report && err != nil {
			t.Errorf("%q: no JSON report on stdout: %v\n%s", c.args, err, stdout)
		} else if !c.report && stdout != "" {
			t.Errorf("%q: wrote %q on stdout, want nothing", c.args, stdout)
		}
	}
}

// divergingRuns are flags whose training diverges, and report fields that
// must then be null. With a learning rate near float32's largest, a loss
// becomes infinite within a few full-batch steps, and Fit keeps the
// weights from before that step, whose loss on the training set is that
// step's loss; after one such step of a ReLU network, Fit ends, but the
// loss of its weights is not finite; one Adam step of that rate would
// make weights that are not finite, and Fit refuses it.
var divergingRuns = []struct {
	args     []string
	mustNull []string
}{
	{[]string{"-synthetic", "-iters", "10", "-hidden", "8", "-lr", "3e38"}, []string{"train_loss"}},
	{[]string{"-synthetic", "-iters", "1", "-hidden", "8", "-act", "relu", "-lr", "3e38"}, []string{"train_loss"}},
	{[]string{"-synthetic", "-iters", "1", "-hidden", "8", "-opt", "adam", "-lr", "3e38", "-batch", "100"}, nil},
}

// TestMainDivergedJSON checks that a run whose training diverges writes
// its JSON report, saying why in "diverged", the values that are not
// finite as null and explained in non_finite, and then exits with status
// 1 and that reason on one line.
func TestMainDivergedJSON(t *testing.T) {
	for _, c := range divergingRuns {
		stdout, stderr, status := runMain(t, nil, append(c.args, "-json")...)
		checkFailure(t, c.args, stderr, status, 1, "training diverged: ", true)
		var r map[string]any
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Errorf("%q: stdout is not one JSON object: %v\n%s", c.args, err, stdout)
			continue
		}
		if why := r["diverged"]; "mnistbench: "+fmt.Sprint(why)+"\n" != stderr {
			t.Errorf("%q: diverged is %q, want the error %q", c.args, why, stderr)
		}
		for _, f := range c.mustNull {
			if v, ok := r[f]; !ok || v != nil {
				t.Errorf("%q: %s is %v, want null", c.args, f, v)
			}
		}
		var nulls []string
		for k, v := range r {
			if v == nil && k != "prepacked" {
				nulls = append(nulls, k)
			}
		}
		notes, _ := r["non_finite"].([]any)
		if len(notes) != len(nulls) {
			t.Errorf("%q: null fields %v, non_finite %q: want one note each", c.args, nulls, notes)
		}
		for _, f := range nulls {
			found := false
			for _, n := range notes {
				s, _ := n.(string)
				found = found || strings.HasPrefix(s, f+": ") && strings.HasSuffix(s, " (training diverged)")
			}
			if !found {
				t.Errorf("%q: non_finite %q does not explain %s", c.args, notes, f)
			}
		}
	}
}

// TestMainDivergedText checks that the text report of a diverged run says
// so, with the values that are not finite, and that the command then exits
// with status 1.
func TestMainDivergedText(t *testing.T) {
	c := divergingRuns[0]
	stdout, stderr, status := runMain(t, nil, c.args...)
	checkFailure(t, c.args, stderr, status, 1, "training diverged: the loss became ", false)
	for _, want := range []string{"diverged    the loss became ", "not finite  train_loss: ", " (training diverged)\n", "throughput "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, stdout)
		}
	}
}

// TestMainReportUnwritable checks that a report that cannot be written
// (stdout is /dev/full) is an error, with status 1.
func TestMainReportUnwritable(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	for _, args := range [][]string{{"-synthetic", "-iters", "1", "-hidden", "2", "-json"}, {"-synthetic", "-iters", "1", "-hidden", "2"}} {
		_, stderr, status := runMain(t, full, args...)
		checkFailure(t, args, stderr, status, 1, "writing the report: write /dev/stdout: no space left on device", false)
	}
}
