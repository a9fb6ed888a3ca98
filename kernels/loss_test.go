package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the losses (loss.go): every implementation against float64
// references, with their gradients, on every tail length and around the
// chunk size of the assembly, and the assembly against its Go twin.

// lossData returns logits and 0/1 targets of length n, with the extremes
// ±1e30 and ±100 among them.
func lossData(rng *rand.Rand, n int, fractional bool) (z, y []float32) {
	z, y = make([]float32, n), make([]float32, n)
	extremes := []float32{1e30, -1e30, 100, -100, 0, 20, -20}
	for i := range z {
		if rng.IntN(5) == 0 {
			z[i] = extremes[rng.IntN(len(extremes))]
		} else {
			z[i] = float32(rng.NormFloat64() * 3)
		}
		y[i] = float32(rng.IntN(2))
		if fractional && rng.IntN(2) == 0 {
			y[i] = rng.Float32()
		}
	}
	return z, y
}

func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

func TestBCEWithLogits(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, n := range append(seq(0, 33), 1000) {
			z, y := lossData(rng, n, n%2 == 1)
			var want float64
			for i := range z {
				zi, yi := float64(z[i]), float64(y[i])
				want += math.Max(zi, 0) - zi*yi + math.Log1p(math.Exp(-math.Abs(zi)))
			}
			grad, all := guarded(n)
			got := im.loss.bce(grad, slices.Clip(z), y, 0.5)
			checkGuard(t, all, n, "bce grad")
			if !closeTo(got, want, 1e-6) {
				t.Fatalf("n=%d: loss %v, want %v", n, got, want)
			}
			if n > 0 {
				if got2 := im.loss.bce(nil, z, y, 0.5); got2 != got {
					t.Fatalf("n=%d: loss without grad %v, with %v", n, got2, got)
				}
			}
			for i := range z {
				w := 0.5 * (sigmoid64(float64(z[i])) - float64(y[i]))
				if math.Abs(float64(grad[i])-w) > 1e-7 {
					t.Fatalf("n=%d: grad[%d] = %v for z=%v y=%v, want %v", n, i, grad[i], z[i], y[i], w)
				}
			}
		}
	})
}

func TestMSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, n := range append(seq(0, 33), 1000) {
			p, y := randSlice(rng, n), randSlice(rng, n)
			var want float64
			for i := range p {
				d := float64(p[i]) - float64(y[i])
				want += d * d / 2
			}
			grad, all := guarded(n)
			got := im.loss.mse(grad, slices.Clip(p), y, 0.25)
			checkGuard(t, all, n, "mse grad")
			if !closeTo(got, want, 1e-6) {
				t.Fatalf("n=%d: loss %v, want %v", n, got, want)
			}
			for i := range p {
				if w := 0.25 * (float64(p[i]) - float64(y[i])); math.Abs(float64(grad[i])-w) > 1e-6*(1+math.Abs(w)) {
					t.Fatalf("n=%d: grad[%d] = %v, want %v", n, i, grad[i], w)
				}
			}
		}
	})
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, cols := range append(seq(1, 33), 300) {
			for _, scale := range []float64{1, 1e30} {
				rows := 4
				n := rows * cols
				x := make([]float32, n)
				y := make([]float32, n)
				for r := 0; r < rows; r++ {
					for j := 0; j < cols; j++ {
						x[r*cols+j] = float32(rng.NormFloat64() * scale)
					}
					y[r*cols+rng.IntN(cols)] = 1
				}
				var want float64
				wantGrad := make([]float64, n)
				for r := 0; r < rows; r++ {
					sm := softmax64(x[r*cols : (r+1)*cols])
					m := math.Inf(-1)
					for _, v := range x[r*cols : (r+1)*cols] {
						m = math.Max(m, float64(v))
					}
					var s float64
					for _, v := range x[r*cols : (r+1)*cols] {
						s += math.Exp(float64(v) - m)
					}
					lse := m + math.Log(s)
					for j := 0; j < cols; j++ {
						k := r*cols + j
						want += float64(y[k]) * (lse - float64(x[k]))
						wantGrad[k] = 0.5 * (sm[j] - float64(y[k]))
					}
				}
				grad, all := guarded(n)
				got := im.loss.sxe(grad, slices.Clip(x), y, rows, cols, 0.5)
				checkGuard(t, all, n, "sxe grad")
				if !closeTo(got, want, 1e-5) {
					t.Fatalf("cols=%d scale=%g: loss %v, want %v", cols, scale, got, want)
				}
				if got2 := im.loss.sxe(nil, x, y, rows, cols, 0.5); !closeTo(got2, got, 1e-6) {
					t.Fatalf("cols=%d: loss without grad %v, with %v", cols, got2, got)
				}
				for k := range grad {
					if math.Abs(float64(grad[k])-wantGrad[k]) > 1e-6 {
						t.Fatalf("cols=%d scale=%g: grad[%d] = %v, want %v", cols, scale, k, grad[k], wantGrad[k])
					}
				}
			}
		}
	})
}

// lossCase is BCEWithLogits or MSE with its float64 reference of one
// element: the loss term and the gradient at scale 1.
type lossCase struct {
	name string
	fn   func(im *Impl) func(grad, x, y []float32, scale float32) float64
	ref  func(x, y float64) (loss, grad float64)
}

var lossCases = []lossCase{
	{"bce", func(im *Impl) func(grad, x, y []float32, scale float32) float64 { return im.loss.bce },
		func(z, y float64) (float64, float64) {
			return math.Max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z))), sigmoid64(z) - y
		}},
	{"mse", func(im *Impl) func(grad, x, y []float32, scale float32) float64 { return im.loss.mse },
		func(p, y float64) (float64, float64) { return (p - y) * (p - y) / 2, p - y }},
}

// lossInputs returns x (logits or predictions) with the extremes ±1e30,
// ±0 and ±20 among random values, and targets y of the given kind: 0, 1,
// or random in [0, 1] (kind 2).
func lossInputs(rng *rand.Rand, n, kind int) (x, y []float32) {
	x, y = make([]float32, n), make([]float32, n)
	extremes := []float32{1e30, -1e30, 0, float32(math.Copysign(0, -1)), 20, -20}
	for i := range x {
		if rng.IntN(4) == 0 {
			x[i] = extremes[rng.IntN(len(extremes))]
		} else {
			x[i] = float32(rng.NormFloat64() * 3)
		}
		switch kind {
		case 1:
			y[i] = 1
		case 2:
			y[i] = rng.Float32()
		}
	}
	return x, y
}

// TestLossTails runs BCEWithLogits and MSE on every length 0..33, around
// the chunk size of the assembly and on a large input, with z at the
// extremes and y all 0, all 1 or fractional, grad nil, separate (with
// guard bands) and aliasing x or y, and compares the assembly with the Go
// twin and every implementation with the float64 reference.
func TestLossTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	lengths := append(seq(0, 33), 4088, 4095, 4096, 4097, 4104, 8191, 8192, 8200, 12345)
	if !testing.Short() {
		lengths = append(lengths, 100003)
	}
	const scale = 0.5
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, c := range lossCases {
			for _, n := range lengths {
				for kind := range 3 {
					x, y := lossInputs(rng, n, kind)
					if c.name == "mse" {
						// d² of float32 overflows beyond 1.8e19: ±1e15
						// for the extremes, and targets of the size of
						// the predictions.
						for i, v := range x {
							if v == 1e30 || v == -1e30 {
								x[i] = v * 1e-15
							}
						}
						if kind == 2 {
							y = randSlice(rng, n)
						}
					}
					what := fmt.Sprintf("%s n=%d y-kind=%d", c.name, n, kind)
					var want, mag float64
					for i := range x {
						l, _ := c.ref(float64(x[i]), float64(y[i]))
						want += l
						mag += math.Abs(l)
					}
					twinGrad := make([]float32, n)
					twin := c.fn(generic)(twinGrad, x, y, scale)
					grad, all := guarded(n)
					x0, y0 := slices.Clone(x), slices.Clone(y)
					got := c.fn(im)(grad, slices.Clip(x), slices.Clip(y), scale)
					checkGuard(t, all, n, what)
					if !sameBits(x, x0) || !sameBits(y, y0) {
						t.Fatalf("%s: wrote an input", what)
					}
					if d := math.Abs(got - want); !(d <= 1e-6*(1+mag)) {
						t.Fatalf("%s: loss %v, want %v (rel. error %.3g)", what, got, want, d/(1+mag))
					}
					if d := math.Abs(got - twin); !(d <= 1e-6*(1+mag)) {
						t.Fatalf("%s: loss %v, Go twin %v", what, got, twin)
					}
					if noGrad := c.fn(im)(nil, x, y, scale); noGrad != got {
						t.Fatalf("%s: loss without grad %v, with %v", what, noGrad, got)
					}
					for i := range x {
						_, g := c.ref(float64(x[i]), float64(y[i]))
						w := scale * g
						if e := math.Abs(float64(grad[i]) - w); !(e <= 1e-7+1e-6*math.Abs(w)) {
							t.Fatalf("%s: grad[%d] = %v for x=%v y=%v, want %v", what, i, grad[i], x[i], y[i], w)
						}
						if e := math.Abs(float64(grad[i] - twinGrad[i])); !(e <= 1e-7+1e-6*math.Abs(w)) {
							t.Fatalf("%s: grad[%d] = %v for x=%v y=%v, Go twin %v", what, i, grad[i], x[i], y[i], twinGrad[i])
						}
					}
					// grad may be x or y.
					for _, alias := range []string{"x", "y"} {
						xa, ya := slices.Clone(x), slices.Clone(y)
						ga := xa
						if alias == "y" {
							ga = ya
						}
						if l := c.fn(im)(ga, xa, ya, scale); l != got {
							t.Fatalf("%s: loss with grad = %s %v, want %v", what, alias, l, got)
						}
						if !sameBits(ga, grad[:n]) {
							t.Fatalf("%s: grad = %s differs from a separate grad", what, alias)
						}
					}
				}
			}
		}
	})
}

// TestSoftmaxCrossEntropyAllocatesNothing checks that the loss of a
// softmax head, run every training step, allocates nothing, with and
// without its gradient.
func TestSoftmaxCrossEntropyAllocatesNothing(t *testing.T) {
	rows, cols := 64, 300
	logits, y, grad := make([]float32, rows*cols), make([]float32, rows*cols), make([]float32, rows*cols)
	for _, im := range Impls() {
		for _, g := range [][]float32{grad, nil} {
			im.loss.sxe(g, logits, y, rows, cols, 1) // keeps a scratch buffer
			if n := testing.AllocsPerRun(20, func() { im.loss.sxe(g, logits, y, rows, cols, 1) }); n != 0 {
				t.Errorf("impl=%s: SoftmaxCrossEntropy (grad nil: %v) allocates %v times per call, want 0", im.Name(), g == nil, n)
			}
		}
	}
}

// TestLossAPI runs the exported losses on the default implementation and
// checks their argument errors.
func TestLossAPI(t *testing.T) {
	x := []float32{-1, 0, 1}
	if l := MSE(nil, x, []float32{-1, 0, 3}, 1); l != 2 {
		t.Errorf("MSE = %v, want 2", l)
	}
	if l := BCEWithLogits(nil, []float32{0}, []float32{1}, 1); !closeTo(l, math.Ln2, 1e-7) {
		t.Errorf("BCEWithLogits(0, 1) = %v, want ln 2", l)
	}
	if l := SoftmaxCrossEntropy(nil, []float32{0, 0}, []float32{1, 0}, 1, 2, 1); !closeTo(l, math.Ln2, 1e-7) {
		t.Errorf("SoftmaxCrossEntropy = %v, want ln 2", l)
	}
	short := make([]float32, 2)
	wantPanics(t, []panicCase{
		{func() { BCEWithLogits(nil, x, short, 1) }, []string{"len(y) = 2, need 3"}},
		{func() { BCEWithLogits(short, x, x, 1) }, []string{"len(grad) = 2, need 3"}},
		{func() { MSE(short, x, x, 1) }, []string{"len(grad) = 2, need 3"}},
		{func() { SoftmaxCrossEntropy(nil, x, short, 1, 3, 1) }, []string{"len(y) = 2, need 3"}},
		{func() { SoftmaxCrossEntropy(short, x, x, 1, 3, 1) }, []string{"len(grad) = 2, need 3"}},
		{func() { SoftmaxCrossEntropy(nil, x, x, 3, 3, 1) }, []string{"len(logits) = 3, need 9"}},
		{func() { SoftmaxCrossEntropy(nil, x, x, -3, 3, 1) }, []string{"rows = -3, need >= 0"}},
	})
}

// FuzzLoss compares the assembly of BCEWithLogits and MSE with their Go
// twins on fuzzed float32 bit patterns, with targets in [0, 1] from the
// first byte of each word. Both must be finite, infinite or NaN alike;
// finite sums are compared below 1e30 only, where the assembly's float32
// chunk sums round like the twin's float64 sum, within the rounding of
// terms: the assembly's fused z·y rounds once, the twin's twice, which is
// up to |z·y|·2⁻²⁴ apart when max(z,0) − z·y cancels.
func FuzzLoss(f *testing.F) {
	fuzzFloats(f, func(t *testing.T, asm *Impl, src []float32, data []byte) {
		n := len(src)
		y := make([]float32, n)
		for i := range y {
			y[i] = float32(data[4*i]) / 255
		}
		var cancel float64 // how far terms' roundings may differ
		for i, z := range src {
			cancel += math.Abs(float64(z) * float64(y[i]))
		}
		cancel *= 0x1p-23
		if cancel != cancel { // a NaN z, whose sums must both be NaN
			cancel = math.Inf(1)
		}
		for _, c := range lossCases {
			g1, g2 := make([]float32, n), make([]float32, n)
			got, want := c.fn(asm)(g1, src, y, 0.5), c.fn(generic)(g2, src, y, 0.5)
			if math.IsNaN(want) != math.IsNaN(got) || math.IsInf(want, 0) != math.IsInf(got, 0) ||
				math.Abs(want) < 1e30 && !(math.Abs(got-want) <= 1e-5*(1+math.Abs(want))+cancel) {
				t.Fatalf("%s = %v, Go twin %v", c.name, got, want)
			}
			for i := range g1 {
				if !sameFloat(g1[i], g2[i]) && !(math.Abs(float64(g1[i]-g2[i])) <= 1e-7+1e-6*math.Abs(float64(g2[i]))) {
					t.Fatalf("%s: grad[%d] = %v for x=%v y=%v, Go twin %v", c.name, i, g1[i], src[i], y[i], g2[i])
				}
			}
		}
	})
}

// TestLossEdgeValues checks the losses where float32 arithmetic reaches
// its limits: infinite logits, sums beyond float32's range, no classes.
func TestLossEdgeValues(t *testing.T) {
	inf := float32(math.Inf(1))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		// BCEWithLogits' terms at infinite logits, alone and at position
		// 3 of 8 (the assembly's head) and of 20 (head and tail).
		for _, c := range []struct {
			z, y float32
			want float64
		}{{inf, 1, 0}, {-inf, 0, 0}, {inf, 0, math.Inf(1)}, {-inf, 1, math.Inf(1)}, {inf, 0.25, math.Inf(1)}} {
			for _, n := range []int{1, 8, 20} {
				z, y := make([]float32, n), make([]float32, n)
				for i := range y {
					y[i] = 1
					z[i] = 50
				}
				z[n/3], y[n/3] = c.z, c.y
				grad := make([]float32, n)
				got := im.loss.bce(grad, z, y, 1)
				want := c.want + float64(n-1)*math.Log1p(math.Exp(-50))
				if !(got == want || closeTo(got, want, 1e-6)) {
					t.Errorf("BCEWithLogits with z=%v, y=%v at %d of %d = %v, want %v", c.z, c.y, n/3, n, got, want)
				}
				if g, w := grad[n/3], float32(max(0, min(1, c.z)))-c.y; g != w {
					t.Errorf("BCEWithLogits' gradient at z=%v, y=%v = %v, want %v", c.z, c.y, g, w)
				}
			}
		}
		// Sums beyond float32's range of finite terms: the float64 sum is
		// finite, as the Go twin's is.
		const n = 8192 // two of the assembly's chunks (lossChunk)
		big, zero := make([]float32, n), make([]float32, n)
		for i := range big {
			big[i] = 1e36
		}
		if got, want := im.loss.bce(nil, big, zero, 1), 1e36*n; !closeTo(got, want, 1e-6) {
			t.Errorf("BCEWithLogits of %d logits 1e36 = %v, want %v", n, got, want)
		}
		for i := range big {
			big[i] = 1e19
		}
		if got, want := im.loss.mse(nil, big, zero, 1), 0.5*float64(float32(1e19)*float32(1e19))*n; !closeTo(got, want, 1e-6) {
			t.Errorf("MSE of %d differences 1e19 = %v, want %v", n, got, want)
		}
		// No classes: no loss.
		if got := im.loss.sxe(nil, nil, nil, 3, 0, 1); got != 0 {
			t.Errorf("SoftmaxCrossEntropy of 3 rows of 0 classes = %v, want 0", got)
		}
	})
}
