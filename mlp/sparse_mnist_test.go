package mlp_test

import (
	"context"
	"math"
	"testing"

	"github.com/gofma/gofma/mlp"
	"github.com/gofma/gofma/mnist"
)

// TestSparseMNIST trains the reference workload (5 vs 8, 784-196-1, GD lr
// 0.1) for 50 steps on real MNIST with the first layer on the sparse path
// and on the dense one: the losses and the weights agree within float32
// rounding.
func TestSparseMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("50 reference steps on real data, twice")
	}
	train, _, err := mnist.Load("")
	if err != nil {
		t.Fatal(err)
	}
	X, Y := fiveVsEight(train)
	run := func(mode mlp.SparseMode) (*mlp.Network, mlp.Result) {
		net, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []mlp.Layer{{Units: 196, Act: mlp.Sigmoid}}, Outputs: 1, Loss: mlp.BinaryCrossEntropy, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := net.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.GD{LR: 0.1}, Iterations: 50, Sparse: mode})
		if err != nil {
			t.Fatal(err)
		}
		return net, res
	}
	sn, sres := run(mlp.SparseAuto)
	dn, dres := run(mlp.SparseOff)
	if !sres.Sparse || math.Abs(sres.Density-0.208) > 0.005 {
		t.Errorf("SparseAuto on MNIST 5 vs 8: Sparse %t, Density %.4f; want the sparse path at about 0.208", sres.Sparse, sres.Density)
	}
	if d := math.Abs(sres.Loss - dres.Loss); d > 1e-5 {
		t.Errorf("loss after 50 steps: %.7f sparse, %.7f dense", sres.Loss, dres.Loss)
	}
	for l := range sn.NumLayers() {
		sw, dw := sn.Weights(l).RawMatrix().Data, dn.Weights(l).RawMatrix().Data
		for i := range sw {
			if d := math.Abs(float64(sw[i] - dw[i])); d > 1e-4*(1+math.Abs(float64(dw[i]))) {
				t.Fatalf("layer %d weight %d: %v sparse, %v dense", l+1, i, sw[i], dw[i])
			}
		}
	}
	t.Logf("loss after 50 steps: %.7f sparse, %.7f dense", sres.Loss, dres.Loss)
}
