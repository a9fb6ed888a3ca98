package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"gonum.org/v1/gonum/blas/gonum"
)

// gradNet returns a network of the given shape (inputs, hidden units...,
// outputs; every hidden layer with activation act) whose weights and
// biases are drawn uniformly from ±1, and rows samples of inputs and
// targets suited to loss. For ReLU and kinkFree it redraws until no
// pre-activation is within 1e-3 of the kink, so that finite differences
// stay on one side.
func gradNet(tb testing.TB, shape []int, act Activation, loss Loss, rows int, seed uint64, kinkFree bool) (n *Network, x, y []float32) {
	tb.Helper()
	for try := uint64(0); ; try++ {
		rng := rand.New(rand.NewPCG(seed, try))
		cfg := Config{Inputs: shape[0], Outputs: shape[len(shape)-1], Loss: loss, Seed: seed}
		for _, u := range shape[1 : len(shape)-1] {
			cfg.Hidden = append(cfg.Hidden, Layer{u, act})
		}
		var err error
		n, err = New(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		for i := range n.params {
			n.params[i] = float32(2*rng.Float64() - 1)
		}
		x = make([]float32, rows*cfg.Inputs)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		y = make([]float32, rows*cfg.Outputs)
		outs := cfg.Outputs
		for s := 0; s < rows; s++ {
			ys := y[s*outs : (s+1)*outs]
			switch loss {
			case BinaryCrossEntropy:
				for j := range ys {
					ys[j] = []float32{0, 1, 0.25}[rng.IntN(3)]
				}
			case CrossEntropy:
				if s%2 == 0 {
					ys[rng.IntN(outs)] = 1 // one-hot
				} else {
					ys[0] = 0.25 // a soft target
					ys[outs-1] += 0.75
				}
			default:
				for j := range ys {
					ys[j] = float32(rng.NormFloat64())
				}
			}
		}
		if act != ReLU || !kinkFree {
			return n, x, y
		}
		ref := newRefMLP(n)
		pre, _ := ref.forward(ref.params, toF64(mat32.NewDense(rows, cfg.Inputs, x)), rows)
		ok := true
		for _, z := range pre[:len(pre)-1] {
			for _, v := range z {
				ok = ok && math.Abs(v) >= 1e-3
			}
		}
		if ok {
			return n, x, y
		}
	}
}

// analyticGrads runs one training step's passes on n (forward, loss,
// backward) and returns the mean loss and a copy of the gradients.
func analyticGrads(n *Network, x, y []float32, rows int) (float64, []float32) {
	ws := n.newWorkspace(rows, true)
	n.forward(ws, x, n.cfg.Inputs, rows)
	loss := n.lossGrad(ws, y, rows, rows, true) / float64(rows)
	n.backward(ws, x, n.cfg.Inputs, rows)
	return loss, append([]float32(nil), ws.grads...)
}

// useSgemm makes the default implementation's products run through f, for
// the rest of the test; nil leaves it alone.
func useSgemm(tb testing.TB, name string, f kernels.SgemmFunc) {
	if f != nil {
		prev := kernels.Swap(kernels.Default().WithSgemm(name, f))
		tb.Cleanup(func() { kernels.Swap(prev) })
	}
}

// TestGradients compares the gradients of one training step with central
// finite differences of the float64 reference loss, and with the
// reference's backpropagation, for every hidden activation, loss, kernel
// implementation and GEMM, on small networks with one and two hidden
// layers.
func TestGradients(t *testing.T) {
	const rows, h = 7, 1e-6
	// Measured on AMD EPYC (Zen 3): the largest difference from finite
	// differences is 3.3e-7 (relative to max(1, |g|)); the float32 loss is
	// within 9.6e-8 of the reference. A wrong sign, transpose or scale is
	// off by far more than gradTol.
	const gradTol, lossTol = 1e-5, 1e-6
	acts := []Activation{Identity, Sigmoid, Tanh, ReLU}
	losses := []Loss{BinaryCrossEntropy, CrossEntropy, MeanSquaredError}
	shapes := [][]int{{5, 4, 3}, {5, 4, 3, 2}}
	worstFD, worstLoss := 0.0, 0.0
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			// The products: im's fused Sgemm (nil), and through WithSgemm,
			// with the epilogue in a second pass, gonum's Sgemm and im's own.
			gemms := []struct {
				name string
				f    kernels.SgemmFunc
			}{{"fused", nil}, {"gonum", mat32.SgemmOf(gonum.Implementation{})}, {"unfused", im.Sgemm}}
			for _, gm := range gemms {
				for _, act := range acts {
					for _, loss := range losses {
						for si, shape := range shapes {
							name := fmt.Sprintf("gemm=%s/act=%v/loss=%v/shape=%v", gm.name, act, loss, shape)
							t.Run(name, func(t *testing.T) {
								n, x, y := gradNet(t, shape, act, loss, rows, uint64(10*si+int(act)+100*int(loss)), true)
								useSgemm(t, gm.name, gm.f)
								got, g := analyticGrads(n, x, y, rows)
								ref := newRefMLP(n)
								x64 := toF64(mat32.NewDense(rows, shape[0], x))
								y64 := toF64(mat32.NewDense(rows, shape[len(shape)-1], y))
								want, rg := ref.grads(x64, y64, rows)
								dl := math.Abs(got-want) / math.Max(1, math.Abs(want))
								worstLoss = math.Max(worstLoss, dl)
								if dl > lossTol {
									t.Errorf("loss %.9g, float64 reference %.9g", got, want)
								}
								p := append([]float64(nil), ref.params...)
								for i := range p {
									w := p[i]
									p[i] = w + h
									ep := ref.lossAt(p, x64, y64, rows)
									p[i] = w - h
									em := ref.lossAt(p, x64, y64, rows)
									p[i] = w
									fd := (ep - em) / (2 * h)
									scale := math.Max(1, math.Abs(fd))
									if d := math.Abs(rg[i]-fd) / scale; d > 1e-7 {
										t.Errorf("param %d: float64 backpropagation %.9g, finite difference %.9g", i, rg[i], fd)
									}
									d := math.Abs(float64(g[i])-fd) / scale
									worstFD = math.Max(worstFD, d)
									if d > gradTol {
										t.Errorf("param %d (%s): gradient %.9g, finite difference %.9g, float64 backpropagation %.9g",
											i, n.paramName(i), g[i], fd, rg[i])
									}
								}
							})
						}
					}
				}
			}
		})
	}
	t.Logf("max gradient difference from finite differences %.2g, max loss difference %.2g", worstFD, worstLoss)
}

// paramName says which weight or bias params[i] is, for messages.
func (n *Network) paramName(i int) string {
	for li, l := range n.layers {
		if i < l.off || i >= l.off+l.out*l.in+l.out {
			continue
		}
		if j := i - l.off; j < l.out*l.in {
			return fmt.Sprintf("layer %d W[%d,%d]", li, j/l.in, j%l.in)
		}
		return fmt.Sprintf("layer %d b[%d]", li, i-l.off-l.out*l.in)
	}
	return "?"
}

// TestGradientsTiled checks the gradients against the float64 reference's
// on shapes wide and long enough that the loss, activation and bias passes
// run over several row tiles (and the GEMMs over several threads).
func TestGradientsTiled(t *testing.T) {
	// Widths 300 to 2000 give tiles of 16 to 54 rows: every pass makes
	// several tiles.
	cases := []struct {
		shape []int
		act   Activation
		loss  Loss
		rows  int
	}{
		{[]int{30, 600, 20, 2000}, Tanh, MeanSquaredError, 100},
		{[]int{40, 300, 1030}, Sigmoid, CrossEntropy, 60},
		{[]int{20, 320, 1100}, ReLU, BinaryCrossEntropy, 70},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	// Measured on AMD EPYC (Zen 3): at most 2.5e-7 relative to max(1, |g|).
	const tol = 3e-6
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			for _, c := range cases {
				t.Run(fmt.Sprintf("act=%v/loss=%v/shape=%v", c.act, c.loss, c.shape), func(t *testing.T) {
					n, x, y := gradNet(t, c.shape, c.act, c.loss, c.rows, 3, false)
					// Smaller weights keep the wide layers out of saturation.
					for i := range n.params {
						n.params[i] *= 0.1
					}
					for _, w := range []int{c.shape[1], c.shape[len(c.shape)-1]} {
						if tiles := (c.rows + tileRows(c.rows, w) - 1) / tileRows(c.rows, w); tiles < 2 {
							t.Fatalf("only %d tile of width %d", tiles, w)
						}
					}
					got, g := analyticGrads(n, x, y, c.rows)
					ref := newRefMLP(n)
					want, rg := ref.grads(toF64(mat32.NewDense(c.rows, c.shape[0], x)), toF64(mat32.NewDense(c.rows, c.shape[len(c.shape)-1], y)), c.rows)
					if d := math.Abs(got-want) / math.Max(1, math.Abs(want)); d > tol {
						t.Errorf("loss %.9g, float64 reference %.9g", got, want)
					}
					worst, bad := 0.0, 0
					for i := range g {
						d := math.Abs(float64(g[i])-rg[i]) / math.Max(1, math.Abs(rg[i]))
						worst = math.Max(worst, d)
						if d > tol && bad < 10 {
							bad++
							t.Errorf("param %d (%s): gradient %.9g, float64 reference %.9g", i, n.paramName(i), g[i], rg[i])
						}
					}
					t.Logf("max gradient difference %.2g", worst)
				})
			}
		})
	}
}
