package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofma/gofma/mlp"
)

// TestMain runs the command itself, for TestMainInterrupt, when the
// environment says so.
func TestMain(m *testing.M) {
	if os.Getenv("MNISTBENCH_TEST_MAIN") == "1" {
		main() // the flags are os.Args[1:]
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cancelWriter takes progress output and cancels a context at the first
// progress line: after the first tenth of the steps.
type cancelWriter struct {
	bytes.Buffer
	cancel func()
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("step ")) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// TestRunInterrupted cancels the context as Ctrl-C does, during step 5 of
// 50, and checks that training stops there and that the report, the plot
// and the CPU profile of those steps are written.
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	plot, prof, ck := filepath.Join(dir, "loss.png"), filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "ck.model")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &cancelWriter{cancel: cancel}
	out, err := runWith(t, ctx, errOut, "-synthetic", "-iters", "50", "-hidden", "4", "-eval-every", "2",
		"-plot", plot, "-cpuprofile", prof, "-compare", "-save", ck)
	if !errors.Is(err, errInterrupted) || err.Error() != "interrupted after 5 of 50 steps" {
		t.Errorf("run returned %v, want interrupted after 5 of 50 steps", err)
	}
	for _, want := range []string{"5 steps (", "interrupted after 5 of 50 steps; -compare skipped", "throughput ", "accuracy ", "plot        " + plot, "saved       " + ck} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "compare:") {
		t.Errorf("-compare ran after the interrupt:\n%s", out)
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}
	if b, err := os.ReadFile(prof); err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("CPU profile not written and closed (a gzipped profile): %v", err)
	}
	if net, err := mlp.LoadFile(ck); err != nil || net.Steps() != 5 {
		t.Errorf("-save after the interrupt: %v; want a checkpoint of 5 steps, which -resume continues", err)
	}
}

// TestRunInterruptedJSON cancels before training starts: the JSON report
// says so, with no steps.
func TestRunInterruptedJSON(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	plot := filepath.Join(t.TempDir(), "loss.svg")
	out, err := runWith(t, ctx, &bytes.Buffer{}, "-synthetic", "-iters", "4", "-hidden", "4", "-json", "-plot", plot)
	if !errors.Is(err, errInterrupted) {
		t.Errorf("run returned %v, want errInterrupted", err)
	}
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if !r.Interrupted || r.Steps != 0 || r.PlannedSteps != 4 || r.Plot != plot {
		t.Errorf("report: interrupted %v, %d of %d steps, plot %q; want true, 0 of 4, %s", r.Interrupted, r.Steps, r.PlannedSteps, r.Plot, plot)
	}
	if !strings.Contains(out, `"interrupted":true`) || !strings.Contains(out, `"planned_steps":4`) {
		t.Errorf("JSON lacks interrupted and planned_steps: %s", out)
	}
}

// TestMainInterrupt runs the command in a process of its own and sends it
// SIGINT after its first progress line (a tenth of the steps, which takes
// a fraction of a second): it prints the report of the steps done and
// exits with status 130.
func TestMainInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	const steps = "200000" // of 1 sample each: about 3 s if not stopped, 30 s with -race
	cmd := exec.Command(os.Args[0], "-synthetic", "-opt", "sgd", "-batch", "1", "-hidden", "1", "-iters", steps)
	cmd.Env = append(os.Environ(), "MNISTBENCH_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(5*time.Minute, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	var lines []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) == 1 && strings.HasPrefix(sc.Text(), "step ") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Error(err)
			}
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("exit: %v, want status 130", err)
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "step 20000/"+steps) ||
		!strings.HasPrefix(lines[len(lines)-1], "mnistbench: interrupted after ") || !strings.HasSuffix(lines[len(lines)-1], " of "+steps+" steps") {
		t.Errorf("stderr: %q, want a progress line, then mnistbench: interrupted after … of %s steps", lines, steps)
	}
	if !strings.Contains(out.String(), "interrupted after ") || !strings.Contains(out.String(), "accuracy ") {
		t.Errorf("no interrupted report on stdout:\n%s", out.String())
	}
}
