package main

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// tinyData returns n random samples of 20 inputs with 0/1 labels.
func tinyData(n int) *data {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float32, n*20), make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	set := dataset{mat32.NewDense(n, 20, x), mat32.NewDense(n, 1, y), n}
	return &data{train: set, test: set, classes: 2, loss: mlp.BinaryCrossEntropy}
}

// TestCompareCancelled checks that -compare stops with the context's error
// when it ends (Ctrl-C), with the kernels and GOMAXPROCS as before.
func TestCompareCancelled(t *testing.T) {
	procs, impl := runtime.GOMAXPROCS(0), kernels.Default()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := &options{hidden: []int{8}, act: mlp.Sigmoid, opt: "gd", optimizer: mlp.GD{LR: 0.1}, lr: 0.1, compareSteps: 2, seed: 1}
	d := tinyData(50)
	rows, err := compare(ctx, o, d, netConfig(o, 20, d.outputs(), d.loss))
	if !errors.Is(err, context.Canceled) || rows != nil {
		t.Errorf("compare with a cancelled context: %d rows, error %v", len(rows), err)
	}
	if runtime.GOMAXPROCS(0) != procs || kernels.Default() != impl {
		t.Errorf("after a cancelled compare: GOMAXPROCS %d (was %d), kernels %s (was %s)",
			runtime.GOMAXPROCS(0), procs, kernels.Default().Name(), impl.Name())
	}
}

// TestCompare runs -compare's rows on one thread and checks what they say:
// one row per implementation on that thread, GFLOP/s of the whole steps,
// times relative to the first row, about the same loss, the path -sparse
// says; and that the kernels and GOMAXPROCS are as before afterwards.
func TestCompare(t *testing.T) {
	for _, mode := range []mlp.SparseMode{mlp.SparseOff, mlp.SparseOn} {
		t.Run("sparse="+mode.String(), func(t *testing.T) { testCompare(t, mode) })
	}
}

// testCompare is TestCompare with -sparse mode: every row takes the
// path the mode says (tinyData's X is dense).
func testCompare(t *testing.T, mode mlp.SparseMode) {
	const n, steps = 300, 2
	defer kernels.SetThreads(kernels.SetThreads(1))
	procs, impl := runtime.GOMAXPROCS(0), kernels.Default()
	o := &options{hidden: []int{8}, act: mlp.Sigmoid, opt: "gd", optimizer: mlp.GD{LR: 0.1}, lr: 0.1, compareSteps: steps, seed: 1, sparse: mode}
	d := tinyData(n)
	rows, err := compare(context.Background(), o, d, netConfig(o, 20, d.outputs(), d.loss))
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS %d after compare, was %d", got, procs)
	}
	if kernels.Default() != impl {
		t.Errorf("kernels %s after compare, was %s", kernels.Default().Name(), impl.Name())
	}
	wantNames := []string{"gofma " + impl.Name(), "gofma generic (pure Go)", "gonum Sgemm, gofma " + impl.Name() + " elementwise"}
	if impl.Name() == "generic" {
		wantNames = append(wantNames[:1], wantNames[2])
	}
	if len(rows) != len(wantNames) {
		t.Fatalf("%d rows, want %d (%v)", len(rows), len(wantNames), wantNames)
	}
	net, err := newNet(o, d)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if !strings.HasPrefix(r.Name, wantNames[i]) {
			t.Errorf("row %d is %q, want %q", i, r.Name, wantNames[i])
		}
		if r.Threads != 1 || r.Steps != steps {
			t.Errorf("%s: %d threads, %d steps; want 1 and %d", r.Name, r.Threads, r.Steps, steps)
		}
		if r.Sparse != (mode == mlp.SparseOn) {
			t.Errorf("%s: sparse %v with -sparse %v", r.Name, r.Sparse, mode)
		}
		// Full batch: every step is n samples.
		if want := net.FLOPs(n) / (float64(r.MsPerStep) / 1e3) / 1e9; r.MsPerStep <= 0 || math.Abs(float64(r.GFLOPS)-want) > 1e-9*want {
			t.Errorf("%s: %.4g GFLOP/s at %.4g ms/step, want %.4g", r.Name, r.GFLOPS, r.MsPerStep, want)
		}
		if want := r.MsPerStep / rows[0].MsPerStep; r.TimeVsGofma != want {
			t.Errorf("%s: time vs gofma %v, want %v", r.Name, r.TimeVsGofma, want)
		}
		if math.Abs(float64(r.Loss-rows[0].Loss)) > 1e-5 {
			t.Errorf("%s: loss %v, first row %v", r.Name, r.Loss, rows[0].Loss)
		}
	}
}

// TestWriteCompare checks the -compare table and the rows' JSON names.
func TestWriteCompare(t *testing.T) {
	rows := []row{
		{Name: "gofma avx2 (fused epilogues)", Threads: 2, Steps: 3, Sparse: true, MsPerStep: 10, GFLOPS: 80, TimeVsGofma: 1, Loss: 0.5},
		{Name: "gonum Sgemm, gofma avx2 elementwise", Threads: 2, Steps: 3, Sparse: true, MsPerStep: 160, GFLOPS: 5, TimeVsGofma: 16, Loss: 0.5},
	}
	var b strings.Builder
	writeCompare(&b, rows)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "compare: the same 3 steps from the same start, first layer sparse (") {
		t.Fatalf("table:\n%s", b.String())
	}
	for i, want := range [][]string{
		{"implementation", "threads", "ms/step", "GFLOP/s", "× gofma's time", "loss"},
		{"gofma avx2 (fused epilogues)", "2", "10.00", "80.0", "1.00", "0.50000"},
		{"gonum Sgemm, gofma avx2 elementwise", "2", "160.00", "5.0", "16.00", "0.50000"},
	} {
		line := lines[i+1]
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("line %q lacks %q", line, w)
			}
		}
	}
	// A row whose path differs from the first's (which compare never
	// makes) says so after its name.
	rows[1].Sparse = false
	b.Reset()
	writeCompare(&b, rows)
	if !strings.Contains(b.String(), "\ngonum Sgemm, gofma avx2 elementwise, dense ") {
		t.Errorf("a dense row under a sparse heading does not say so:\n%s", b.String())
	}
	rows[1].Sparse = true
	js, err := json.Marshal(rows[1])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"name":"gonum Sgemm, gofma avx2 elementwise","threads":2,"steps":3,"sparse":true,"ms_per_step":160,"gflops":5,"time_vs_gofma":16,"loss":0.5}`
	if string(js) != want {
		t.Errorf("JSON %s, want %s", js, want)
	}
}
