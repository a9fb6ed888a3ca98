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

// trainData returns random data of the reference workload's shape: 11,272
// samples of 784 pixels in [0, 1], labels 0 or 1.
func trainData() (X, Y *mat32.Dense) {
	const samples, in = 11272, 784
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, samples*in)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]float32, samples)
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	return mat32.NewDense(samples, in, x), mat32.NewDense(samples, 1, y)
}

// trainNet returns the reference workload's 784-196-1 sigmoid network
// training on impl: gofma's kernels of that name, fused, or another
// implementation's Sgemm under gofma's elementwise kernels.
func trainNet(tb testing.TB, im Impl) *mlp.Network {
	n, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []mlp.Layer{{Units: 196, Act: mlp.Sigmoid}},
		Outputs: 1, Loss: mlp.BinaryCrossEntropy, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	if err := kernels.Use(im.Name); err != nil { // not one of gofma's
		if err := kernels.Use("auto"); err != nil {
			tb.Fatal(err)
		}
		n.SetGEMM(im.Sgemm)
	}
	return n
}

// BenchmarkTrainStep times full-batch GD steps of the reference workload
// (MNIST 5 vs 8 shape: 11,272 × 784-196-1, sigmoid, binary cross-entropy)
// per implementation: BenchmarkTrainStep/impl=IMPL/threads=N, in ms/step
// and GFLOP/s of the step's matrix products.
func BenchmarkTrainStep(b *testing.B) {
	X, Y := trainData()
	defer kernels.Use("auto")
	for _, im := range Impls() {
		b.Run("impl="+im.Name, func(b *testing.B) {
			for _, t := range im.Threads {
				b.Run(fmt.Sprintf("threads=%d", t), func(b *testing.B) {
					if p := runtime.GOMAXPROCS(0); t > p {
						b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", t, t, p)
					}
					defer im.SetThreads(im.SetThreads(t))
					n := trainNet(b, im)
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
					step := (res.Forward + res.Backward + res.Update).Seconds() / float64(b.N)
					b.ReportMetric(step*1e3, "ms/step")
					b.ReportMetric(n.FLOPs(11272)/step/1e9, "GFLOP/s")
				})
			}
		})
	}
}

// TestTrainStepImpls checks that one training step gives about the same
// loss on every implementation.
func TestTrainStepImpls(t *testing.T) {
	if testing.Short() {
		t.Skip("a step on the pure-Go paths takes seconds")
	}
	X, Y := trainData()
	defer kernels.Use("auto")
	var want float64
	for i, im := range Impls() {
		n := trainNet(t, im)
		res, err := n.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.GD{LR: 0.1}, Iterations: 2})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want = res.Loss
		} else if d := res.Loss - want; d > 1e-4 || d < -1e-4 {
			t.Errorf("impl=%s: loss after 2 steps %v, impl=%s %v", im.Name, res.Loss, Impls()[0].Name, want)
		}
	}
}
