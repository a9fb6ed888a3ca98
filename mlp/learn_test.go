package mlp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofma/gofma/mat32"
)

func fit(t *testing.T, n *Network, X, Y *mat32.Dense, cfg FitConfig) Result {
	t.Helper()
	res, err := n.Fit(context.Background(), X, Y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func evaluate(t *testing.T, n *Network, X, Y *mat32.Dense) Metrics {
	t.Helper()
	m, err := n.Evaluate(X, Y)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLearnXOR(t *testing.T) {
	X := mat32.NewDense(4, 2, []float32{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{0, 1, 1, 0})
	n, err := New(Config{Inputs: 2, Hidden: []Layer{{8, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Init: InitXavier, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res := fit(t, n, X, Y, FitConfig{Optimizer: Adam{LR: 0.05}, Iterations: 500})
	m := evaluate(t, n, X, Y)
	if m.Accuracy != 1 || m.Loss > 0.05 {
		t.Errorf("XOR after 500 Adam steps: %+v (last batch loss %.4g)", m, res.Loss)
	}
}

func TestLearnRegression(t *testing.T) {
	// y = sin(x) on [−π, π] and y = 0.5·x1 − 2·x2 + 1, with MSE.
	const rows = 64
	x := make([]float32, rows*2)
	y := make([]float32, rows*2)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < rows; i++ {
		a, b := (2*rng.Float64()-1)*math.Pi, 2*rng.Float64()-1
		x[2*i], x[2*i+1] = float32(a), float32(b)
		y[2*i], y[2*i+1] = float32(math.Sin(a)), float32(0.5*a-2*b+1)
	}
	X, Y := mat32.NewDense(rows, 2, x), mat32.NewDense(rows, 2, y)
	n, err := New(Config{Inputs: 2, Hidden: []Layer{{16, Tanh}}, Outputs: 2, Loss: MeanSquaredError, Init: InitXavier, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	before := evaluate(t, n, X, Y)
	fit(t, n, X, Y, FitConfig{Optimizer: Adam{LR: 0.02}, Iterations: 1500})
	m := evaluate(t, n, X, Y)
	if m.Loss > 0.005 || !math.IsNaN(m.Accuracy) {
		t.Errorf("regression: loss %.4g before, %+v after 1500 Adam steps", before.Loss, m)
	}
	// Predict gives the fitted values.
	p, err := n.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range p.RawMatrix().Data {
		if math.Abs(float64(v-y[i])) > 0.25 {
			t.Errorf("prediction %d: %v, target %v", i, v, y[i])
		}
	}
}

// blobs returns rows samples of three separable 2-D Gaussian clusters and
// their one-hot labels.
func blobs(rows int, seed uint64) (X, Y *mat32.Dense) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := [][2]float64{{2, 0}, {-1, 1.7}, {-1, -1.7}}
	x := make([]float32, rows*2)
	labels := make([]int, rows)
	for i := range labels {
		c := rng.IntN(3)
		labels[i] = c
		x[2*i] = float32(centres[c][0] + 0.4*rng.NormFloat64())
		x[2*i+1] = float32(centres[c][1] + 0.4*rng.NormFloat64())
	}
	Y, _ = OneHot(labels, 3)
	return mat32.NewDense(rows, 2, x), Y
}

func TestLearnSoftmax(t *testing.T) {
	X, Y := blobs(300, 1)
	n, err := New(Config{Inputs: 2, Hidden: []Layer{{16, ReLU}}, Outputs: 3, Loss: CrossEntropy, Init: InitHe, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	res := fit(t, n, X, Y, FitConfig{Optimizer: SGD{LR: 0.1}, Epochs: 20, BatchSize: 32, Seed: 1})
	m := evaluate(t, n, X, Y)
	if m.Accuracy < 0.98 || m.Loss > 0.1 {
		t.Errorf("3 separable classes after %d SGD steps: %+v", res.Steps, m)
	}
	Xt, Yt := blobs(300, 2)
	if m := evaluate(t, n, Xt, Yt); m.Accuracy < 0.97 {
		t.Errorf("held-out data: %+v", m)
	}
}

// TestSeedReproducible checks that mini-batch training with one seed gives
// bitwise identical weights and losses, and another seed different ones.
func TestSeedReproducible(t *testing.T) {
	X, Y := blobs(100, 4)
	train := func(seed uint64) ([]float32, []float64) {
		n, err := New(Config{Inputs: 2, Hidden: []Layer{{8, Tanh}}, Outputs: 3, Loss: CrossEntropy, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		fit(t, n, X, Y, FitConfig{Optimizer: Adam{LR: 0.01}, Epochs: 3, BatchSize: 16, Seed: seed,
			OnStep: func(p Progress) error { losses = append(losses, p.Loss); return nil }})
		return n.params, losses
	}
	w1, l1 := train(1)
	w2, l2 := train(1)
	w3, l3 := train(2)
	for i := range w1 {
		if math.Float32bits(w1[i]) != math.Float32bits(w2[i]) {
			t.Fatalf("seed 1 twice: param %d is %v and %v", i, w1[i], w2[i])
		}
	}
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("seed 1 twice: loss of step %d is %v and %v", i+1, l1[i], l2[i])
		}
	}
	differ := false
	for i := range w1 {
		differ = differ || w1[i] != w3[i]
	}
	if !differ || l1[0] == l3[0] {
		t.Error("seeds 1 and 2 gave the same mini-batches")
	}
}

func TestCallbacks(t *testing.T) {
	X, Y := blobs(10, 5)
	newNet := func() *Network {
		n, err := New(Config{Inputs: 2, Hidden: []Layer{{4, Tanh}}, Outputs: 3, Loss: CrossEntropy, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	type call struct{ step, epoch int }
	run := func(cfg FitConfig) (Result, []call, []call, []float64, []float64) {
		var steps, epochs []call
		var stepLoss, epochLoss []float64
		cfg.Optimizer, cfg.BatchSize = SGD{LR: 0.1}, 3
		cfg.OnStep = func(p Progress) error {
			steps = append(steps, call{p.Step, p.Epoch})
			stepLoss = append(stepLoss, p.Loss)
			return nil
		}
		cfg.OnEpoch = func(p Progress) error {
			epochs = append(epochs, call{p.Step, p.Epoch})
			epochLoss = append(epochLoss, p.Loss)
			return nil
		}
		res := fit(t, newNet(), X, Y, cfg)
		return res, steps, epochs, stepLoss, epochLoss
	}
	// 10 samples in batches of 3: 4 steps per epoch, the last of 1 sample.
	res, steps, epochs, sl, el := run(FitConfig{Epochs: 2})
	want := []call{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 2}, {6, 2}, {7, 2}, {8, 2}}
	if !equalCalls(steps, want) {
		t.Errorf("Epochs 2: OnStep calls (step, epoch) %v, want %v", steps, want)
	}
	if wantE := []call{{4, 1}, {8, 2}}; !equalCalls(epochs, wantE) {
		t.Errorf("Epochs 2: OnEpoch calls %v, want %v", epochs, wantE)
	}
	if res.Steps != 8 || res.Samples != 20 || res.Epochs != 2 || res.Loss != sl[len(sl)-1] {
		t.Errorf("Epochs 2: %+v, want 8 steps, 20 samples, 2 epochs, loss %v", res, sl[len(sl)-1])
	}
	if len(el) == 2 {
		for e := 0; e < 2; e++ {
			mean := (3*sl[4*e] + 3*sl[4*e+1] + 3*sl[4*e+2] + sl[4*e+3]) / 10
			if math.Abs(el[e]-mean) > 1e-12 {
				t.Errorf("epoch %d: OnEpoch loss %v, mean of its steps' losses %v", e+1, el[e], mean)
			}
		}
	}
	if res.Elapsed <= 0 || res.Forward <= 0 || res.Backward <= 0 || res.Update <= 0 ||
		res.Forward+res.Backward+res.Update > res.Elapsed {
		t.Errorf("times: %+v", res)
	}

	// Iterations first: 6 steps, 1.6 epochs.
	res, steps, epochs, _, _ = run(FitConfig{Epochs: 2, Iterations: 6})
	if res.Steps != 6 || len(steps) != 6 || len(epochs) != 1 || res.Samples != 16 || math.Abs(res.Epochs-1.6) > 1e-12 {
		t.Errorf("Epochs 2, Iterations 6: %+v, %d OnStep and %d OnEpoch calls", res, len(steps), len(epochs))
	}
	// Epochs first.
	res, _, _, _, _ = run(FitConfig{Epochs: 3, Iterations: 100})
	if res.Steps != 12 || res.Samples != 30 || res.Epochs != 3 {
		t.Errorf("Epochs 3, Iterations 100: %+v", res)
	}
	// Iterations alone.
	res, steps, _, _, _ = run(FitConfig{Iterations: 9})
	if res.Steps != 9 || res.Samples != 23 || math.Abs(res.Epochs-2.3) > 1e-12 || steps[8] != (call{9, 3}) {
		t.Errorf("Iterations 9: %+v, last OnStep %v", res, steps[len(steps)-1])
	}

	// Full batch: one step per epoch, and the first step's loss is the
	// loss of the initial network.
	n := newNet()
	m0 := evaluate(t, n, X, Y)
	var first float64
	res = fit(t, n, X, Y, FitConfig{Optimizer: GD{}, Epochs: 3, OnStep: func(p Progress) error {
		if p.Step == 1 {
			first = p.Loss
		}
		if p.Epoch != p.Step {
			t.Errorf("full batch: step %d in epoch %d", p.Step, p.Epoch)
		}
		return nil
	}})
	if res.Steps != 3 || res.Samples != 30 || res.Epochs != 3 {
		t.Errorf("full batch, Epochs 3: %+v", res)
	}
	if math.Abs(first-m0.Loss) > 1e-6*m0.Loss {
		t.Errorf("full batch: first step's loss %v, Evaluate before Fit %v", first, m0.Loss)
	}
}

func equalCalls[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFitStops(t *testing.T) {
	X, Y := blobs(10, 5)
	n, err := New(Config{Inputs: 2, Hidden: []Layer{{4, Tanh}}, Outputs: 3, Loss: CrossEntropy, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	cfg := FitConfig{Optimizer: SGD{}, BatchSize: 3, Epochs: 5}

	c := cfg
	c.OnStep = func(p Progress) error {
		if p.Step == 3 {
			return stop
		}
		return nil
	}
	res, err := n.Fit(context.Background(), X, Y, c)
	if !errors.Is(err, stop) || res.Steps != 3 {
		t.Errorf("OnStep error at step 3: Fit returned %+v, %v", res, err)
	}

	c = cfg
	c.OnEpoch = func(p Progress) error {
		if p.Epoch == 2 {
			return stop
		}
		return nil
	}
	res, err = n.Fit(context.Background(), X, Y, c)
	if !errors.Is(err, stop) || res.Steps != 8 {
		t.Errorf("OnEpoch error after epoch 2: Fit returned %+v, %v", res, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	c = cfg
	c.OnStep = func(p Progress) error {
		if p.Step == 2 {
			cancel()
		}
		return nil
	}
	res, err = n.Fit(ctx, X, Y, c)
	if !errors.Is(err, context.Canceled) || res.Steps != 2 {
		t.Errorf("context cancelled at step 2: Fit returned %+v, %v", res, err)
	}
	before := append([]float32(nil), n.params...)
	res, err = n.Fit(ctx, X, Y, cfg)
	if !errors.Is(err, context.Canceled) || res.Steps != 0 {
		t.Errorf("context cancelled before Fit: Fit returned %+v, %v", res, err)
	}
	for i := range before {
		if before[i] != n.params[i] {
			t.Fatal("Fit with a cancelled context changed the weights")
		}
	}

	// A diverging loss stops Fit with an error.
	m, err := New(Config{Inputs: 2, Hidden: []Layer{{4, Identity}}, Outputs: 1, Loss: MeanSquaredError, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	Yr := mat32.NewDense(10, 1, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	if _, err := m.Fit(context.Background(), X, Yr, FitConfig{Optimizer: GD{LR: 1e4}, Iterations: 1000}); err == nil {
		t.Error("GD with learning rate 1e4: no error")
	} else {
		t.Log(err)
	}
}
