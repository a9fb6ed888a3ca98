package mlp

import (
	"context"
	"math"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// refMLP is a plain float64 multi-layer perceptron with the same layout,
// activations and losses as Network, written with loops for clarity: the
// reference the float32 network is checked against.
type refMLP struct {
	loss   Loss
	inputs int
	layers []refLayer
	params []float64 // laid out like Network.params: W (out×in) then b, per layer
}

type refLayer struct {
	in, out, off int
	act          Activation
}

func (l refLayer) w(p []float64, j, k int) float64 { return p[l.off+j*l.in+k] }
func (l refLayer) b(p []float64, j int) float64    { return p[l.off+l.out*l.in+j] }

// newRefMLP returns a float64 copy of n with its current weights.
func newRefMLP(n *Network) *refMLP {
	r := &refMLP{loss: n.cfg.Loss, inputs: n.cfg.Inputs, params: make([]float64, len(n.params))}
	for _, l := range n.layers {
		r.layers = append(r.layers, refLayer{in: l.in, out: l.out, off: l.off, act: l.act})
	}
	for i, v := range n.params {
		r.params[i] = float64(v)
	}
	return r
}

func refAct(a Activation, z float64) float64 {
	switch a {
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case Tanh:
		return math.Tanh(z)
	case ReLU:
		return math.Max(z, 0)
	}
	return z
}

// refActDeriv returns f′(z) for the activation a.
func refActDeriv(a Activation, z float64) float64 {
	switch a {
	case Sigmoid:
		s := 1 / (1 + math.Exp(-z))
		return s * (1 - s)
	case Tanh:
		t := math.Tanh(z)
		return 1 - t*t
	case ReLU:
		if z > 0 {
			return 1
		}
		return 0
	}
	return 1
}

// forward returns every layer's pre-activations z and outputs f(z) for
// rows samples x (rows×inputs, compact); the last layer's outputs are its
// logits.
func (r *refMLP) forward(p, x []float64, rows int) (pre, post [][]float64) {
	a, width := x, r.inputs
	for _, l := range r.layers {
		z := make([]float64, rows*l.out)
		o := make([]float64, rows*l.out)
		for s := 0; s < rows; s++ {
			for j := 0; j < l.out; j++ {
				v := l.b(p, j)
				for k := 0; k < l.in; k++ {
					v += l.w(p, j, k) * a[s*width+k]
				}
				z[s*l.out+j] = v
				o[s*l.out+j] = refAct(l.act, v)
			}
		}
		pre, post = append(pre, z), append(post, o)
		a, width = o, l.out
	}
	return pre, post
}

// head returns the outputs for one sample's logits z: σ(z), softmax(z) or z.
func (r *refMLP) head(z []float64) []float64 {
	out := make([]float64, len(z))
	switch r.loss {
	case BinaryCrossEntropy:
		for j, v := range z {
			out[j] = 1 / (1 + math.Exp(-v))
		}
	case CrossEntropy:
		m := math.Inf(-1)
		for _, v := range z {
			m = math.Max(m, v)
		}
		sum := 0.0
		for j, v := range z {
			out[j] = math.Exp(v - m)
			sum += out[j]
		}
		for j := range out {
			out[j] /= sum
		}
	default:
		copy(out, z)
	}
	return out
}

// sampleLoss returns the loss of one sample's logits z against targets y.
func (r *refMLP) sampleLoss(z, y []float64) float64 {
	a := r.head(z)
	e := 0.0
	for j := range z {
		switch r.loss {
		case BinaryCrossEntropy:
			// −y·log a − (1−y)·log(1−a), with log(1−σ(z)) = log σ(−z)
			// so that it stays accurate for large z.
			e -= y[j]*math.Log(a[j]) + (1-y[j])*math.Log(1/(1+math.Exp(z[j])))
		case CrossEntropy:
			if y[j] != 0 {
				e -= y[j] * math.Log(a[j])
			}
		default:
			d := a[j] - y[j]
			e += d * d / 2
		}
	}
	return e
}

// lossAt returns the mean loss over rows samples at parameters p.
func (r *refMLP) lossAt(p, x, y []float64, rows int) float64 {
	_, post := r.forward(p, x, rows)
	z := post[len(post)-1]
	outs := r.layers[len(r.layers)-1].out
	e := 0.0
	for s := 0; s < rows; s++ {
		e += r.sampleLoss(z[s*outs:(s+1)*outs], y[s*outs:(s+1)*outs])
	}
	return e / float64(rows)
}

// accuracy returns the share of right predictions as Metrics defines it.
func (r *refMLP) accuracy(x, y []float64, rows int) float64 {
	_, post := r.forward(r.params, x, rows)
	z := post[len(post)-1]
	outs := r.layers[len(r.layers)-1].out
	right, total := 0, 0
	for s := 0; s < rows; s++ {
		zs, ys := z[s*outs:(s+1)*outs], y[s*outs:(s+1)*outs]
		switch r.loss {
		case BinaryCrossEntropy:
			for j := range zs {
				if (zs[j] >= 0) == (ys[j] >= 0.5) {
					right++
				}
				total++
			}
		case CrossEntropy:
			bz, by := 0, 0
			for j := range zs {
				if zs[j] > zs[bz] {
					bz = j
				}
				if ys[j] > ys[by] {
					by = j
				}
			}
			if bz == by {
				right++
			}
			total++
		}
	}
	if total == 0 {
		return math.NaN()
	}
	return float64(right) / float64(total)
}

// grads returns the mean loss and its gradient with respect to r.params
// (laid out like them), by backpropagation.
func (r *refMLP) grads(x, y []float64, rows int) (float64, []float64) {
	p := r.params
	pre, post := r.forward(p, x, rows)
	g := make([]float64, len(p))
	last := len(r.layers) - 1
	outs := r.layers[last].out
	// Output layer: ∂E/∂z = (head(z) − y)/N for all three losses (each
	// head is the canonical link of its loss; CE targets sum to 1).
	delta := make([]float64, rows*outs)
	e := 0.0
	for s := 0; s < rows; s++ {
		z, ys := post[last][s*outs:(s+1)*outs], y[s*outs:(s+1)*outs]
		e += r.sampleLoss(z, ys)
		a := r.head(z)
		for j := range a {
			delta[s*outs+j] = (a[j] - ys[j]) / float64(rows)
		}
	}
	for i := last; i >= 0; i-- {
		l := r.layers[i]
		in, width := x, r.inputs
		if i > 0 {
			in, width = post[i-1], r.layers[i-1].out
		}
		for j := 0; j < l.out; j++ {
			for k := 0; k < l.in; k++ {
				v := 0.0
				for s := 0; s < rows; s++ {
					v += delta[s*l.out+j] * in[s*width+k]
				}
				g[l.off+j*l.in+k] = v
			}
			v := 0.0
			for s := 0; s < rows; s++ {
				v += delta[s*l.out+j]
			}
			g[l.off+l.out*l.in+j] = v
		}
		if i == 0 {
			break
		}
		prev := r.layers[i-1]
		d := make([]float64, rows*l.in)
		for s := 0; s < rows; s++ {
			for k := 0; k < l.in; k++ {
				v := 0.0
				for j := 0; j < l.out; j++ {
					v += delta[s*l.out+j] * l.w(p, j, k)
				}
				d[s*l.in+k] = v * refActDeriv(prev.act, pre[i-1][s*l.in+k])
			}
		}
		delta = d
	}
	return e / float64(rows), g
}

// gdStep takes one full-batch gradient-descent step and returns the loss
// before it.
func (r *refMLP) gdStep(x, y []float64, rows int, lr float64) float64 {
	e, g := r.grads(x, y, rows)
	for i := range r.params {
		r.params[i] -= lr * g[i]
	}
	return e
}

// toF64 returns m's elements, row by row, in float64.
func toF64(m *mat32.Dense) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		for _, v := range m.Row(i) {
			out = append(out, float64(v))
		}
	}
	return out
}

// TestReferenceWorkload trains the reference workload's network (784-196-1,
// sigmoid, BCE, full-batch GD with learning rate 0.1) on a small random
// data set and checks every step's loss, and the final weights, against
// the float64 reference trained from the same initial weights.
func TestReferenceWorkload(t *testing.T) {
	const rows, lr = 64, 0.1
	steps := 25
	if testing.Short() {
		steps = 5
	}
	X, Y := refData(rows)
	x, y := toF64(X), toF64(Y)
	// The float64 trajectory, computed once for every implementation.
	ref := newRefMLP(refNet(t))
	want := make([]float64, steps)
	for s := range want {
		want[s] = ref.gdStep(x, y, rows, lr)
	}
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			n := refNet(t)
			var losses []float64
			res, err := n.Fit(context.Background(), X, Y, FitConfig{
				Optimizer:  GD{LR: lr},
				Iterations: steps,
				OnStep: func(p Progress) error {
					losses = append(losses, p.Loss)
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Steps != steps || len(losses) != steps {
				t.Fatalf("Fit took %d steps and called OnStep %d times, want %d", res.Steps, len(losses), steps)
			}
			// Measured on AMD EPYC (Zen 3): the largest relative loss
			// difference over 25 steps is 1.0e-7 (avx2) and 3.9e-8
			// (generic); the largest weight difference 6.2e-8 (both).
			const lossTol, weightTol = 1e-5, 2e-6
			worst := 0.0
			for s := 0; s < steps; s++ {
				d := math.Abs(losses[s]-want[s]) / math.Abs(want[s])
				worst = math.Max(worst, d)
				if d > lossTol {
					t.Errorf("step %d: loss %.9g, float64 reference %.9g (relative difference %.2g)", s+1, losses[s], want[s], d)
				}
			}
			if s := steps - 1; losses[s] >= losses[0] {
				t.Errorf("loss did not fall: %.6g at step 1, %.6g at step %d", losses[0], losses[s], steps)
			}
			worstW := 0.0
			for i, v := range n.params {
				d := math.Abs(float64(v) - ref.params[i])
				worstW = math.Max(worstW, d)
				if d > weightTol*math.Max(1, math.Abs(ref.params[i])) {
					t.Fatalf("param %d after %d steps: %.9g, float64 reference %.9g", i, steps, v, ref.params[i])
				}
			}
			t.Logf("%d steps: max relative loss difference %.2g, max weight difference %.2g", steps, worst, worstW)
		})
	}
}
