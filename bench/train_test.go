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
	mnistdata "github.com/gofma/gofma/mnist" // shapes_test.go's mnist names a shape
)

// The seed workload's shape: MNIST 5 vs 8, 784-196-1, full batch. shapes
// takes its GEMMs from these too.
const (
	refSamples = 11272
	refInputs  = 784
	refHidden  = 196
)

// workload is one reference training workload: a network, an optimizer,
// the batch sizes it trains with, and its data: MNIST's training images of
// its digits, or random data of their shape.
type workload struct {
	name     string
	samples  int   // samples in the benchmark's data
	digits   []int // the MNIST digits it tells apart (nil: all ten)
	net      mlp.Config
	opt      mlp.Optimizer
	batches  []int  // samples per step; 0 is the full batch
	dataSeed uint64 // seeds the random data's generator (PCG(dataSeed, dataSeed+1))
	// data returns the benchmark's data, made on the first call and kept.
	data func() trainData
}

// trainData is a workload's benchmark data: MNIST's training images of
// its digits (samples×784, pixels in [0, 1], about 80% of them zero) with
// their targets; or, where the MNIST files are not found, random data of
// the same shape (dense: no pixel is zero), and noMNIST says why.
type trainData struct {
	X, Y    *mat32.Dense
	noMNIST error
}

// The two reference workloads, each with its benchmark data made once,
// lazily (the everyday workload's X is 60,000 × 784 floats, 188 MB).
var (
	// seed: MNIST 5 vs 8, 11,272 × 784-196-1, sigmoid, binary
	// cross-entropy, full-batch GD with learning rate 0.1.
	seedWorkload = newWorkload(workload{name: "seed", samples: refSamples, digits: []int{5, 8},
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

// newWorkload returns w with its data function, which makes the data once:
// MNIST's, or random data where MNIST is not found.
func newWorkload(w workload) workload {
	w.data = sync.OnceValue(func() trainData {
		X, Y, err := w.mnistData()
		if err != nil {
			X, Y = w.makeData(w.samples)
		}
		return trainData{X, Y, err}
	})
	return w
}

// mnistTrain returns MNIST's training set (60,000 images of all ten
// digits), read on the first call from where mnist.Find looks
// ($MNIST_DIR, else the copy in the module cache) and kept.
var mnistTrain = sync.OnceValues(func() (*mnistdata.Set, error) {
	train, _, err := mnistdata.Load("")
	return train, err
})

// mnistData returns MNIST's training images of w's digits, samples as
// rows, and their targets: 0 or 1 for one output (the first digit is 0),
// one-hot classes for several.
func (w workload) mnistData() (X, Y *mat32.Dense, err error) {
	s, err := mnistTrain()
	if err != nil {
		return nil, nil, err
	}
	if w.digits != nil {
		if s, err = s.Filter(w.digits); err != nil {
			return nil, nil, err
		}
	}
	if s.N != w.samples || s.Pixels() != w.net.Inputs {
		return nil, nil, fmt.Errorf("MNIST's training set has %d images of %d pixels of digits %v, want %d of %d", s.N, s.Pixels(), s.Digits, w.samples, w.net.Inputs)
	}
	X = mat32.NewDense(s.N, s.Pixels(), s.Images)
	if w.net.Outputs == 1 {
		y := make([]float32, s.N)
		for i, c := range s.Labels {
			y[i] = float32(c)
		}
		return X, mat32.NewDense(s.N, 1, y), nil
	}
	Y, err = mlp.OneHot(s.Labels, w.net.Outputs)
	return X, Y, err
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
// (0: the full batch), the first layer's products on the path sparse says;
// mini-batches are shuffled from a fixed seed. It also returns the time
// from Fit's start to the end of its first step: Fit's one-time setup
// (packing X for the full batch, or making X's CSR form) and that step.
func (w workload) fit(tb testing.TB, n *mlp.Network, X, Y *mat32.Dense, batch, steps int, sparse mlp.SparseMode) (res mlp.Result, first time.Duration) {
	res, err := n.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: w.opt, BatchSize: batch, Seed: 1, Iterations: steps, Sparse: sparse,
		OnStep: func(p mlp.Progress) error {
			if p.Step == 1 {
				first = p.Elapsed
			}
			return nil
		}})
	if err != nil {
		tb.Fatal(err)
	}
	if want := sparse == mlp.SparseOn; res.Sparse != want {
		tb.Fatalf("Fit with Sparse %v: Result.Sparse %v", sparse, res.Sparse)
	}
	return res, first
}

// paths are the first layer's two paths, as BenchmarkTrainStep names them.
var paths = []struct {
	name string
	mode mlp.SparseMode
}{{"dense", mlp.SparseOff}, {"sparse", mlp.SparseOn}}

func batchName(batch int) string {
	if batch == 0 {
		return "full"
	}
	return fmt.Sprint(batch)
}

// BenchmarkTrainStep times training steps of both reference workloads per
// implementation and path of the first layer:
//
//	BenchmarkTrainStep/workload=seed/batch=full/impl=IMPL/path=P/threads=N
//	BenchmarkTrainStep/workload=everyday/batch=B/impl=IMPL/path=P/threads=N  (B = 32, 128, 512)
//
// with the workloads of seedWorkload and everydayWorkload on MNIST's
// training images of their digits (see trainData). path=dense computes the
// first layer's two products (forward and weight gradient) from X as a
// dense matrix, path=sparse from X in CSR form, skipping its zeros
// (mlp.SparseOff, SparseOn); path=sparse runs on gofma's implementations
// only (impl.sparse), and is skipped where MNIST is not found, as random
// data has no zeros to skip.
//
// Each runs b.N+1 steps in one Fit and reports ms/step, the steady state:
// Fit's time after its first step over the b.N steps that follow (whole
// steps: mini-batch shuffling and gathering included). The first step,
// with Fit's one-time setup before it (packing X for the full batch; for
// path=sparse, making X's CSR form, of all 60,000 images for mini-batches,
// some 50 ms), is ms/first-step: counted in with the others it would weigh
// more or less with b.N, that is with -benchtime. It also reports
// samples/s and GFLOP/s of the steady steps' matrix products (mlp's
// Network.FLOPs of their samples: the dense products' FLOPs on both paths,
// so the sparse path's rate is what the dense products would need to match
// it) and %peak, GFLOP/s as a share of kernels.MeasurePeak on N threads
// measured just before the timed steps (none where the probe cannot run,
// as with purego). The network runs on the implementation's kernels.Impl
// as the default, so a baseline's products run under gofma's elementwise
// kernels, which run on N threads too; every implementation takes the same
// steps from the same weights. ns/op is less telling than ms/step: it also
// counts the first step, Fit's setup and its check of the data (finite
// inputs, valid targets), once per Fit.
func BenchmarkTrainStep(b *testing.B) {
	impls := impls()
	for _, w := range workloads() {
		b.Run("workload="+w.name, func(b *testing.B) {
			for _, batch := range w.batches {
				b.Run("batch="+batchName(batch), func(b *testing.B) {
					for _, im := range impls {
						b.Run("impl="+im.name, func(b *testing.B) {
							for _, p := range paths {
								if p.mode == mlp.SparseOn && !im.sparse {
									continue
								}
								b.Run("path="+p.name, func(b *testing.B) {
									for _, t := range threadsOf(im) {
										b.Run(fmt.Sprintf("threads=%d", t), func(b *testing.B) {
											benchTrain(b, w, batch, im, p.mode, t)
										})
									}
								})
							}
						})
					}
				})
			}
		})
	}
}

func benchTrain(b *testing.B, w workload, batch int, im impl, sparse mlp.SparseMode, threads int) {
	if p := runtime.GOMAXPROCS(0); threads > p {
		b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", threads, threads, p)
	}
	d := w.data()
	if sparse == mlp.SparseOn && d.noMNIST != nil {
		b.Skipf("path=sparse needs MNIST's images, with their zeros (set MNIST_DIR): %v", d.noMNIST)
	}
	X, Y := d.X, d.Y
	defer im.setThreads(im.setThreads(threads))
	defer kernels.SetThreads(kernels.SetThreads(threads))
	defer kernels.Swap(kernels.Swap(im.kernels))
	n := w.newNet(b)
	w.fit(b, n, X, Y, batch, 1, sparse) // makes the workspace
	peak, peakErr := kernels.MeasurePeak(threads, 100*time.Millisecond)
	b.ResetTimer()
	res, first := w.fit(b, n, X, Y, batch, b.N+1, sparse)
	b.StopTimer()
	// The only callback notes the time of the first step: Elapsed less
	// that is the b.N steps after it, with the shuffles and gathers of
	// mini-batches. The first step is a whole batch (batch ≤ the samples);
	// FLOPs is linear in the rows, so FLOPs(samples) counts an epoch's
	// smaller last batch right.
	rows, _ := X.Dims()
	if batch > 0 {
		rows = min(batch, rows)
	}
	sec, samples := (res.Elapsed - first).Seconds(), res.Samples-rows
	gflops := n.FLOPs(samples) / sec / 1e9
	b.ReportMetric(sec/float64(res.Steps-1)*1e3, "ms/step")
	b.ReportMetric(first.Seconds()*1e3, "ms/first-step")
	b.ReportMetric(float64(samples)/sec, "samples/s")
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
					res, _ := c.w.fit(t, c.w.newNet(t), X, Y, c.batch, c.steps, mlp.SparseOff)
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

// TestTrainStepPaths checks BenchmarkTrainStep's data and paths on each of
// gofma's implementations: each workload's data is MNIST's, with its
// density of non-zero pixels, and the sparse path reaches about the loss of
// the dense one after the steps of TestTrainStepImpls on the first 1,000
// images.
func TestTrainStepPaths(t *testing.T) {
	if _, err := mnistdata.Find(""); err != nil {
		t.Skip("no MNIST data:", err)
	}
	cases := []struct {
		w              workload
		samples, batch int
		steps          int
	}{
		{seedWorkload, 1000, 0, 2},
		{everydayWorkload, 1000, 128, 9},
	}
	for _, c := range cases {
		t.Run("workload="+c.w.name, func(t *testing.T) {
			d := c.w.data()
			if d.noMNIST != nil {
				t.Fatal(d.noMNIST)
			}
			if r, _ := d.X.Dims(); r != c.w.samples {
				t.Fatalf("%d samples, want %d", r, c.w.samples)
			}
			X, Y := d.X.Slice(0, c.samples, 0, refInputs), d.Y.Slice(0, c.samples, 0, c.w.net.Outputs)
			for _, im := range impls() {
				if !im.sparse {
					continue
				}
				func() {
					defer kernels.Swap(kernels.Swap(im.kernels))
					var loss [2]float64
					for i, p := range paths {
						res, _ := c.w.fit(t, c.w.newNet(t), X, Y, c.batch, c.steps, p.mode)
						if res.Steps != c.steps {
							t.Fatalf("impl=%s/path=%s: %d steps, want %d", im.name, p.name, res.Steps, c.steps)
						}
						if p.mode == mlp.SparseOn && (res.Density < 0.15 || res.Density > 0.25) {
							t.Errorf("impl=%s/path=%s: density %v, want MNIST's, about 0.2", im.name, p.name, res.Density)
						}
						loss[i] = res.Loss
					}
					t.Logf("impl=%s: loss after %d steps %v dense, %v sparse", im.name, c.steps, loss[0], loss[1])
					if d := loss[1] - loss[0]; d > 1e-5 || d < -1e-5 {
						t.Errorf("impl=%s: loss after %d steps %v sparse, %v dense", im.name, c.steps, loss[1], loss[0])
					}
				}()
			}
		})
	}
}
