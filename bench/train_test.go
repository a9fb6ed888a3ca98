package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// The reference workload's shape: MNIST 5 vs 8, 784-196-1, full batch.
const (
	refSamples = 11272
	refInputs  = 784
	refHidden  = 196
)

// trainData returns random data of the reference workload's shape:
// pixels in [0, 1], labels 0 or 1.
func trainData() (X, Y *mat32.Dense) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, refSamples*refInputs)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]float32, refSamples)
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	return mat32.NewDense(refSamples, refInputs, x), mat32.NewDense(refSamples, 1, y)
}

// trainNet returns the reference workload's 784-196-1 sigmoid network.
func trainNet(tb testing.TB) *mlp.Network {
	n, err := mlp.New(mlp.Config{Inputs: refInputs, Hidden: []mlp.Layer{{Units: refHidden, Act: mlp.Sigmoid}},
		Outputs: 1, Loss: mlp.BinaryCrossEntropy, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkTrainStep times full-batch GD steps of the reference workload
// (MNIST 5 vs 8 shape: 11,272 × 784-196-1, sigmoid, binary cross-entropy)
// per implementation: BenchmarkTrainStep/impl=IMPL/threads=N, in ms/step
// (the whole of Fit's steps) and GFLOP/s of the step's matrix products. The
// network runs on the implementation's kernels.Impl as the default, so a
// baseline's products run under gofma's elementwise kernels, which run on
// N threads too.
func BenchmarkTrainStep(b *testing.B) {
	X, Y := trainData()
	for _, im := range impls() {
		b.Run("impl="+im.name, func(b *testing.B) {
			for _, t := range im.threads {
				b.Run(fmt.Sprintf("threads=%d", t), func(b *testing.B) {
					if p := runtime.GOMAXPROCS(0); t > p {
						b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", t, t, p)
					}
					defer im.setThreads(im.setThreads(t))
					defer kernels.SetThreads(kernels.SetThreads(t))
					defer kernels.Swap(kernels.Swap(im.kernels))
					n := trainNet(b)
					fit := func(steps int) mlp.Result {
						res, err := n.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.GD{LR: 0.1}, Iterations: steps})
						if err != nil {
							b.Fatal(err)
						}
						return res
					}
					fit(1) // makes the workspace
					b.ResetTimer()
					res := fit(b.N)
					b.StopTimer()
					step := res.Elapsed.Seconds() / float64(res.Steps) // no callbacks: Elapsed is the steps and the one packing of X (full batch)
					b.ReportMetric(step*1e3, "ms/step")
					b.ReportMetric(n.FLOPs(refSamples)/step/1e9, "GFLOP/s")
				})
			}
		})
	}
}

// TestTrainStepImpls checks that two training steps give about the same
// loss on every implementation.
func TestTrainStepImpls(t *testing.T) {
	if testing.Short() {
		t.Skip("a step on the pure-Go paths takes seconds")
	}
	X, Y := trainData()
	all := impls()
	var want float64
	for i, im := range all {
		func() {
			defer kernels.Swap(kernels.Swap(im.kernels))
			res, err := trainNet(t).Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.GD{LR: 0.1}, Iterations: 2})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want = res.Loss
			} else if d := res.Loss - want; d > 1e-4 || d < -1e-4 {
				t.Errorf("impl=%s: loss after 2 steps %v, impl=%s %v", im.name, res.Loss, all[0].name, want)
			}
		}()
	}
}
