package mlp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// fitTwice trains a new network of cfg on X1, then on X2, full batch, with
// X packed or not, and returns its weights, the losses of every step and
// the last Fit's Result.
func fitTwice(t *testing.T, cfg Config, fit FitConfig, X1, X2, Y *mat32.Dense, pack bool) ([]float32, []float64, Result) {
	t.Helper()
	prev := prepackX
	prepackX = pack
	defer func() { prepackX = prev }()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	fit.OnStep = func(p Progress) error { losses = append(losses, p.Loss); return nil }
	var res Result
	for _, X := range []*mat32.Dense{X1, X2} {
		if res, err = n.Fit(context.Background(), X, Y, fit); err != nil {
			t.Fatal(err)
		}
	}
	return n.params, losses, res
}

// TestFitPrepackedBitwise checks that full-batch Fit, which packs X once,
// trains bitwise as it does without packing, on every implementation: on
// X with a row stride of its own, and on a second Fit with other data,
// which must be packed again.
func TestFitPrepackedBitwise(t *testing.T) {
	rows := 400
	if testing.Short() {
		rows = 150
	}
	X1, Y := refData(rows)
	rng := rand.New(rand.NewPCG(5, 6))
	wide := mat32.NewDense(rows, refInputs+5, nil)
	for r := 0; r < rows; r++ {
		for j := 0; j < refInputs+5; j++ {
			wide.Set(r, j, rng.Float32())
		}
	}
	X2 := wide.Slice(0, rows, 0, refInputs) // strided
	labels := make([]int, rows)
	for i := range labels {
		labels[i] = i * 7 % 10
	}
	Y10, err := OneHot(labels, 10)
	if err != nil {
		t.Fatal(err)
	}
	sigmoid := Config{Inputs: refInputs, Hidden: []Layer{{refHidden, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1}
	softmax := Config{Inputs: refInputs, Hidden: []Layer{{37, Tanh}, {20, ReLU}}, Outputs: 10, Loss: CrossEntropy, Seed: 2}
	cases := []struct {
		cfg Config
		Y   *mat32.Dense
		fit FitConfig
	}{
		{sigmoid, Y, FitConfig{Optimizer: GD{LR: 0.1}, Iterations: 2}},
		{softmax, Y10, FitConfig{Optimizer: Adam{}, Iterations: 2}},
	}
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			for _, c := range cases {
				w0, l0, r0 := fitTwice(t, c.cfg, c.fit, X1, X2, c.Y, false)
				w1, l1, r1 := fitTwice(t, c.cfg, c.fit, X1, X2, c.Y, true)
				if r0.Prepacked != nil || len(r1.Prepacked) != 2 {
					t.Errorf("%s: Prepacked %q unpacked, %q packed", c.cfg.Loss, r0.Prepacked, r1.Prepacked)
				}
				for i := range l0 {
					if math.Float64bits(l1[i]) != math.Float64bits(l0[i]) {
						t.Errorf("%s: loss of step %d is %v packed, %v not", c.cfg.Loss, i+1, l1[i], l0[i])
					}
				}
				for i := range w0 {
					if math.Float32bits(w1[i]) != math.Float32bits(w0[i]) {
						t.Fatalf("%s: param %d is %v packed, %v not", c.cfg.Loss, i, w1[i], w0[i])
					}
				}
			}
		})
	}
}

// TestFitPrepackedWorkspace checks that the packed copies of X stay with
// the training workspace after a full-batch Fit, unused outside it, and
// that a mini-batch Fit drops them.
func TestFitPrepackedWorkspace(t *testing.T) {
	X, Y := refData(60)
	n := refNet(t)
	if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{LR: 0.1}, Iterations: 1}); err != nil {
		t.Fatal(err)
	}
	ws := n.train
	if ws.packed || ws.xa.Len() < 60*refInputs || ws.xb.Len() < 60*refInputs {
		t.Fatalf("after a full-batch Fit: packed %t, Len %d and %d, want false and at least %d", ws.packed, ws.xa.Len(), ws.xb.Len(), 60*refInputs)
	}
	X2, Y2 := refData(120)
	if _, err := n.Fit(context.Background(), X2, Y2, FitConfig{Optimizer: SGD{LR: 0.1}, BatchSize: 60, Iterations: 1}); err != nil {
		t.Fatal(err)
	}
	if n.train != ws || ws.xa.Len() != 0 || ws.xb.Len() != 0 {
		t.Fatalf("after a mini-batch Fit with the same workspace: Len %d and %d, want 0", ws.xa.Len(), ws.xb.Len())
	}
}
