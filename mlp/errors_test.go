package mlp

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gofma/gofma/mat32"
)

func TestNewErrors(t *testing.T) {
	ok := Config{Inputs: 3, Hidden: []Layer{{4, Tanh}}, Outputs: 2, Loss: CrossEntropy}
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no loss", func(c *Config) { c.Loss = 0 }, "Config.Loss is Loss(0)"},
		{"bad loss", func(c *Config) { c.Loss = 9 }, "Config.Loss is Loss(9)"},
		{"bad init", func(c *Config) { c.Init = 7 }, "Config.Init is Init(7)"},
		{"no activation", func(c *Config) { c.Hidden = []Layer{{4, 0}} }, "hidden layer 1 has activation Activation(0)"},
		{"bad activation", func(c *Config) { c.Hidden = []Layer{{4, Tanh}, {4, 17}} }, "hidden layer 2 has activation Activation(17)"},
		{"no units", func(c *Config) { c.Hidden = []Layer{{0, Tanh}} }, "hidden layer 1 has 0 units"},
		{"negative units", func(c *Config) { c.Hidden = []Layer{{3, ReLU}, {-1, ReLU}} }, "hidden layer 2 has -1 units"},
		{"no inputs", func(c *Config) { c.Inputs = 0 }, "Config.Inputs is 0"},
		{"no outputs", func(c *Config) { c.Outputs = 0 }, "Config.Outputs is 0"},
		{"one class", func(c *Config) { c.Outputs = 1 }, "cross-entropy needs at least 2 outputs"},
		{"too many layers", func(c *Config) { c.Hidden = make([]Layer, MaxLayers) }, "layers, at most"},
		{"too many params", func(c *Config) { c.Inputs, c.Hidden = MaxUnits, []Layer{{MaxUnits, Tanh}} }, "parameters"},
	} {
		cfg := ok
		c.edit(&cfg)
		n, err := New(cfg)
		if err == nil {
			t.Errorf("%s: New(%+v) succeeded", c.name, cfg)
			continue
		}
		if n != nil {
			t.Errorf("%s: New returned a network with its error", c.name)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, err, c.want)
		}
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	// BCE and MSE take a single output.
	for _, l := range []Loss{BinaryCrossEntropy, MeanSquaredError} {
		if _, err := New(Config{Inputs: 1, Outputs: 1, Loss: l}); err != nil {
			t.Errorf("%v with one output: %v", l, err)
		}
	}
}

// TestDataErrors checks the errors of Fit, Evaluate and Predict for bad
// data, and that Fit changes nothing when it fails.
func TestDataErrors(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	bce, err := New(Config{Inputs: 2, Hidden: []Layer{{3, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	ce, err := New(Config{Inputs: 2, Hidden: []Layer{{3, Tanh}}, Outputs: 3, Loss: CrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	mse, err := New(Config{Inputs: 2, Outputs: 1, Loss: MeanSquaredError})
	if err != nil {
		t.Fatal(err)
	}
	d := func(r, c int, v ...float32) *mat32.Dense { return mat32.NewDense(r, c, v) }
	X := d(3, 2, 0, 0, 0, 1, 1, 0)
	Yb := d(3, 1, 0, 1, 1)
	for _, c := range []struct {
		name    string
		n       *Network
		X, Y    *mat32.Dense
		want    string
		predict bool // Predict fails too (bad X)
	}{
		{"nil X", bce, nil, Yb, "no data", true},
		{"nil Y", bce, X, nil, "no data", false},
		{"empty X", bce, &mat32.Dense{}, Yb, "no data", true},
		{"X columns", bce, d(3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0), Yb, "X has 3 columns, the network has 2 inputs", true},
		{"rows differ", bce, X, d(2, 1, 0, 1), "X has 3 samples (rows) but Y has 2", false},
		{"Y columns", bce, X, d(3, 2, 0, 1, 1, 0, 0, 1), "Y has 2 columns, the network has 1 outputs", false},
		{"BCE target 2", bce, X, d(3, 1, 0, 2, 1), "Y[1,0] = 2 is outside the classes", false},
		{"BCE target -1", bce, X, d(3, 1, 0, 1, -1), "Y[2,0] = -1 is outside the classes", false},
		{"CE row sum", ce, X, d(3, 3, 1, 0, 0, 0, 1, 1, 0, 0, 1), "row 1 of Y sums to 2", false},
		{"CE row zero", ce, X, d(3, 3, 1, 0, 0, 0, 0, 0, 0, 0, 1), "row 1 of Y sums to 0", false},
		{"NaN in X", bce, d(3, 2, 0, 0, 0, nan, 1, 0), Yb, "X[1,1] is NaN", true},
		{"Inf in X", mse, d(3, 2, 0, 0, 0, 0, inf, 0), Yb, "X[2,0] is -Inf", true},
		{"NaN in Y", mse, X, d(3, 1, 0, nan, 1), "Y[1,0] is NaN", false},
		{"Inf in Y", ce, X, d(3, 3, 1, 0, 0, 0, 1, 0, 0, 0, inf), "Y[2,2] is -Inf", false},
	} {
		before := append([]float32(nil), c.n.params...)
		_, err := c.n.Fit(context.Background(), c.X, c.Y, FitConfig{Optimizer: GD{}, Iterations: 1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Fit error %v, want one containing %q", c.name, err, c.want)
		}
		for i := range before {
			if math.Float32bits(before[i]) != math.Float32bits(c.n.params[i]) {
				t.Fatalf("%s: Fit changed the weights before failing", c.name)
			}
		}
		if _, err := c.n.Evaluate(c.X, c.Y); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Evaluate error %v, want one containing %q", c.name, err, c.want)
		}
		_, err = c.n.Predict(c.X)
		if c.predict && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: Predict error %v, want one containing %q", c.name, err, c.want)
		}
		if !c.predict && err != nil {
			t.Errorf("%s: Predict (X is fine): %v", c.name, err)
		}
	}
	// MSE targets may lie outside [0, 1]; CE targets may be soft.
	if _, err := mse.Fit(context.Background(), X, d(3, 1, -5, 2, 7), FitConfig{Optimizer: GD{}, Iterations: 1}); err != nil {
		t.Errorf("MSE with targets outside [0, 1]: %v", err)
	}
	if _, err := ce.Evaluate(X, d(3, 3, 0.5, 0.5, 0, 0, 1, 0, 0.25, 0.25, 0.5)); err != nil {
		t.Errorf("CE with soft targets: %v", err)
	}
}

func TestOneHotErrors(t *testing.T) {
	for _, c := range []struct {
		labels  []int
		classes int
		want    string
	}{
		{[]int{0, 3, 1}, 3, "label 3 of sample 1 is outside the classes 0..2"},
		{[]int{-1}, 3, "label -1 of sample 0"},
		{[]int{0}, 0, "0 classes"},
		{nil, 3, "no labels"},
	} {
		if _, err := OneHot(c.labels, c.classes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OneHot(%v, %d): error %v, want one containing %q", c.labels, c.classes, err, c.want)
		}
	}
	y, err := OneHot([]int{2, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !mat32.Equal(y, mat32.NewDense(2, 3, []float32{0, 0, 1, 1, 0, 0})) {
		t.Errorf("OneHot([2 0], 3) = %v", y.RawMatrix().Data)
	}
}

func TestFitConfigErrors(t *testing.T) {
	n, err := New(Config{Inputs: 2, Outputs: 1, Loss: BinaryCrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	X := mat32.NewDense(2, 2, []float32{0, 1, 1, 0})
	Y := mat32.NewDense(2, 1, []float32{0, 1})
	for _, c := range []struct {
		cfg  FitConfig
		want string
	}{
		{FitConfig{Iterations: 1}, "FitConfig.Optimizer is nil"},
		{FitConfig{Optimizer: GD{}}, "set FitConfig.Iterations or Epochs"},
		{FitConfig{Optimizer: GD{}, Iterations: -1}, "negative Iterations (-1)"},
		{FitConfig{Optimizer: SGD{}, Epochs: -2, Iterations: 1}, "Epochs (-2)"},
		{FitConfig{Optimizer: SGD{}, Epochs: 1, BatchSize: -3}, "BatchSize (-3)"},
	} {
		if _, err := n.Fit(context.Background(), X, Y, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Fit(%+v): error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
}

func TestParseNames(t *testing.T) {
	for a := Identity; a <= ReLU; a++ {
		if got, err := ParseActivation(a.String()); got != a || err != nil {
			t.Errorf("ParseActivation(%q) = %v, %v", a.String(), got, err)
		}
	}
	for l := BinaryCrossEntropy; l <= MeanSquaredError; l++ {
		if got, err := ParseLoss(l.String()); got != l || err != nil {
			t.Errorf("ParseLoss(%q) = %v, %v", l.String(), got, err)
		}
	}
	for in := InitLecture; in <= InitHe; in++ {
		if got, err := ParseInit(in.String()); got != in || err != nil {
			t.Errorf("ParseInit(%q) = %v, %v", in.String(), got, err)
		}
	}
	if _, err := ParseActivation("softplus"); err == nil {
		t.Error("ParseActivation(softplus) succeeded")
	}
	if _, err := ParseLoss("hinge"); err == nil {
		t.Error("ParseLoss(hinge) succeeded")
	}
	if _, err := ParseInit("zeros"); err == nil {
		t.Error("ParseInit(zeros) succeeded")
	}
}
