package mlp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// TestThreadsBitwise trains on 1, 2, 3 and 7 threads and checks that the
// weights and losses are bitwise identical: tiles depend on the shapes
// only. The shapes are large enough that the GEMMs split across threads
// (more than 2^21 multiply-adds per thread) and the row-tile passes make
// several tiles.
func TestThreadsBitwise(t *testing.T) {
	rows, hidden := 500, refHidden
	threads := []int{1, 2, 3, 7}
	if testing.Short() {
		rows, hidden, threads = 200, 64, []int{1, 3}
	}
	X, Y := refData(rows)
	rng := rand.New(rand.NewPCG(3, 4))
	labels := make([]int, rows)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	Y10, err := OneHot(labels, 10)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  Config
		Y    *mat32.Dense
		fit  FitConfig
	}{
		{"reference", Config{Inputs: refInputs, Hidden: []Layer{{hidden, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1},
			Y, FitConfig{Optimizer: GD{LR: 0.1}, Iterations: 3}},
		{"softmax", Config{Inputs: refInputs, Hidden: []Layer{{hidden / 2, Tanh}, {40, ReLU}}, Outputs: 10, Loss: CrossEntropy, Init: InitXavier, Seed: 2},
			Y10, FitConfig{Optimizer: Adam{}, Epochs: 1, BatchSize: rows * 2 / 5, Seed: 5}},
		{"regularised", Config{Inputs: refInputs, Hidden: []Layer{{hidden, ReLU}, {40, Sigmoid}}, Outputs: 10, Loss: CrossEntropy, Seed: 3},
			Y10, FitConfig{Optimizer: AdamW{}, Epochs: 1, BatchSize: rows / 2, Seed: 6, Dropout: 0.25, WeightDecay: 1e-3,
				Schedule: Warmup{Steps: 1, Then: Exponential{Gamma: 0.5}}}},
	}
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			prev := kernels.SetThreads(0)
			t.Cleanup(func() { kernels.SetThreads(prev) })
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					var w0 []float32
					var l0 []float64
					for _, th := range threads {
						kernels.SetThreads(th)
						n, err := New(c.cfg)
						if err != nil {
							t.Fatal(err)
						}
						var losses []float64
						f := c.fit
						f.OnStep = func(p Progress) error { losses = append(losses, p.Loss); return nil }
						if _, err := n.Fit(context.Background(), X, c.Y, f); err != nil {
							t.Fatal(err)
						}
						if w0 == nil {
							w0, l0 = n.params, losses
							continue
						}
						for i := range losses {
							if losses[i] != l0[i] {
								t.Errorf("%d threads: loss of step %d is %v, on 1 thread %v", th, i+1, losses[i], l0[i])
							}
						}
						for i, v := range n.params {
							if math.Float32bits(v) != math.Float32bits(w0[i]) {
								t.Fatalf("%d threads: param %d (%s) is %v, on 1 thread %v", th, i, n.paramName(i), v, w0[i])
							}
						}
					}
				})
			}
		})
	}
}
