package mlp_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
	"github.com/gofma/gofma/mnist"
)

// Train the reference network (784-196-1, sigmoid, binary cross-entropy) on
// real MNIST 5s against 8s, evaluate it on the test set, save it and load
// it back. The full reference run, 1,000 full-batch GD steps, is
// `go run ./cmd/mnistbench`; this takes 60 Adam steps of 64 samples.
func Example_mnist() {
	ctx := context.Background()
	train, test, err := mnist.Load("") // $MNIST_DIR, else the GoMNIST module's files
	if err != nil {
		log.Fatal(err)
	}
	X, Y := fiveVsEight(train) // one sample per row (N×784, pixels in [0,1]); N×1 targets, 0 or 1
	Xtest, Ytest := fiveVsEight(test)

	net, err := mlp.New(mlp.Config{
		Inputs:  784,
		Hidden:  []mlp.Layer{{Units: 196, Act: mlp.Sigmoid}},
		Outputs: 1,
		Loss:    mlp.BinaryCrossEntropy, // sigmoid output; mlp.CrossEntropy is softmax over classes (see mlp.OneHot)
		Seed:    1,                      // fixes the initial weights (mlp.InitLecture: randn/√fan_in)
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := net.Fit(ctx, X, Y, mlp.FitConfig{
		Optimizer:  mlp.Adam{LR: 0.001}, // or GD{LR: 0.1} (full batch), SGD, Momentum, AdaGrad, RMSProp
		BatchSize:  64,
		Iterations: 60,
		Seed:       1, // fixes the order of the mini-batches
		OnStep: func(p mlp.Progress) error {
			if p.Step%30 == 0 {
				fmt.Printf("step %d, batch loss below 0.4: %t\n", p.Step, p.Loss < 0.4)
			}
			return nil // an error stops Fit, which returns it
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := net.Evaluate(Xtest, Ytest) // loss and accuracy
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d steps, %.2f epochs; test accuracy above 90%%: %t\n", res.Steps, res.Epochs, m.Accuracy > 0.9)

	dir, err := os.MkdirTemp("", "gofma-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mnist58.gofma")
	if err := net.SaveFile(path); err != nil { // written atomically; mlp.LoadFile reads it back bit for bit
		log.Fatal(err)
	}
	loaded, err := mlp.LoadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	P, err := loaded.Predict(Xtest) // probabilities, one row per sample
	if err != nil {
		log.Fatal(err)
	}
	rows, cols := P.Dims()
	fmt.Printf("predictions: %d×%d\n", rows, cols)
	// Output:
	// step 30, batch loss below 0.4: true
	// step 60, batch loss below 0.4: true
	// 60 steps, 0.34 epochs; test accuracy above 90%: true
	// predictions: 1866×1
}

// fiveVsEight keeps the 5s (class 0) and 8s (class 1) of s, as inputs X
// (one image per row) and targets Y (N×1).
func fiveVsEight(s *mnist.Set) (X, Y *mat32.Dense) {
	s, err := s.Filter([]int{5, 8})
	if err != nil {
		log.Fatal(err)
	}
	y := make([]float32, s.N)
	for i, c := range s.Labels {
		y[i] = float32(c)
	}
	return mat32.NewDense(s.N, s.Pixels(), s.Images), mat32.NewDense(s.N, 1, y)
}

// TestReadmeShowsExampleMnist checks that README's embedding snippet is
// Example_mnist's body and fiveVsEight, as they stand here, so that the
// snippet compiles and runs as shown.
func TestReadmeShowsExampleMnist(t *testing.T) {
	src, err := os.ReadFile("example_mnist_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start := strings.Index(s, "func Example_mnist() {\n")
	end := strings.Index(s, "\t// Output:")
	helper := strings.Index(s, "// fiveVsEight keeps")
	helperEnd := strings.Index(s, "\n}\n") // fiveVsEight is the first function closed at column 0 after the example
	if start < 0 || end < start || helper < end {
		t.Fatal("example_mnist_test.go: Example_mnist or fiveVsEight not found")
	}
	for helperEnd >= 0 && helperEnd < helper {
		next := strings.Index(s[helperEnd+1:], "\n}\n")
		if next < 0 {
			helperEnd = -1
			break
		}
		helperEnd += next + 1
	}
	if helperEnd < 0 {
		t.Fatal("example_mnist_test.go: the end of fiveVsEight not found")
	}
	var body []string
	for _, line := range strings.Split(strings.TrimRight(s[start+len("func Example_mnist() {\n"):end], "\n"), "\n") {
		body = append(body, strings.TrimPrefix(line, "\t"))
	}
	for name, want := range map[string]string{
		"Example_mnist's body": "```go\n" + strings.Join(body, "\n") + "\n```",
		"fiveVsEight":          "```go\n" + s[helper:helperEnd+2] + "\n```",
	} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not show %s as it is in example_mnist_test.go: copy it there", name)
		}
	}
}
