package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// The seed workload's shape: MNIST 5 vs 8, 784-196-1, full batch. shapes
// takes its GEMMs from these too.
const (
	refSamples = 11272
	refInputs  = 784
	refHidden  = 196
)

// workload is one reference training workload: a network, an optimizer,
// the batch sizes it trains with, and random data of its shape.
type workload struct {
	name     string
	samples  int // samples in the benchmark's data
	net      mlp.Config
	opt      mlp.Optimizer
	batches  []int  // samples per step; 0 is the full batch
	dataSeed uint64 // seeds the data generator (PCG(dataSeed, dataSeed+1))
	// data returns the benchmark's data, made on the first call and kept.
	data func() (X, Y *mat32.Dense)
}

// The two reference workloads, each with its benchmark data made once,
// lazily (the everyday workload's X is 60,000 × 784 floats, 188 MB).
var (
	// seed: MNIST 5 vs 8, 11,272 × 784-196-1, sigmoid, binary
	// cross-entropy, full-batch GD with learning rate 0.1.
	seedWorkload = newWorkload(workload{name: "seed", samples: refSamples,
		net: mlp.Config{Inputs: refInputs, Hidden: []mlp.Layer{{Units: refHidden, Act: mlp.Sigmoid}},
			Outputs: 1, Loss: mlp.BinaryCrossEntropy, Seed: 1},
		opt: mlp.GD{LR: 0.1}, batches: []int{0}, dataSeed: 3})
	// everyday: all ten digits, 60,000 × 784-256-128-10, sigmoid, softmax
	// cross-entropy on one-hot targets, Adam with its defaults, batches of
	// 32, 128 and 512 (Fit's mini-batch path: shuffled each epoch from a
	// seed, gathered on the pool).
	everydayWorkload = newWorkload(workload{name: "everyday", samples: 60000,
		net: mlp.Config{Inputs: refInputs, Hidden: []mlp.Layer{{Units: 256, Act: mlp.Sigmoid}, {Units: 128, Act: mlp.Sigmoid}},
			Outputs: 10, Loss: mlp.CrossEntropy, Seed: 1},
		opt: mlp.Adam{}, batches: []int{32, 128, 512}, dataSeed: 5})
)

// newWorkload returns w with its data function, which makes the data once.
func newWorkload(w workload) workload {
	w.data = sync.OnceValues(func() (*mat32.Dense, *mat32.Dense) { return w.makeData(w.samples) })
	return w
}

func workloads() []workload { return []workload{seedWorkload, everydayWorkload} }

// makeData returns random data of w's shape with the given number of
// samples: pixels in [0, 1], labels random (0 or 1 for one output, one-hot
// classes for several).
func (w workload) makeData(samples int) (X, Y *mat32.Dense) {
	rng := rand.New(rand.NewPCG(w.dataSeed, w.dataSeed+1))
	x := make([]float32, samples*w.net.Inputs)
	for i := range x {
		x[i] = rng.Float32()
	}
	if w.net.Outputs == 1 {
		y := make([]float32, samples)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
		return mat32.NewDense(samples, w.net.Inputs, x), mat32.NewDense(samples, 1, y)
	}
	labels := make([]int, samples)
	for i := range labels {
		labels[i] = rng.IntN(w.net.Outputs)
	}
	Y, err := mlp.OneHot(labels, w.net.Outputs)
	if err != nil {
		panic(err)
	}
	return mat32.NewDense(samples, w.net.Inputs, x), Y
}

// newNet returns w's network, always with the same weights.
func (w workload) newNet(tb testing.TB) *mlp.Network {
	n, err := mlp.New(w.net)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// fit runs steps training steps of w on X, Y with batch samples per step
// (0: the full batch); mini-batches are shuffled from a fixed seed.
func (w workload) fit(tb testing.TB, n *mlp.Network, X, Y *mat32.Dense, batch, steps int) mlp.Result {
	res, err := n.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: w.opt, BatchSize: batch, Seed: 1, Iterations: steps})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func batchName(batch int) string {
	if batch == 0 {
		return "full"
	}
	return fmt.Sprint(batch)
}

// BenchmarkTrainStep times training steps of both reference workloads per
// implementation:
//
//	BenchmarkTrainStep/workload=seed/batch=full/impl=IMPL/threads=N
//	BenchmarkTrainStep/workload=everyday/batch=B/impl=IMPL/threads=N  (B = 32, 128, 512)
//
// with the workloads of seedWorkload and everydayWorkload on random data of
// their shapes. Each reports ms/step (the whole of Fit over its steps:
// mini-batch gathering and shuffling included, and for the full batch the
// one packing of X), samples/s, GFLOP/s of the step's matrix products
// (mlp's Network.FLOPs of the samples processed) and %peak, GFLOP/s as a
// share of kernels.MeasurePeak on N threads measured just before the timed
// steps (none where the probe cannot run, as with purego). The network runs
// on the implementation's kernels.Impl as the default, so a baseline's
// products run under gofma's elementwise kernels, which run on N threads
// too; every implementation takes the same steps from the same weights.
// ns/op is less telling than ms/step: it also counts Fit's check of the
// data (finite inputs, valid targets), once per Fit.
func BenchmarkTrainStep(b *testing.B) {
	impls := impls()
	for _, w := range workloads() {
		b.Run("workload="+w.name, func(b *testing.B) {
			for _, batch := range w.batches {
				b.Run("batch="+batchName(batch), func(b *testing.B) {
					for _, im := range impls {
						b.Run("impl="+im.name, func(b *testing.B) {
							for _, t := range im.threads {
								b.Run(fmt.Sprintf("threads=%d", t), func(b *testing.B) {
									benchTrain(b, w, batch, im, t)
								})
							}
						})
					}
				})
			}
		})
	}
}

func benchTrain(b *testing.B, w workload, batch int, im impl, threads int) {
	if p := runtime.GOMAXPROCS(0); threads > p {
		b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", threads, threads, p)
	}
	X, Y := w.data()
	defer im.setThreads(im.setThreads(threads))
	defer kernels.SetThreads(kernels.SetThreads(threads))
	defer kernels.Swap(kernels.Swap(im.kernels))
	n := w.newNet(b)
	w.fit(b, n, X, Y, batch, 1) // makes the workspace
	peak, peakErr := kernels.MeasurePeak(threads, 100*time.Millisecond)
	b.ResetTimer()
	res := w.fit(b, n, X, Y, batch, b.N)
	b.StopTimer()
	// No callbacks: Elapsed is the steps, with the shuffles and gathers of
	// mini-batches or the one packing of X of the full batch. FLOPs is
	// linear in the rows, so FLOPs(Samples) counts an epoch's smaller last
	// batch right.
	sec := res.Elapsed.Seconds()
	gflops := n.FLOPs(res.Samples) / sec / 1e9
	b.ReportMetric(sec/float64(res.Steps)*1e3, "ms/step")
	b.ReportMetric(float64(res.Samples)/sec, "samples/s")
	b.ReportMetric(gflops, "GFLOP/s")
	if peakErr == nil {
		b.ReportMetric(100*gflops/peak, "%peak")
	}
}

// TestTrainStepImpls checks that every implementation reaches about the
// same loss after a few steps of each workload, on small random data of
// its shape: two full-batch GD steps of the seed workload, and nine
// mini-batches of 128 of the everyday workload (Adam), whose ninth starts
// a second, reshuffled epoch after a smaller last batch.
func TestTrainStepImpls(t *testing.T) {
	cases := []struct {
		w              workload
		samples, batch int
		steps          int
	}{
		{seedWorkload, 1000, 0, 2},
		{everydayWorkload, 1000, 128, 9},
	}
	all := impls()
	for _, c := range cases {
		t.Run("workload="+c.w.name, func(t *testing.T) {
			X, Y := c.w.makeData(c.samples)
			var want float64
			for i, im := range all {
				func() {
					defer kernels.Swap(kernels.Swap(im.kernels))
					res := c.w.fit(t, c.w.newNet(t), X, Y, c.batch, c.steps)
					if res.Steps != c.steps {
						t.Fatalf("impl=%s: %d steps, want %d", im.name, res.Steps, c.steps)
					}
					t.Logf("impl=%s: loss after %d steps %v", im.name, c.steps, res.Loss)
					if i == 0 {
						want = res.Loss
					} else if d := res.Loss - want; d > 1e-5 || d < -1e-5 {
						t.Errorf("impl=%s: loss after %d steps %v, impl=%s %v", im.name, c.steps, res.Loss, all[0].name, want)
					}
				}()
			}
		})
	}
}
