package mlp_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// A 2-8-1 network learns XOR with Adam.
func Example() {
	X := mat32.NewDense(4, 2, []float32{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{0, 1, 1, 0})
	net, err := mlp.New(mlp.Config{
		Inputs:  2,
		Hidden:  []mlp.Layer{{Units: 8, Act: mlp.Tanh}},
		Outputs: 1,
		Loss:    mlp.BinaryCrossEntropy,
		Seed:    1,
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = net.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.Adam{LR: 0.05}, Iterations: 300})
	if err != nil {
		log.Fatal(err)
	}
	m, err := net.Evaluate(X, Y)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("accuracy %.2f, loss below 0.01: %v\n", m.Accuracy, m.Loss < 0.01)
	// Output: accuracy 1.00, loss below 0.01: true
}

// Mini-batches with a callback that stops training early.
func ExampleNetwork_Fit() {
	X, Y := twoBlobs(1000)
	net, err := mlp.New(mlp.Config{Inputs: 2, Hidden: []mlp.Layer{{Units: 16, Act: mlp.ReLU}}, Outputs: 2,
		Loss: mlp.CrossEntropy, Init: mlp.InitHe, Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	res, err := net.Fit(context.Background(), X, Y, mlp.FitConfig{
		Optimizer: mlp.SGD{LR: 0.1},
		Epochs:    50,
		BatchSize: 100,
		Seed:      1,
		OnEpoch: func(p mlp.Progress) error {
			if p.Loss < 0.05 {
				return errStop // Fit returns it
			}
			return nil
		},
	})
	if err != nil && !errors.Is(err, errStop) {
		log.Fatal(err)
	}
	m, _ := net.Evaluate(X, Y)
	fmt.Printf("stopped early: %v, accuracy above 0.99: %v\n", res.Epochs < 50, m.Accuracy > 0.99)
	// Output: stopped early: true, accuracy above 0.99: true
}

var errStop = errors.New("good enough")

// twoBlobs returns n points around (−1, −1) (class 0) and (1, 1) (class 1),
// with one-hot targets.
func twoBlobs(n int) (X, Y *mat32.Dense) {
	x := make([]float32, 2*n)
	labels := make([]int, n)
	for i := range labels {
		c := i % 2
		labels[i] = c
		s := float32(2*c - 1)
		// A deterministic scatter in [−0.5, 0.5).
		x[2*i] = s + float32((i*37)%100)/100 - 0.5
		x[2*i+1] = s + float32((i*61)%100)/100 - 0.5
	}
	Y, err := mlp.OneHot(labels, 2)
	if err != nil {
		log.Fatal(err)
	}
	return mat32.NewDense(n, 2, x), Y
}
