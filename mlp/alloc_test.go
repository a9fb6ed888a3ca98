package mlp

import (
	"context"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// TestStepAllocs checks that a training step allocates nothing once its
// workspace exists (X packed or not), on every implementation.
func TestStepAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race; skipped with -short")
	}
	X, Y := refData(300)
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			s := newStepper(t, refNet(t), X, Y)
			s.run()
			if a := testing.AllocsPerRun(5, s.run); a != 0 {
				t.Errorf("a full-batch step of the reference network allocates %v times", a)
			}
			xs := X.RawMatrix() // and on X packed once, as full-batch Fit does
			s.n.train.packX(xs.Data, xs.Stride, xs.Rows, xs.Cols)
			s.run()
			if a := testing.AllocsPerRun(5, s.run); a != 0 {
				t.Errorf("a full-batch step on packed X allocates %v times", a)
			}
			// A softmax network over several loss tiles (width 1100:
			// 16 rows a tile).
			n, err := New(Config{Inputs: refInputs, Hidden: []Layer{{32, Tanh}}, Outputs: 1100, Loss: CrossEntropy, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			labels := make([]int, 300)
			for i := range labels {
				labels[i] = i % 1100
			}
			Y10, err := OneHot(labels, 1100)
			if err != nil {
				t.Fatal(err)
			}
			s = newStepper(t, n, X, Y10)
			s.run()
			if a := testing.AllocsPerRun(5, s.run); a != 0 {
				t.Errorf("a full-batch step of a softmax network allocates %v times", a)
			}
		})
	}
}

// TestFitAllocs checks that Fit's allocations do not grow with the
// number of steps, for every loss: mini-batch SGD and Adam, full-batch GD.
func TestFitAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race; skipped with -short")
	}
	X, Y := blobs(200, 1)
	Yb := mat32.NewDense(200, 1, nil)
	for r := 0; r < 200; r++ {
		Yb.Set(r, 0, Y.At(r, 0))
	}
	progress := func(Progress) error { return nil }
	for _, loss := range []Loss{BinaryCrossEntropy, CrossEntropy, MeanSquaredError} {
		t.Run("loss="+loss.String(), func(t *testing.T) {
			outs, y := 1, Yb
			if loss == CrossEntropy {
				outs, y = 3, Y
			}
			n, err := New(Config{Inputs: 2, Hidden: []Layer{{32, Tanh}, {16, ReLU}}, Outputs: outs, Loss: loss, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			for i, opt := range []Optimizer{SGD{}, Adam{}, GD{}, AdamW{}, Momentum{}} {
				allocs := func(epochs int) float64 {
					cfg := FitConfig{Optimizer: opt, Epochs: epochs, Seed: 1, OnStep: progress, OnEpoch: progress}
					if i >= 3 { // with every regulariser and a schedule
						cfg.WeightDecay, cfg.Dropout, cfg.Schedule = 1e-4, 0.2, Warmup{Steps: 3, Then: Cosine{Steps: 20}}
					}
					if _, ok := opt.(GD); !ok {
						cfg.BatchSize = 30
					}
					return testing.AllocsPerRun(3, func() {
						if _, err := n.Fit(context.Background(), X, y, cfg); err != nil {
							t.Fatal(err)
						}
					})
				}
				one, five := allocs(1), allocs(5)
				if five != one {
					t.Errorf("%v: Fit allocates %v times for 1 epoch, %v for 5", opt, one, five)
				}
			}
		})
	}
}
