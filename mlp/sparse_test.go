package mlp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// sparseData returns rows samples of inputs features, each nonzero with
// probability density, columns j%9 == 4 zero in every sample, and 0/1
// targets (one column) or one-hot ones over classes.
func sparseData(rows, inputs, classes int, density float64, seed uint64) (X, Y *mat32.Dense) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, rows*inputs)
	labels := make([]int, rows)
	for i := range rows {
		for j := range inputs {
			if j%9 != 4 && rng.Float64() < density {
				x[i*inputs+j] = rng.Float32()
			}
		}
		labels[i] = int(x[i*inputs]*3+x[i*inputs+inputs-1]*5) % classes
	}
	if classes == 2 {
		y := make([]float32, rows)
		for i, c := range labels {
			y[i] = float32(c)
		}
		return mat32.NewDense(rows, inputs, x), mat32.NewDense(rows, 1, y)
	}
	Y, _ = OneHot(labels, classes)
	return mat32.NewDense(rows, inputs, x), Y
}

// TestSparseMatchesDense trains the same network with the first layer on
// the sparse path and on the dense one, full batch and mini-batches, with
// and without dropout, and checks that losses and weights agree within
// float32 rounding, on every kernel implementation.
func TestSparseMatchesDense(t *testing.T) {
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			for _, c := range []struct {
				name    string
				classes int
				hidden  []Layer
				opt     Optimizer
				batch   int
				dropout float32
				strided bool // Y a view of wider rows
			}{
				{"full gd sigmoid", 2, []Layer{{37, Sigmoid}}, GD{LR: 0.5}, 0, 0, false},
				{"batches adam softmax", 4, []Layer{{40, ReLU}, {9, Tanh}}, Adam{LR: 0.01}, 32, 0, false},
				{"batches sgd no hidden", 3, nil, SGD{LR: 0.1}, 50, 0, false},
				{"batches adam dropout", 4, []Layer{{40, Sigmoid}, {9, Tanh}}, Adam{LR: 0.01}, 32, 0.2, false},
				{"full gd dropout", 2, []Layer{{37, Sigmoid}}, GD{LR: 0.5}, 0, 0.3, false},
				{"full gd softmax strided Y", 3, []Layer{{21, Sigmoid}}, GD{LR: 0.5}, 0, 0, true},
			} {
				X, Y := sparseData(230, 61, c.classes, 0.2, 5)
				if c.strided { // the sparse path reorders the full batch's targets
					rows, cols := Y.Dims()
					wide := mat32.NewDense(rows, cols+3, nil)
					view := wide.Slice(0, rows, 2, 2+cols)
					view.Copy(Y)
					Y = view
				}
				outs := c.classes
				loss := CrossEntropy
				if c.classes == 2 {
					outs, loss = 1, BinaryCrossEntropy
				}
				train := func(mode SparseMode) (*Network, Result) {
					n, err := New(Config{Inputs: 61, Hidden: c.hidden, Outputs: outs, Loss: loss, Seed: 4})
					if err != nil {
						t.Fatal(err)
					}
					res, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: c.opt, BatchSize: c.batch, Iterations: 25, Seed: 2, Sparse: mode, Dropout: c.dropout})
					if err != nil {
						t.Fatal(err)
					}
					return n, res
				}
				sn, sres := train(SparseOn)
				dn, dres := train(SparseOff)
				if !sres.Sparse || dres.Sparse {
					t.Fatalf("%s: Result.Sparse %t with SparseOn, %t with SparseOff", c.name, sres.Sparse, dres.Sparse)
				}
				if d := math.Abs(sres.Loss - dres.Loss); d > 1e-4*(1+math.Abs(dres.Loss)) {
					t.Errorf("%s: last loss %v sparse, %v dense", c.name, sres.Loss, dres.Loss)
				}
				for i := range sn.params {
					if d := math.Abs(float64(sn.params[i] - dn.params[i])); d > 1e-3*(1+math.Abs(float64(dn.params[i]))) {
						t.Fatalf("%s: parameter %d is %v sparse, %v dense", c.name, i, sn.params[i], dn.params[i])
					}
				}
			}
		})
	}
}

// TestSparseAuto checks SparseAuto's choice by X's density and what
// Result reports.
func TestSparseAuto(t *testing.T) {
	for _, c := range []struct {
		density float64
		sparse  bool
	}{{0.1, true}, {0.3, true}, {0.6, false}, {1, false}} {
		X, Y := sparseData(100, 40, 2, c.density, 1)
		n, err := New(Config{Inputs: 40, Hidden: []Layer{{8, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy})
		if err != nil {
			t.Fatal(err)
		}
		res, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := X.Density()
		if res.Sparse != c.sparse || res.Density != want {
			t.Errorf("density %v: Result.Sparse %t, Density %v; want %t, %v", c.density, res.Sparse, res.Density, c.sparse, want)
		}
		if res.Sparse && res.Prepacked != nil {
			t.Errorf("density %v: the sparse path also packed X: %v", c.density, res.Prepacked)
		}
		// SparseOff reports the density too (counted as Fit checks X).
		res, err = n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 1, Sparse: SparseOff})
		if err != nil {
			t.Fatal(err)
		}
		if res.Sparse || res.Density != want {
			t.Errorf("density %v, SparseOff: Result.Sparse %t, Density %v; want false, %v", c.density, res.Sparse, res.Density, want)
		}
	}
	// Mini-batches: sparse from SparseMinBatch samples on.
	X, Y := sparseData(2*SparseMinBatch, 40, 2, 0.1, 1)
	for _, batch := range []int{SparseMinBatch - 1, SparseMinBatch} {
		n, err := New(Config{Inputs: 40, Hidden: []Layer{{8, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy})
		if err != nil {
			t.Fatal(err)
		}
		res, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: SGD{}, BatchSize: batch, Iterations: 2})
		if err != nil {
			t.Fatal(err)
		}
		if want := batch >= SparseMinBatch; res.Sparse != want {
			t.Errorf("batches of %d: Result.Sparse %t, want %t", batch, res.Sparse, want)
		}
	}
	X, Y = sparseData(10, 4, 2, 0.5, 1)
	n, _ := New(Config{Inputs: 4, Outputs: 1, Loss: BinaryCrossEntropy})
	if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 1, Sparse: 7}); err == nil {
		t.Error("FitConfig.Sparse 7: no error")
	}
}

// TestSparseStepAllocs checks that steps on the sparse path allocate
// nothing once their buffers exist, full batch and mini-batches.
func TestSparseStepAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race; skipped with -short")
	}
	X, Y := sparseData(300, 100, 2, 0.2, 9)
	for _, batch := range []int{0, 64} {
		n, err := New(Config{Inputs: 100, Hidden: []Layer{{30, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy})
		if err != nil {
			t.Fatal(err)
		}
		allocs := func(steps int) float64 {
			return testing.AllocsPerRun(3, func() {
				if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: SGD{}, BatchSize: batch, Iterations: steps, Sparse: SparseOn}); err != nil {
					t.Fatal(err)
				}
			})
		}
		if one, ten := allocs(1), allocs(10); one != ten {
			t.Errorf("batch %d: Fit on the sparse path allocates %v times for 1 step, %v for 10", batch, one, ten)
		}
	}
}
