package mlp_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"slices"

	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// Checkpoint and resume: a run saved after 300 of its 600 steps and
// continued from the file ends with bitwise the weights of the run that
// never stopped. The file holds Adam's moments, the step count (which the
// schedule and Adam's bias correction read), the order of the mini-batches
// and the place in it.
func ExampleFitConfig_resume() {
	X, Y := twoBlobs(1000)
	cfg := mlp.Config{Inputs: 2, Hidden: []mlp.Layer{{Units: 16, Act: mlp.Tanh}}, Outputs: 2, Loss: mlp.CrossEntropy, Seed: 3}
	fit := mlp.FitConfig{
		Optimizer:   mlp.Adam{LR: 0.01},
		Iterations:  600, // with Resume: the steps since training began
		BatchSize:   64,
		Seed:        1,
		Schedule:    mlp.Cosine{Steps: 600},
		WeightDecay: 1e-4,
		Dropout:     0.1,
	}

	straight, err := mlp.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := straight.Fit(context.Background(), X, Y, fit); err != nil {
		log.Fatal(err)
	}

	// The same run, interrupted: 300 steps, saved (SaveFile, in a real
	// run), loaded into a new network, continued.
	first, _ := mlp.New(cfg)
	half := fit
	half.Iterations = 300
	if _, err := first.Fit(context.Background(), X, Y, half); err != nil {
		log.Fatal(err)
	}
	var checkpoint bytes.Buffer
	if err := first.Save(&checkpoint); err != nil {
		log.Fatal(err)
	}
	resumed, err := mlp.Load(&checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded at step", resumed.Steps())
	fit.Resume = true
	res, err := resumed.Fit(context.Background(), X, Y, fit)
	if err != nil {
		log.Fatal(err)
	}
	same := true
	for l := range straight.NumLayers() {
		same = same && slices.Equal(straight.Weights(l).RawMatrix().Data, resumed.Weights(l).RawMatrix().Data) &&
			slices.Equal(straight.Bias(l), resumed.Bias(l))
	}
	fmt.Printf("resumed for %d steps, to step %d; bitwise the same weights: %v\n", res.Steps, resumed.Steps(), same)
	// Output:
	// loaded at step 300
	// resumed for 300 steps, to step 600; bitwise the same weights: true
}

// Early stopping: Fit evaluates the network on held-out data every 10
// steps, stops when 5 validations in a row bring no lower validation loss,
// and returns with the weights of the best one.
func ExampleFitConfig_patience() {
	// Forty training samples whose labels are coin flips, and a network
	// big enough to learn them by heart: the validation loss soon rises.
	rng := rand.New(rand.NewPCG(5, 6))
	noise := func(rows int) (X, Y *mat32.Dense) {
		X, Y = mat32.NewDense(rows, 20, nil), mat32.NewDense(rows, 1, nil)
		for r := range rows {
			for j := range 20 {
				X.Set(r, j, float32(rng.NormFloat64()))
			}
			Y.Set(r, 0, float32(rng.IntN(2)))
		}
		return X, Y
	}
	X, Y := noise(40)
	VX, VY := noise(200)
	net, err := mlp.New(mlp.Config{Inputs: 20, Hidden: []mlp.Layer{{Units: 128, Act: mlp.Tanh}}, Outputs: 1,
		Loss: mlp.BinaryCrossEntropy, Init: mlp.InitXavier, Seed: 2})
	if err != nil {
		log.Fatal(err)
	}
	res, err := net.Fit(context.Background(), X, Y, mlp.FitConfig{
		Optimizer: mlp.Adam{LR: 0.01}, Iterations: 5000, BatchSize: 8,
		ValX: VX, ValY: VY, ValEvery: 10, Patience: 5, RestoreBest: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	m, _ := net.Evaluate(VX, VY)
	fmt.Printf("stopped early: %v, %d validations after the best; restored the best weights: %v\n",
		res.Stopped, (res.Steps-res.BestStep)/10, res.Restored && m == res.Best)
	// Output: stopped early: true, 5 validations after the best; restored the best weights: true
}
