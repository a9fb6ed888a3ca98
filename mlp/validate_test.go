package mlp

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofma/gofma/mat32"
)

// overfitData returns a small training set and a validation set whose
// binary labels are coin flips: a large network learns the training set's
// noise, and its validation loss rises after a few epochs.
func overfitData() (X, Y, VX, VY *mat32.Dense) {
	rng := rand.New(rand.NewPCG(5, 6))
	make2 := func(rows int) (*mat32.Dense, *mat32.Dense) {
		x, y := mat32.NewDense(rows, 20, nil), mat32.NewDense(rows, 1, nil)
		for r := range rows {
			for j := range 20 {
				x.Set(r, j, float32(rng.NormFloat64()))
			}
			y.Set(r, 0, float32(rng.IntN(2)))
		}
		return x, y
	}
	X, Y = make2(40)
	VX, VY = make2(200)
	return X, Y, VX, VY
}

// TestEarlyStopping trains on noise until the validation loss has not
// improved for Patience validations, and checks what Fit reports and
// restores.
func TestEarlyStopping(t *testing.T) {
	X, Y, VX, VY := overfitData()
	for _, restore := range []bool{false, true} {
		n, err := New(Config{Inputs: 20, Hidden: []Layer{{128, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Init: InitXavier, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		var vals []Progress
		res, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{LR: 0.01}, Iterations: 2000, BatchSize: 8,
			ValX: VX, ValY: VY, ValEvery: 5, Patience: 4, RestoreBest: restore,
			OnStep: func(p Progress) error {
				if p.Validated != (p.Step%5 == 0) {
					t.Errorf("step %d: Validated = %v", p.Step, p.Validated)
				}
				if p.Validated {
					vals = append(vals, p)
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Stopped || res.Steps >= 2000 {
			t.Fatalf("restore=%v: Fit ran %d steps, Stopped = %v: the validation loss never stopped improving", restore, res.Steps, res.Stopped)
		}
		best := 0
		for i, p := range vals {
			if p.Val.Loss < vals[best].Val.Loss {
				best = i
			}
		}
		if len(vals)-1-best != 4 || vals[len(vals)-1].Step != res.Steps {
			t.Errorf("stopped after %d validations, the best was number %d: want 4 after the best", len(vals), best+1)
		}
		if res.BestStep != vals[best].Step || res.Best != vals[best].Val || res.Val != vals[len(vals)-1].Val {
			t.Errorf("Result best step %d %+v, last %+v; callbacks saw best step %d %+v, last %+v",
				res.BestStep, res.Best, res.Val, vals[best].Step, vals[best].Val, vals[len(vals)-1].Val)
		}
		m, err := n.Evaluate(VX, VY)
		if err != nil {
			t.Fatal(err)
		}
		if res.Restored != restore || (m == res.Best) != restore || (m == res.Val) == restore {
			t.Errorf("restore=%v: Restored = %v; the network evaluates to %+v, best %+v, last %+v", restore, res.Restored, m, res.Best, res.Val)
		}
	}
}

// TestValidationEveryEpoch checks that ValEvery 0 validates at each
// epoch's end, and that OnEpoch sees the validation too.
func TestValidationEveryEpoch(t *testing.T) {
	X, Y, VX, VY := overfitData()
	n, err := New(Config{Inputs: 20, Hidden: []Layer{{8, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	steps, epochs := 0, 0
	res, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: SGD{}, Epochs: 3, BatchSize: 16, ValX: VX, ValY: VY,
		OnStep: func(p Progress) error {
			if p.Validated {
				steps++
			}
			return nil
		},
		OnEpoch: func(p Progress) error {
			if p.Validated {
				epochs++
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if steps != 3 || epochs != 3 || res.BestStep == 0 || res.Stopped {
		t.Errorf("validated at %d steps and %d epoch ends, best step %d, stopped %v; want 3, 3, > 0, false", steps, epochs, res.BestStep, res.Stopped)
	}
}

// TestValidationErrors checks the settings that need validation data and
// validation data that does not suit the network.
func TestValidationErrors(t *testing.T) {
	X, Y, VX, VY := overfitData()
	n, err := New(Config{Inputs: 20, Outputs: 1, Loss: BinaryCrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	bad := mat32.NewDense(3, 1, []float32{0, 2, 1})
	for _, c := range []struct {
		cfg  FitConfig
		want string
	}{
		{FitConfig{Patience: 3}, "need validation data"},
		{FitConfig{RestoreBest: true}, "need validation data"},
		{FitConfig{ValEvery: 3}, "need validation data"},
		{FitConfig{ValX: VX}, "both FitConfig.ValX and ValY"},
		{FitConfig{ValX: VX, ValY: Y}, "validation data (FitConfig.ValX, ValY): X has 200 samples (rows) but Y has 40"},
		{FitConfig{ValX: VX.Slice(0, 3, 0, 20), ValY: bad}, "validation data"},
		{FitConfig{ValX: VX, ValY: VY, Patience: -1}, "negative ValEvery (0) or Patience (-1)"},
		{FitConfig{Dropout: 1}, "Dropout is 1"},
		{FitConfig{Dropout: 0.5}, "no hidden layer"},
		{FitConfig{WeightDecay: -1}, "WeightDecay is -1"},
	} {
		c.cfg.Optimizer, c.cfg.Iterations = SGD{}, 1
		if _, err := n.Fit(context.Background(), X, Y, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.cfg, err, c.want)
		}
	}
}
