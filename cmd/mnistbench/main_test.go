package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{[]string{"-threads", "-2"}, "-threads -2"},
		{[]string{"-target-acc", "97.5"}, "-target-acc 97.5"},
		{[]string{"-opt", "lbfgs"}, `unknown optimizer "lbfgs"`},
		{[]string{"-hidden", "256,x"}, `"x" is not a layer size`},
		{[]string{"-hidden", "0"}, `"0" is not a layer size`},
		{[]string{"-act", "gelu"}, `unknown activation "gelu"`},
		{[]string{"-digits", "5"}, "at least two digits"},
		{[]string{"-digits", "5,12"}, "12"},
		{[]string{"-compare-steps", "0"}, "-compare-steps 0"},
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

// runArgs runs the command with args and returns its stdout and stderr.
func runArgs(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	o, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = run(o, &out, &errOut)
	return out.String(), errOut.String(), err
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

func TestRunTextReport(t *testing.T) {
	out, errOut, err := runArgs(t, "-synthetic", "-digits", "all", "-hidden", "8", "-opt", "adam", "-batch", "5000", "-epochs", "1", "-compare", "-compare-steps", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cpu ", "kernels ", "60000 training and 10000 test", "784-8-10 sigmoid, crossentropy loss",
		"Adam(lr=0.001", "batches of 5000", "12 steps (1.00 epochs)", "forward", "backward", "update", "samples/s", "GFLOP/s",
		"accuracy ", "compare:", "gofma generic (pure Go)", "gonum Sgemm", "total "} {
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
