package mlp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// TestWeightDecayUpdates checks three steps of every optimizer with
// FitConfig.WeightDecay, and of AdamW, against float64 formulas: the L2
// decay adds λ·w to the gradients of the weights, not of the biases, and
// AdamW takes lr·wd·w off the weights after Adam's step.
func TestWeightDecayUpdates(t *testing.T) {
	n, err := New(Config{Inputs: 5, Hidden: []Layer{{7, Tanh}}, Outputs: 3, Loss: MeanSquaredError, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := n.NumParams()
	isWeight := make([]bool, p)
	for _, l := range n.layers {
		for i := l.off; i < l.off+l.out*l.in; i++ {
			isWeight[i] = true
		}
	}
	const l2 = 0.3
	// The step's learning rate changes, as a schedule changes it. Each
	// reference rule's step is linear in lr (rescale), but for Momentum's
	// velocity, which keeps the rates of earlier steps: its reference reads
	// the rate of the step from lr.
	var lr float32
	cases := []struct {
		opt   Optimizer
		l2    float64
		ref   func() refOptimizer
		decay float64 // AdamW's decoupled decay
	}{
		{SGD{LR: 0.1}, l2, func() refOptimizer { return refSGD(f32(0.1)) }, 0},
		{Momentum{LR: 0.1, Mu: 0.5}, l2, func() refOptimizer {
			v := make([]float64, p)
			return func(w, g []float64, _ int) {
				for i := range w {
					v[i] = 0.5*v[i] - float64(lr)*g[i]
					w[i] += v[i]
				}
			}
		}, 0},
		{AdaGrad{LR: 0.1}, l2, func() refOptimizer { return refAdaGrad(f32(0.1), f32(1e-8), p) }, 0},
		{RMSProp{LR: 0.01}, l2, func() refOptimizer { return refRMSProp(f32(0.01), f32(0.9), f32(1e-8), p) }, 0},
		{Adam{LR: 0.01}, l2, func() refOptimizer { return refAdam(f32(0.01), f32(0.9), f32(0.999), f32(1e-8), p) }, 0},
		{AdamW{LR: 0.01, WeightDecay: 0.5}, 0, func() refOptimizer { return refAdam(f32(0.01), f32(0.9), f32(0.999), f32(1e-8), p) }, 0.5},
		{AdamW{LR: 0.01}, l2, func() refOptimizer { return refAdam(f32(0.01), f32(0.9), f32(0.999), f32(1e-8), p) }, f32(0.01)},
	}
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			for _, c := range cases {
				t.Run(c.opt.String(), func(t *testing.T) {
					up, err := c.opt.start(p)
					if err != nil {
						t.Fatal(err)
					}
					var u updateTask
					u.setDecay(n, float32(c.l2), up.decoupled())
					ref := c.ref()
					rng := rand.New(rand.NewPCG(1, 2))
					w, w64 := make([]float32, p), make([]float64, p)
					for i := range w {
						w[i] = float32(rng.NormFloat64())
						w64[i] = float64(w[i])
					}
					g, g64 := make([]float32, p), make([]float64, p)
					for step := 1; step <= 3; step++ {
						lr = up.rate() * float32(step) / 2
						for i := range g {
							g[i] = float32(rng.NormFloat64())
							g64[i] = float64(g[i])
							if isWeight[i] {
								g64[i] += float64(float32(c.l2)) * w64[i]
							}
						}
						old := append([]float64(nil), w64...)
						if !u.run(up, w, g, step, lr) {
							t.Fatalf("step %d: not finite", step)
						}
						w, g = g, w // the new weights are in g
						if _, ok := c.opt.(Momentum); ok {
							ref(w64, g64, step)
						} else {
							rescale(ref, float64(lr)/float64(up.rate()))(w64, g64, step)
						}
						for i := range w64 {
							if isWeight[i] {
								w64[i] -= float64(lr) * c.decay * old[i]
							}
						}
						for i := range w {
							if d := math.Abs(float64(w[i]) - w64[i]); d > 2e-6*math.Max(1, math.Abs(w64[i])) {
								t.Errorf("step %d: %s = %.9g, float64 rule %.9g", step, n.paramName(i), w[i], w64[i])
							}
						}
					}
				})
			}
		})
	}
}

// rescale returns ref with its learning rate scaled by k: every reference
// rule's step is linear in lr, so scaling the step scales lr.
func rescale(ref refOptimizer, k float64) refOptimizer {
	return func(w, g []float64, t int) {
		old := append([]float64(nil), w...)
		ref(w, g, t)
		for i := range w {
			w[i] = old[i] + k*(w[i]-old[i])
		}
	}
}

// TestWeightDecayFit checks that Fit applies WeightDecay: one SGD step with
// it moves each weight by −lr·λ·w more than without, and leaves the
// biases as without.
func TestWeightDecayFit(t *testing.T) {
	X, Y := mat32.NewDense(3, 2, []float32{1, 2, -1, 0.5, 0, 1}), mat32.NewDense(3, 1, []float32{1, 0, 1})
	cfg := Config{Inputs: 2, Hidden: []Layer{{4, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 3}
	fit := func(wd float32) *Network {
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: SGD{LR: 0.5}, Iterations: 1, WeightDecay: wd}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	w0, _ := New(cfg)
	plain, decayed := fit(0), fit(0.2)
	for i := range w0.params {
		want := float64(plain.params[i])
		if plain.paramName(i)[8] == 'W' {
			want -= 0.5 * float64(float32(0.2)) * float64(w0.params[i])
		}
		if d := math.Abs(float64(decayed.params[i]) - want); d > 1e-6 {
			t.Errorf("%s = %.9g, want %.9g", plain.paramName(i), decayed.params[i], want)
		}
	}
}

// TestDropoutMask checks the masks' statistics: each element is 0 with
// probability p and 1/(1−p) otherwise, so its mean is 1; rows, layers and
// steps draw different masks, and the same ones when drawn again.
func TestDropoutMask(t *testing.T) {
	for _, p := range []float32{0.1, 0.5, 0.9} {
		d := &dropout{thr: uint64(math.Round(float64(p) * (1 << 32))), keep: float32(1 / (1 - float64(p))), seed: 42, step: 7}
		const width, rows = 1001, 200
		m := make([]float32, width*rows)
		for r := range rows {
			d.drawRow(m[r*width:(r+1)*width], 1, r)
		}
		zeros, sum := 0, 0.0
		for _, v := range m {
			switch v {
			case 0:
				zeros++
			case d.keep:
			default:
				t.Fatalf("p=%v: mask element %v, want 0 or %v", p, v, d.keep)
			}
			sum += float64(v)
		}
		N := float64(len(m))
		sd := math.Sqrt(float64(p) * (1 - float64(p)) / N)
		if f := float64(zeros) / N; math.Abs(f-float64(p)) > 5*sd {
			t.Errorf("p=%v: %.4f of the elements dropped, more than 5σ (%.4f) from p", p, f, 5*sd)
		}
		if mean := sum / N; math.Abs(mean-1) > 5*sd/(1-float64(p)) {
			t.Errorf("p=%v: mask mean %.4f, want 1", p, mean)
		}
		// Neighbouring elements, rows, layers and steps are not the same
		// draws: count agreements of zero patterns, which independent
		// draws make with probability p² + (1−p)².
		agree := func(a, b []float32) float64 {
			k := 0
			for i := range a {
				if (a[i] == 0) == (b[i] == 0) {
					k++
				}
			}
			return float64(k) / float64(len(a))
		}
		want := float64(p*p + (1-p)*(1-p))
		row := make([]float32, width)
		for _, c := range []struct {
			name    string
			l, r, s int
		}{{"next row", 1, 1, 7}, {"next layer", 2, 0, 7}, {"next step", 1, 0, 8}} {
			d.step = c.s
			d.drawRow(row, c.l, c.r)
			d.step = 7
			if a := agree(m[:width], row); math.Abs(a-want) > 0.06 {
				t.Errorf("p=%v: %s agrees with row 0 on %.3f of the elements, independent draws on %.3f", p, c.name, a, want)
			}
		}
		if a := agree(m[0:width-1:width], m[1:width]); math.Abs(a-want) > 0.06 {
			t.Errorf("p=%v: neighbours agree on %.3f, independent draws on %.3f", p, a, want)
		}
		d.drawRow(row, 1, 0)
		for j := range row {
			if row[j] != m[j] {
				t.Fatalf("p=%v: a mask drawn again differs at %d", p, j)
			}
		}
	}
}

// TestDropoutGradients checks one training step's gradients with dropout
// against central finite differences of the loss with the same masks.
func TestDropoutGradients(t *testing.T) {
	const rows = 9
	for _, act := range []Activation{Sigmoid, Tanh} {
		n, x, y := gradNet(t, []int{5, 8, 6, 3}, act, CrossEntropy, rows, 5, false)
		ws := n.newWorkspace(rows, true)
		ws.setDropout(n, 0.5, 11)
		ws.drop.step = 3
		n.forward(ws, x, n.cfg.Inputs, rows)
		n.lossGrad(ws, y, rows, rows, true)
		n.backward(ws, x, n.cfg.Inputs, rows)
		g := append([]float32(nil), ws.grads...)
		zeros := 0
		for _, m := range ws.drop.mask {
			for _, v := range m {
				if v == 0 {
					zeros++
				}
			}
		}
		if zeros == 0 {
			t.Fatal("no unit dropped")
		}
		loss := func() float64 {
			n.forward(ws, x, n.cfg.Inputs, rows)
			return n.lossGrad(ws, y, rows, rows, false) / rows
		}
		const h = 1e-2
		for i := range n.params {
			w := n.params[i]
			n.params[i] = w + h
			ep := loss()
			n.params[i] = w - h
			em := loss()
			n.params[i] = w
			fd := (ep - em) / (2 * h)
			if d := math.Abs(float64(g[i])-fd) / math.Max(1, math.Abs(fd)); d > 2e-3 {
				t.Errorf("act=%v: %s: gradient %.6g, finite difference %.6g", act, n.paramName(i), g[i], fd)
			}
		}
	}
}

// TestDropoutFit checks that dropout changes training, keeps it bitwise
// the same on any number of threads, and is off in Predict.
func TestDropoutFit(t *testing.T) {
	X, Y := refData(300)
	cfg := Config{Inputs: refInputs, Hidden: []Layer{{64, ReLU}, {32, Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1}
	prev := kernels.SetThreads(0)
	t.Cleanup(func() { kernels.SetThreads(prev) })
	train := func(p float32, threads int) *Network {
		kernels.SetThreads(threads)
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = n.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{}, BatchSize: 64, Epochs: 2, Dropout: p, Seed: 9,
			OnStep: func(Progress) error {
				if (n.train.drop != nil) != (p > 0) {
					t.Fatalf("dropout %v, but the workspace's is %v", p, n.train.drop)
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if n.train.drop != nil {
			t.Error("dropout still set after Fit")
		}
		return n
	}
	a, b, plain := train(0.3, 1), train(0.3, 3), train(0, 1)
	for i := range a.params {
		if math.Float32bits(a.params[i]) != math.Float32bits(b.params[i]) {
			t.Fatalf("%s: %v on 1 thread, %v on 3", a.paramName(i), a.params[i], b.params[i])
		}
	}
	same := 0
	for i := range a.params {
		if a.params[i] == plain.params[i] {
			same++
		}
	}
	if same > len(a.params)/2 {
		t.Errorf("%d of %d weights as without dropout", same, len(a.params))
	}
	// Predict drops nothing: twice the same, and as the float64 reference.
	p1, _ := a.Predict(X)
	p2, _ := a.Predict(X)
	ref := newRefMLP(a)
	_, outs := ref.forward(ref.params, toF64(X), 300)
	last := outs[len(outs)-1]
	for i := range 300 {
		if p1.At(i, 0) != p2.At(i, 0) {
			t.Fatalf("Predict differs between calls at row %d", i)
		}
		want := 1 / (1 + math.Exp(-last[i]))
		if d := math.Abs(float64(p1.At(i, 0)) - want); d > 1e-4 {
			t.Fatalf("Predict row %d = %v, reference without dropout %v", i, p1.At(i, 0), want)
		}
	}
}
