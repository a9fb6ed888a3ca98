package mlp

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// refOptimizer is a float64 optimizer, written from the rules in the
// optimizers' doc comments.
type refOptimizer func(w, g []float64, t int)

func refSGD(lr float64) refOptimizer {
	return func(w, g []float64, _ int) {
		for i := range w {
			w[i] -= lr * g[i]
		}
	}
}

func refMomentum(lr, mu float64, p int) refOptimizer {
	v := make([]float64, p)
	return func(w, g []float64, _ int) {
		for i := range w {
			v[i] = mu*v[i] - lr*g[i]
			w[i] += v[i]
		}
	}
}

func refAdaGrad(lr, eps float64, p int) refOptimizer {
	h := make([]float64, p)
	return func(w, g []float64, _ int) {
		for i := range w {
			h[i] += g[i] * g[i]
			w[i] -= lr * g[i] / (math.Sqrt(h[i]) + eps)
		}
	}
}

func refRMSProp(lr, rho, eps float64, p int) refOptimizer {
	h := make([]float64, p)
	return func(w, g []float64, _ int) {
		for i := range w {
			h[i] = rho*h[i] + (1-rho)*g[i]*g[i]
			w[i] -= lr * g[i] / (math.Sqrt(h[i]) + eps)
		}
	}
}

func refAdam(lr, b1, b2, eps float64, p int) refOptimizer {
	m, v := make([]float64, p), make([]float64, p)
	return func(w, g []float64, t int) {
		for i := range w {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(b1, float64(t)))
			vh := v[i] / (1 - math.Pow(b2, float64(t)))
			w[i] -= lr * mh / (math.Sqrt(vh) + eps)
		}
	}
}

// f32 rounds x to float32, as a hyperparameter is stored.
func f32(x float64) float64 { return float64(float32(x)) }

func TestOptimizerUpdates(t *testing.T) {
	const p = 37 // a vector tail after every SIMD width
	cases := []struct {
		opt Optimizer
		ref func() refOptimizer
	}{
		{GD{LR: 0.3}, func() refOptimizer { return refSGD(f32(0.3)) }},
		{GD{}, func() refOptimizer { return refSGD(f32(0.1)) }},
		{SGD{LR: 0.05}, func() refOptimizer { return refSGD(f32(0.05)) }},
		{SGD{}, func() refOptimizer { return refSGD(f32(0.01)) }},
		{Momentum{LR: 0.05, Mu: 0.5}, func() refOptimizer { return refMomentum(f32(0.05), 0.5, p) }},
		{Momentum{}, func() refOptimizer { return refMomentum(f32(0.01), f32(0.9), p) }},
		{AdaGrad{LR: 0.2, Eps: 0.5}, func() refOptimizer { return refAdaGrad(f32(0.2), 0.5, p) }},
		{AdaGrad{}, func() refOptimizer { return refAdaGrad(f32(0.01), f32(1e-8), p) }},
		{RMSProp{LR: 0.02, Rho: 0.75, Eps: 0.25}, func() refOptimizer { return refRMSProp(f32(0.02), 0.75, 0.25, p) }},
		{RMSProp{}, func() refOptimizer { return refRMSProp(f32(0.001), f32(0.9), f32(1e-8), p) }},
		{Adam{LR: 0.05, Beta1: 0.5, Beta2: 0.75, Eps: 0.125}, func() refOptimizer { return refAdam(f32(0.05), 0.5, 0.75, 0.125, p) }},
		{Adam{}, func() refOptimizer { return refAdam(f32(0.001), f32(0.9), f32(0.999), f32(1e-8), p) }},
	}
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			for _, c := range cases {
				t.Run(c.opt.String(), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(1, 2))
					up, err := c.opt.start(p)
					if err != nil {
						t.Fatal(err)
					}
					ref := c.ref()
					w := make([]float32, p)
					w64 := make([]float64, p)
					for i := range w {
						w[i] = float32(rng.NormFloat64())
						w64[i] = float64(w[i])
					}
					g, g64 := make([]float32, p), make([]float64, p)
					for step := 1; step <= 3; step++ {
						for i := range g {
							g[i] = float32(rng.NormFloat64())
							g64[i] = float64(g[i])
						}
						before := append([]float32(nil), w...)
						// Two calls over parts of the parameters, as the
						// update tiles make them.
						up.update(w, w, g, 0, 20, step, up.rate())
						up.update(w, w, g, 20, p, step, up.rate())
						ref(w64, g64, step)
						for i := range w {
							if w[i] == before[i] {
								t.Errorf("step %d: w[%d] did not change", step, i)
							}
							if d := math.Abs(float64(w[i]) - w64[i]); d > 1e-6*math.Max(1, math.Abs(w64[i])) {
								t.Errorf("step %d: w[%d] = %.9g, float64 rule %.9g", step, i, w[i], w64[i])
							}
						}
					}
				})
			}
		})
	}
}

// TestOptimizerRange checks that an update touches only w[lo:hi].
func TestOptimizerRange(t *testing.T) {
	for _, opt := range []Optimizer{GD{}, SGD{}, Momentum{}, AdaGrad{}, RMSProp{}, Adam{}, AdamW{}} {
		up, err := opt.start(10)
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float32, 10)
		g := make([]float32, 10)
		for i := range g {
			g[i] = 1
		}
		for step := 1; step <= 2; step++ {
			up.update(w, w, g, 3, 7, step, up.rate())
		}
		for i, v := range w {
			if in := i >= 3 && i < 7; in != (v != 0) {
				t.Errorf("%v: w[%d] = %v after updates of w[3:7]", opt, i, v)
			}
		}
	}
}

// TestOptimizerFreshState checks that each Fit starts the optimizer's
// state afresh: a Momentum Fit of one step, twice, moves the weights as
// two plain gradient steps do, not as two steps with momentum.
func TestOptimizerFreshState(t *testing.T) {
	X, Y := refData(20)
	mk := func() *Network {
		n, err := New(Config{Inputs: refInputs, Hidden: []Layer{{8, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b := mk(), mk()
	for range 2 {
		if _, err := a.Fit(context.Background(), X, Y, FitConfig{Optimizer: Momentum{LR: 0.1, Mu: 0.9}, Iterations: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Fit(context.Background(), X, Y, FitConfig{Optimizer: SGD{LR: 0.1}, Iterations: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range a.params {
		if d := math.Abs(float64(a.params[i] - b.params[i])); d > 1e-6 {
			t.Fatalf("param %d: %v after two Momentum Fits of one step, %v after two SGD steps", i, a.params[i], b.params[i])
		}
	}
}

func TestOptimizerString(t *testing.T) {
	for _, c := range []struct {
		opt  Optimizer
		want string
	}{
		{GD{}, "GD(lr=0.1)"},
		{SGD{}, "SGD(lr=0.01)"},
		{Momentum{}, "Momentum(lr=0.01, mu=0.9)"},
		{AdaGrad{}, "AdaGrad(lr=0.01, eps=1e-08)"},
		{RMSProp{}, "RMSProp(lr=0.001, rho=0.9, eps=1e-08)"},
		{Adam{}, "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"},
		{Adam{LR: 0.5, Beta2: 0.5}, "Adam(lr=0.5, beta1=0.9, beta2=0.5, eps=1e-08)"},
		{Momentum{LR: 0.25, Mu: 0.5}, "Momentum(lr=0.25, mu=0.5)"},
	} {
		if got := c.opt.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.opt, got, c.want)
		}
	}
}

func TestParseOptimizer(t *testing.T) {
	for _, c := range []struct {
		name string
		want Optimizer
	}{
		{"gd", GD{LR: 0.5}}, {"sgd", SGD{LR: 0.5}}, {"momentum", Momentum{LR: 0.5}},
		{"adagrad", AdaGrad{LR: 0.5}}, {"rmsprop", RMSProp{LR: 0.5}}, {"adam", Adam{LR: 0.5}},
	} {
		got, err := ParseOptimizer(c.name, 0.5)
		if err != nil || got != c.want {
			t.Errorf("ParseOptimizer(%q, 0.5) = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := ParseOptimizer("lbfgs", 0); err == nil || !strings.Contains(err.Error(), `"lbfgs"`) {
		t.Errorf("ParseOptimizer(lbfgs): error %v, want one naming it", err)
	}
}

// TestOptimizerErrors checks that Fit rejects bad hyperparameters with an
// error naming the optimizer and the field.
func TestOptimizerErrors(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	n, err := New(Config{Inputs: 2, Hidden: []Layer{{3, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	X := mat32.NewDense(4, 2, []float32{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{0, 1, 1, 0})
	for _, c := range []struct {
		opt         Optimizer
		name, field string
	}{
		{GD{LR: -0.1}, "GD", "LR"},
		{GD{LR: nan}, "GD", "LR"},
		{GD{LR: inf}, "GD", "LR"},
		{SGD{LR: -1}, "SGD", "LR"},
		{SGD{LR: -inf}, "SGD", "LR"},
		{Momentum{LR: nan}, "Momentum", "LR"},
		{Momentum{Mu: 1}, "Momentum", "Mu"},
		{Momentum{Mu: -0.5}, "Momentum", "Mu"},
		{Momentum{Mu: nan}, "Momentum", "Mu"},
		{AdaGrad{LR: -1}, "AdaGrad", "LR"},
		{AdaGrad{Eps: -1e-8}, "AdaGrad", "Eps"},
		{AdaGrad{Eps: inf}, "AdaGrad", "Eps"},
		{RMSProp{LR: inf}, "RMSProp", "LR"},
		{RMSProp{Rho: 1}, "RMSProp", "Rho"},
		{RMSProp{Rho: 1.5}, "RMSProp", "Rho"},
		{RMSProp{Eps: nan}, "RMSProp", "Eps"},
		{Adam{LR: -0.001}, "Adam", "LR"},
		{Adam{Beta1: 1}, "Adam", "Beta1"},
		{Adam{Beta1: -0.1}, "Adam", "Beta1"},
		{Adam{Beta2: 1}, "Adam", "Beta2"},
		{Adam{Beta2: nan}, "Adam", "Beta2"},
		{Adam{Eps: -1}, "Adam", "Eps"},
	} {
		before := append([]float32(nil), n.params...)
		_, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: c.opt, Iterations: 1})
		if err == nil {
			t.Errorf("Fit with %#v: no error", c.opt)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.name+": "+c.field+" is") {
			t.Errorf("Fit with %#v: error %q does not name %s's %s", c.opt, msg, c.name, c.field)
		}
		for i := range before {
			if math.Float32bits(before[i]) != math.Float32bits(n.params[i]) {
				t.Fatalf("Fit with %#v changed the weights before failing", c.opt)
			}
		}
	}
	// GD is full-batch only.
	_, err = n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 1, BatchSize: 3})
	if err == nil || !strings.Contains(err.Error(), "BatchSize is 3 of 4") {
		t.Errorf("GD with BatchSize 3 of 4 samples: error %v", err)
	}
	for _, bs := range []int{0, 4, 5} {
		if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 1, BatchSize: bs}); err != nil {
			t.Errorf("GD with BatchSize %d of 4 samples (the full batch): %v", bs, err)
		}
	}
}
