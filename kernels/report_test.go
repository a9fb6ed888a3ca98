package kernels

import (
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// availableNames returns the names of Impls(), in order.
func availableNames() []string {
	var names []string
	for _, im := range Impls() {
		names = append(names, im.Name())
	}
	return names
}

// TestImpls checks the list of implementations: generic always, last;
// avx2 first where it runs; Impls returns a copy.
func TestImpls(t *testing.T) {
	impls := Impls()
	names := availableNames()
	if len(impls) == 0 || impls[len(impls)-1].Name() != "generic" {
		t.Fatalf("Impls() = %v, want generic last", names)
	}
	if hasAVX2FMA() && names[0] != "avx2" {
		t.Errorf("CPU has AVX2 and FMA3 but Impls() = %v, want avx2 first", names)
	}
	if !hasAVX2FMA() && len(impls) != 1 {
		t.Errorf("no AVX2/FMA3 assembly but Impls() = %v, want only generic", names)
	}
	impls[0] = nil
	if Impls()[0] == nil {
		t.Error("modifying the slice Impls returned changed the package's list")
	}
}

// TestUse checks that Use switches Default (names are case-insensitive),
// "auto" restores the best implementation, and an unknown name is an error
// naming the choices that leaves Default alone.
func TestUse(t *testing.T) {
	restoreDefault(t)
	best := Impls()[0]
	if err := Use("generic"); err != nil {
		t.Fatalf(`Use("generic"): %v`, err)
	}
	if got := Default().Name(); got != "generic" {
		t.Errorf(`after Use("generic"): Default() = %s`, got)
	}
	if err := Use("auto"); err != nil {
		t.Fatalf(`Use("auto"): %v`, err)
	}
	if Default() != best {
		t.Errorf(`after Use("auto"): Default() = %s, want the best, %s`, Default().Name(), best.Name())
	}
	for _, im := range Impls() {
		if err := Use(strings.ToUpper(im.Name())); err != nil {
			t.Errorf("Use(%q): %v", strings.ToUpper(im.Name()), err)
		} else if Default() != im {
			t.Errorf("after Use(%q): Default() = %s", strings.ToUpper(im.Name()), Default().Name())
		}
	}

	Use("generic")
	err := Use("bogus")
	if err == nil {
		t.Fatal(`Use("bogus") returned no error`)
	}
	if msg := err.Error(); !containsAll(msg, append(availableNames(), "bogus", "auto")...) {
		t.Errorf(`Use("bogus") error %q does not name "bogus" and every choice (auto, %v)`, msg, availableNames())
	}
	if got := Default().Name(); got != "generic" {
		t.Errorf(`a failed Use changed Default() to %s`, got)
	}
	if implNamed("avx2") == nil {
		if err := Use("avx2"); err == nil {
			t.Error(`Use("avx2") succeeded on a machine or build without it`)
		}
	}
}

// TestPackageSgemmUsesDefault checks that the package-level Sgemm runs on
// Default(): its result is bitwise that of Default().Sgemm.
func TestPackageSgemmUsesDefault(t *testing.T) {
	restoreDefault(t)
	tc := gemmCase{transA: true, m: 2*mr + 1, n: nr + 3, k: 37, alpha: 1.5, beta: -0.5, seed: 7}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		if err := Use(im.Name()); err != nil {
			t.Fatal(err)
		}
		a, b, want := tc.operands()
		tc.call(im, a, b, want)
		_, _, got := tc.operands()
		Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.arg(false), a.ld, b.arg(false), b.ld, tc.beta, got.arg(false), got.ld)
		if idx := firstDifference(got.buf, want.buf); idx >= 0 {
			t.Errorf("Sgemm and %s.Sgemm differ at %s: %v, %v", im.Name(), got.where(idx), got.buf[idx], want.buf[idx])
		}
	})
}

// TestInfo checks the report against the state it reports.
func TestInfo(t *testing.T) {
	restoreDefault(t)
	setThreads(t, 3)
	for _, im := range Impls() {
		if err := Use(im.Name()); err != nil {
			t.Fatal(err)
		}
		r := Info()
		if r.Impl != im.Name() || r.Impl != Default().Name() {
			t.Errorf("Info().Impl = %q, want Default().Name() = %q", r.Impl, Default().Name())
		}
		s := r.String()
		if !strings.Contains(s, "kernels="+im.Name()) {
			t.Errorf("Report.String() = %q does not mention kernels=%s", s, im.Name())
		}
		if !slices.Equal(r.Avail, availableNames()) {
			t.Errorf("Info().Avail = %v, want %v", r.Avail, availableNames())
		}
		if r.Reason == "" || !strings.Contains(s, r.Reason) {
			t.Errorf("Info().Reason = %q, missing or not in %q", r.Reason, s)
		}
		if r.CPU == "" || !strings.Contains(s, strconv.Quote(r.CPU)) {
			t.Errorf("Info().CPU = %q, missing or not in %q", r.CPU, s)
		}
		if r.Threads != 3 || !strings.Contains(s, "threads=3") {
			t.Errorf("Info().Threads = %d (%q), want 3", r.Threads, s)
		}
		if r.Cores != runtime.NumCPU() {
			t.Errorf("Info().Cores = %d, want runtime.NumCPU() = %d", r.Cores, runtime.NumCPU())
		}
		if implNamed("avx2") != nil && !(r.AVX2 && r.FMA3) {
			t.Errorf("avx2 available but Info() says avx2=%t fma3=%t", r.AVX2, r.FMA3)
		}
	}
	t.Log(Info())
}

// TestReportString checks the format of a fixed report, sizes included.
func TestReportString(t *testing.T) {
	r := Report{Impl: "generic", Reason: "testing", Avail: []string{"avx2", "generic"}, CPU: "Some CPU",
		AVX2: true, FMA3: false, L1D: 32 << 10, L2: 1000, L3: 32 << 20, Cores: 2, Threads: 1}
	s := r.String()
	for _, want := range []string{"kernels=generic", "testing", "avx2 generic", `"Some CPU"`,
		"avx2=true", "fma3=false", "L1d=32KiB", "L2=1000B", "L3=32MiB", "cores=2", "threads=1"} {
		if !strings.Contains(s, want) {
			t.Errorf("Report.String() = %q, does not contain %q", s, want)
		}
	}
	r.L1D, r.L2 = -1, 0
	if s := r.String(); !strings.Contains(s, "L1d=?") || !strings.Contains(s, "L2=0B") {
		t.Errorf("unknown sizes: Report.String() = %q, want L1d=? and L2=0B", s)
	}
	for b, want := range map[int]string{-1: "?", 0: "0B", 512: "512B", 1536: "1536B", 1 << 10: "1KiB",
		48 << 10: "48KiB", 1 << 20: "1MiB", 3 << 19: "1536KiB", 256 << 20: "256MiB"} {
		if got := size(b); got != want {
			t.Errorf("size(%d) = %q, want %q", b, got, want)
		}
	}
}

// TestMeasurePeak checks that the FMA probe reports a plausible rate where
// the assembly runs and an error elsewhere.
func TestMeasurePeak(t *testing.T) {
	const d = 20 * time.Millisecond
	if implNamed("avx2") == nil {
		if g, err := MeasurePeak(1, d); err == nil {
			t.Errorf("MeasurePeak without the AVX2 assembly = %v, want an error", g)
		}
		return
	}
	for _, threads := range []int{0, 1, 2} {
		start := time.Now()
		g, err := MeasurePeak(threads, d)
		el := time.Since(start)
		if err != nil {
			t.Fatalf("MeasurePeak(%d, %v): %v", threads, d, err)
		}
		// Far below any real core and far above anything real: the unit is GFLOP/s.
		if !(g > 0.1 && g < 1e5) || math.IsNaN(g) {
			t.Errorf("MeasurePeak(%d, %v) = %v GFLOP/s, not plausible", threads, d, g)
		}
		if el > 100*d+time.Second {
			t.Errorf("MeasurePeak(%d, %v) took %v", threads, d, el)
		}
		t.Logf("MeasurePeak(%d, %v) = %.1f GFLOP/s", threads, d, g)
	}
}

// TestEnvironment checks GOFMA_KERNELS in a child process: "generic"
// forces the Go path and says so in the report; an unknown value is
// ignored with a warning naming the choices.
func TestEnvironment(t *testing.T) {
	if name := os.Getenv("GOFMA_TEST_CHILD"); name != "" {
		// In the child: print what init chose.
		os.Stdout.WriteString("default=" + Default().Name() + " reason=" + Info().Reason + "\n")
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	child := func(env string) (stdout, stderr string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironment$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "GOFMA_TEST_CHILD=1", "GOFMA_KERNELS="+env)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("GOFMA_KERNELS=%s: child test binary: %v\n%s%s", env, err, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	out, _ := child("generic")
	if !strings.Contains(out, "default=generic reason=GOFMA_KERNELS=generic") {
		t.Errorf("GOFMA_KERNELS=generic: child says %q", out)
	}
	best := Impls()[0].Name()
	out, _ = child("auto")
	if !strings.Contains(out, "default="+best+" ") {
		t.Errorf("GOFMA_KERNELS=auto: child says %q, want default=%s", out, best)
	}
	out, errOut := child("bogus")
	if !strings.Contains(out, "default="+best+" ") {
		t.Errorf("GOFMA_KERNELS=bogus: child says %q, want default=%s", out, best)
	}
	if !containsAll(errOut, "bogus", "generic") {
		t.Errorf("GOFMA_KERNELS=bogus: warning %q does not name the value and the choices", errOut)
	}
}
