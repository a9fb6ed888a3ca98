package mlp

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gofma/gofma/mat32"
)

// TestFitDiverged checks that a step whose loss, or whose update, is not
// finite stops Fit with ErrDiverged and leaves the network with the
// weights from before that step, bitwise, also when it is the last step
// (before, the update was taken first: the weights became Inf or NaN, and
// a last step returned no error at all).
func TestFitDiverged(t *testing.T) {
	// MSE on inputs of 1e10: the first GD step of rate 1e15 is finite but
	// large, and makes the second step's outputs overflow (its loss is
	// infinite); a rate of 1e30 makes the first step's update overflow.
	x := mat32.NewDense(4, 2, []float32{1e10, 0, 0, 1e10, 1e10, 1e10, 0, 0})
	y := mat32.NewDense(4, 1, []float32{1, 0, 1, 0})
	cfg := Config{Inputs: 2, Hidden: []Layer{{3, Identity}}, Outputs: 1, Loss: MeanSquaredError, Seed: 3}
	for _, c := range []struct {
		name  string
		opt   Optimizer
		batch int
		fails int // the step that diverges
	}{
		{"loss gd", GD{LR: 1e15}, 0, 2},
		{"loss sgd", SGD{LR: 1e15}, 2, 2},
		{"update gd", GD{LR: 1e30}, 0, 1},
		{"update momentum", Momentum{LR: 1e30}, 0, 1},
		{"update sgd", SGD{LR: 1e30}, 2, 1},
	} {
		for _, last := range []bool{false, true} {
			iters := 10
			if last {
				iters = c.fails
			}
			fit := func(iters int) (*Network, Result, error) {
				n, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				res, err := n.Fit(context.Background(), x, y, FitConfig{Optimizer: c.opt, BatchSize: c.batch, Iterations: iters, Seed: 1})
				return n, res, err
			}
			// The weights after the steps before the failing one.
			want, _, err := fit(c.fails - 1)
			if c.fails == 1 {
				want, err = New(cfg)
			}
			if err != nil {
				t.Fatalf("%s: the steps before the failing one: %v", c.name, err)
			}
			n, res, err := fit(iters)
			if !errors.Is(err, ErrDiverged) {
				t.Errorf("%s, %d iterations: Fit returned %v, want ErrDiverged", c.name, iters, err)
				continue
			}
			if res.Steps != c.fails-1 {
				t.Errorf("%s: Result.Steps = %d, want the %d steps before the failing one", c.name, res.Steps, c.fails-1)
			}
			if !slices.Equal(n.params, want.params) {
				t.Errorf("%s, %d iterations: weights after the diverged step %v, want those from before it %v", c.name, iters, n.params, want.params)
			}
			if p := n.Weights(0).RawMatrix().Data; &p[0] != &n.params[0] || &n.layers[0].w[0] != &n.params[0] {
				t.Errorf("%s: the layers' weights are not views of the network's parameters after Fit", c.name)
			}
		}
	}
}

// TestFitKeepsWeightViews checks that a view of the weights taken before
// Fit shows the trained weights after it, for odd and even step counts
// (steps alternate the weights between two buffers).
func TestFitKeepsWeightViews(t *testing.T) {
	X := mat32.NewDense(4, 2, []float32{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{0, 1, 1, 0})
	for _, steps := range []int{1, 2, 3} {
		n, err := New(Config{Inputs: 2, Hidden: []Layer{{4, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		view, bias := n.Weights(1), n.Bias(1)
		before := slices.Clone(view.RawMatrix().Data)
		if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{LR: 0.5}, Iterations: steps}); err != nil {
			t.Fatal(err)
		}
		got := view.RawMatrix().Data
		if slices.Equal(got, before) {
			t.Errorf("%d steps: the view taken before Fit did not change", steps)
		}
		if !slices.Equal(got, n.Weights(1).RawMatrix().Data) || !slices.Equal(bias, n.Bias(1)) {
			t.Errorf("%d steps: the view taken before Fit differs from the network's weights after it", steps)
		}
	}
}
