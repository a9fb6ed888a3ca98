package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Accuracy of the transcendental kernels against float64 references, for
// every implementation: a sweep over the whole float32 range (every k-th
// bit pattern) and dense sweeps where the functions vary, the special
// values, every tail length with guard bands, the assembly against its Go
// twin, softmax and the losses.

const maxULP = 4

type unaryCase struct {
	name string
	fn   func(im *Impl) func(dst, src []float32)
	ref  func(x float64) float64
	// dense is the interval swept densely.
	lo, hi float64
	// positive restricts the whole-range sweep to positive inputs.
	positive bool
}

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

var unaryCases = []unaryCase{
	{name: "exp", fn: func(im *Impl) func(dst, src []float32) { return im.act.exp }, ref: math.Exp, lo: -104, hi: 90},
	{name: "sigmoid", fn: func(im *Impl) func(dst, src []float32) { return im.act.sigmoid }, ref: sigmoid64, lo: -104, hi: 20},
	{name: "tanh", fn: func(im *Impl) func(dst, src []float32) { return im.act.tanh }, ref: math.Tanh, lo: -10, hi: 10},
	{name: "log", fn: func(im *Impl) func(dst, src []float32) { return im.act.log }, ref: math.Log, lo: 0, hi: 4, positive: true},
}

// ulpError returns how many float32 ULPs (at the reference) got is from
// want, and whether got is acceptable beyond that measure: equal
// specials, or 0 where the reference is below the normal range (the
// kernels flush there on purpose).
func ulpError(got float32, want float64) (ulps float64, exact bool) {
	g := float64(got)
	switch {
	case math.IsNaN(want) || math.IsNaN(g):
		return math.Inf(1), math.IsNaN(want) && math.IsNaN(g)
	case g == want:
		return 0, true
	case math.Abs(want) < 0x1p-126 && (got == 0 || math.Abs(g) < 0x1p-126):
		return 0, true
	case math.IsInf(want, 0):
		return math.Inf(1), false
	}
	w := math.Abs(want)
	if w > math.MaxFloat32 {
		w = math.MaxFloat32
	}
	_, e := math.Frexp(w) // w = f·2^e, f in [0.5, 1)
	ulp := math.Ldexp(1, max(e-24, -149))
	if math.IsInf(g, 0) {
		// Overflow of a value that rounds to MaxFloat32 or above.
		if float32(want) == float32(g) {
			return 0, true
		}
		return math.Inf(1), false
	}
	return math.Abs(g-want) / ulp, false
}

// sweepInputs returns the inputs of the accuracy sweep of c: every step-th
// float32 bit pattern (finite values, positive ones for log), a dense grid
// over [lo, hi], and the special values.
func sweepInputs(c unaryCase, step uint32, dense int) []float32 {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += uint64(step) {
		x := math.Float32frombits(uint32(b))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || c.positive && !(x > 0) {
			continue
		}
		xs = append(xs, x)
	}
	for i := 0; i <= dense; i++ {
		xs = append(xs, float32(c.lo+(c.hi-c.lo)*float64(i)/float64(dense)))
	}
	return append(xs, specials...)
}

var specials = func() []float32 {
	s := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0x7fc12345), math.Float32frombits(0xffc00001),
		math.MaxFloat32, -math.MaxFloat32, 0x1p-126, -0x1p-126, 0x1p-149, -0x1p-149, 0x1p-130, -0x1p-140,
		0x1.fffffcp-127, 1, -1, 0.625, -0.625, 0x1.3ffffep-1, 0.5, 2,
		88.72283, 88.72284, 88.7, 88.38, 89, 90, -87.33654, -87.33655, -87.3, -87.4, -88, -103.9, -104, -200,
		1e-30, -1e-30, 1e-7, -1e-7, 9, -9, 10, -10, 17, -17, 1e30, -1e30,
	}
	// The neighbours of the cutoffs and of the branch points.
	for _, c := range []float32{expCutoff, expHi, tanhSmall, -tanhSmall, 0x1p-126} {
		b := math.Float32bits(c)
		for d := uint32(0); d < 4; d++ {
			s = append(s, math.Float32frombits(b+d), math.Float32frombits(b-d))
		}
	}
	return s
}()

func TestActivationAccuracy(t *testing.T) {
	step, dense := uint32(4093), 400000 // about 1.45 million inputs
	if testing.Short() {
		step, dense = 16381, 50000
	}
	inputs := make([][]float32, len(unaryCases))
	wants := make([][]float64, len(unaryCases))
	for k, c := range unaryCases {
		inputs[k] = sweepInputs(c, step, dense)
		wants[k] = make([]float64, len(inputs[k]))
		for i, x := range inputs[k] {
			wants[k][i] = c.ref(float64(x))
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for k, c := range unaryCases {
			xs, want := inputs[k], wants[k]
			t.Run(c.name, func(t *testing.T) {
				got := make([]float32, len(xs))
				c.fn(im)(got, xs)
				worst, at, fails := 0.0, float32(0), 0
				for i, x := range xs {
					u, ok := ulpError(got[i], want[i])
					if ok {
						continue
					}
					if u > worst {
						worst, at = u, x
					}
					if !(u <= maxULP) {
						if fails++; fails <= 10 {
							t.Errorf("%s(%v) = %v, want %v (%.3g ULP)", c.name, x, got[i], want[i], u)
						}
					}
				}
				if fails > 10 {
					t.Errorf("%d inputs out of %d beyond %d ULP", fails, len(xs), maxULP)
				}
				t.Logf("%d inputs, max error %.2f ULP at %v", len(xs), worst, at)
			})
		}
	})
}

// TestActivationSpecials checks the limits exactly.
func TestActivationSpecials(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	type sc struct {
		x, want float32
	}
	cases := map[string][]sc{
		"exp":     {{inf, inf}, {-inf, 0}, {nan, nan}, {0, 1}, {100, inf}, {-100, 0}, {-1e30, 0}, {1e30, inf}},
		"sigmoid": {{inf, 1}, {-inf, 0}, {nan, nan}, {0, 0.5}, {20, 1}, {100, 1}, {1e30, 1}, {-1e30, 0}, {-200, 0}},
		"tanh":    {{inf, 1}, {-inf, -1}, {nan, nan}, {0, 0}, {10, 1}, {-10, -1}, {1e30, 1}, {-1e30, -1}, {1e-30, 1e-30}},
		"log":     {{inf, inf}, {-inf, nan}, {nan, nan}, {0, -inf}, {float32(math.Copysign(0, -1)), -inf}, {-1, nan}, {-1e-40, nan}, {1, 0}},
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, c := range unaryCases {
			for _, n := range []int{1, 8, 9, 17} { // Go tail and assembly lanes
				for _, s := range cases[c.name] {
					src := make([]float32, n)
					for i := range src {
						src[i] = s.x
					}
					dst := make([]float32, n)
					c.fn(im)(dst, src)
					for i, v := range dst {
						if !sameFloat(v, s.want) {
							t.Errorf("%s(%v) = %v at %d of %d, want %v", c.name, s.x, v, i, n, s.want)
						}
					}
				}
			}
		}
	})
	// The sign of tanh(−0) and of tiny inputs.
	for _, im := range Impls() {
		dst := make([]float32, 9)
		src := make([]float32, 9)
		for i := range src {
			src[i] = float32(math.Copysign(0, -1))
		}
		im.act.tanh(dst, src)
		if !math.Signbit(float64(dst[0])) || !math.Signbit(float64(dst[8])) {
			t.Errorf("impl=%s: tanh(−0) = %v, %v, want −0", im.Name(), dst[0], dst[8])
		}
	}
}

// randActInput returns n values spread over the interesting range of the
// functions, with a few specials and a few huge ones.
func randActInput(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch rng.IntN(16) {
		case 0:
			s[i] = specials[rng.IntN(len(specials))]
		case 1:
			s[i] = float32(rng.NormFloat64() * 60)
		default:
			s[i] = float32(rng.NormFloat64() * 4)
		}
	}
	return s
}

// TestActivationTails runs every length 0..33 (and some around the chunk
// size) with guard bands after dst, in place and not, and compares the
// results with the float64 reference and, for the assembly, with the Go
// twin.
func TestActivationTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	lengths := append(seq(0, 33), 63, 64, 65, 1000)
	if !testing.Short() {
		lengths = append(lengths, 1<<16-1, 1<<16+9)
	}
	defer func(b int) { actNTBytes = b }(actNTBytes)
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, c := range unaryCases {
			for k, n := range lengths {
				// Every other length with the non-temporal stores.
				actNTBytes = [2]int{math.MaxInt, 0}[k%2]
				offset := 1 + k%3 // dst starts 4, 8 or 12 bytes past an allocation
				src := randActInput(rng, n)
				if c.positive {
					for i := range src {
						src[i] = float32(math.Abs(float64(src[i])))
					}
				}
				src0 := slices.Clone(src)
				twin := make([]float32, n)
				c.fn(generic)(twin, src)
				for _, inPlace := range []bool{false, true} {
					dst, all := guarded(n + offset)
					dst, all = dst[offset:], all[offset:]
					if inPlace {
						copy(dst, src)
						c.fn(im)(dst, dst)
					} else {
						c.fn(im)(dst, slices.Clip(src))
					}
					checkGuard(t, all, n, fmt.Sprintf("%s n=%d", c.name, n))
					if !sameBits(src, src0) && !inPlace {
						t.Fatalf("%s n=%d: wrote src", c.name, n)
					}
					for i, x := range src {
						if u, ok := ulpError(dst[i], c.ref(float64(x))); !ok && !(u <= maxULP) {
							t.Fatalf("%s n=%d in-place=%t: [%d] f(%v) = %v, want %v (%.3g ULP)", c.name, n, inPlace, i, x, dst[i], c.ref(float64(x)), u)
						}
						if u, ok := ulpError(dst[i], float64(twin[i])); !ok && !(u <= maxULP) {
							t.Fatalf("%s n=%d: [%d] f(%v) = %v, Go twin %v", c.name, n, i, x, dst[i], twin[i])
						}
					}
				}
			}
		}
	})
}

func softmax64(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, cols := range append(seq(0, 33), 100, 1000) {
			for _, scale := range []float64{1, 30, 1e30} {
				rows := 3
				n := rows * cols
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(rng.NormFloat64() * scale)
				}
				dst, all := guarded(n)
				im.act.softmax(dst, slices.Clip(src), rows, cols)
				checkGuard(t, all, n, "softmax")
				for r := 0; r < rows; r++ {
					want := softmax64(src[r*cols : (r+1)*cols])
					var sum float64
					for j, w := range want {
						g := dst[r*cols+j]
						sum += float64(g)
						if d := math.Abs(float64(g) - w); !(d <= 1e-6+4e-7*w*math.Sqrt(float64(cols))) {
							t.Fatalf("cols=%d scale=%g: softmax[%d,%d] = %v, want %v", cols, scale, r, j, g, w)
						}
					}
					if cols > 0 && math.Abs(sum-1) > 1e-5 {
						t.Fatalf("cols=%d scale=%g: row %d sums to %v", cols, scale, r, sum)
					}
				}
				// In place gives the same.
				inPlace := slices.Clone(src)
				im.act.softmax(inPlace, inPlace, rows, cols)
				if !slices.Equal(inPlace, dst) {
					t.Fatalf("cols=%d: in-place softmax differs", cols)
				}
			}
		}
	})
}

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
			got := im.act.bce(grad, slices.Clip(z), y, 0.5)
			checkGuard(t, all, n, "bce grad")
			if !closeTo(got, want, 1e-6) {
				t.Fatalf("n=%d: loss %v, want %v", n, got, want)
			}
			if n > 0 {
				if got2 := im.act.bce(nil, z, y, 0.5); got2 != got {
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
			got := im.act.mse(grad, slices.Clip(p), y, 0.25)
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
				got := im.act.sxe(grad, slices.Clip(x), y, rows, cols, 0.5)
				checkGuard(t, all, n, "sxe grad")
				if !closeTo(got, want, 1e-5) {
					t.Fatalf("cols=%d scale=%g: loss %v, want %v", cols, scale, got, want)
				}
				if got2 := im.act.sxe(nil, x, y, rows, cols, 0.5); !closeTo(got2, got, 1e-6) {
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
	{"bce", func(im *Impl) func(grad, x, y []float32, scale float32) float64 { return im.act.bce },
		func(z, y float64) (float64, float64) {
			return math.Max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z))), sigmoid64(z) - y
		}},
	{"mse", func(im *Impl) func(grad, x, y []float32, scale float32) float64 { return im.act.mse },
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

// TestActivationAPI runs the exported functions on the default
// implementation and checks their argument errors.
func TestActivationAPI(t *testing.T) {
	x := []float32{-1, 0, 1}
	d := make([]float32, 3)
	Sigmoid(d, x)
	if d[1] != 0.5 {
		t.Errorf("Sigmoid(0) = %v", d[1])
	}
	Tanh(d, x)
	Exp(d, x)
	Log(d, []float32{1, 1, 1})
	if d[0] != 0 {
		t.Errorf("Log(1) = %v", d[0])
	}
	Softmax(d, x, 1, 3)
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
	for _, c := range []struct {
		f    func()
		want []string
	}{
		{func() { Sigmoid(short, x) }, []string{"len(dst) = 2", "3"}},
		{func() { Tanh(short, x) }, []string{"len(dst) = 2"}},
		{func() { Exp(x, short) }, []string{"len(dst) = 3", "len(src) = 2"}},
		{func() { Log(short, x) }, []string{"len(dst) = 2"}},
		{func() { Softmax(d, x, 2, 3) }, []string{"len(dst) = 3", "rows*cols = 6"}},
		{func() { Softmax(d, x, -1, 3) }, []string{"rows = -1"}},
		{func() { Softmax(d, x, 1, -3) }, []string{"cols = -3"}},
		{func() { BCEWithLogits(nil, x, short, 1) }, []string{"len(y) = 2", "len(z) = 3"}},
		{func() { BCEWithLogits(short, x, x, 1) }, []string{"len(grad) = 2"}},
		{func() { MSE(short, x, x, 1) }, []string{"len(grad) = 2", "len(pred) = 3"}},
		{func() { SoftmaxCrossEntropy(nil, x, short, 1, 3, 1) }, []string{"len(y) = 2"}},
		{func() { SoftmaxCrossEntropy(short, x, x, 1, 3, 1) }, []string{"len(grad) = 2"}},
		{func() { SoftmaxCrossEntropy(nil, x, x, 3, 3, 1) }, []string{"len(logits) = 3"}},
	} {
		msg, ok := panicMessage(c.f)
		if !ok || !strings.HasPrefix(msg, "kernels: ") || !containsAll(msg, c.want...) {
			t.Errorf("panic %q (panicked %t), want one naming %q", msg, ok, c.want)
		}
	}
}

// FuzzActivation compares the assembly kernels with their Go twins on
// fuzzed float32 bit patterns.
func FuzzActivation(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f, 0x12, 0x34, 0x56, 0x78})
	f.Add(make([]byte, 4*33))
	asm := implNamed("avx2")
	f.Fuzz(func(t *testing.T, data []byte) {
		if asm == nil {
			t.Skip("no assembly on this machine")
		}
		src := make([]float32, len(data)/4)
		for i := range src {
			src[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		for _, c := range unaryCases {
			got, want := make([]float32, len(src)), make([]float32, len(src))
			c.fn(asm)(got, src)
			c.fn(generic)(want, src)
			for i, x := range src {
				if u, ok := ulpError(got[i], float64(want[i])); !ok && !(u <= maxULP) {
					t.Fatalf("%s(%v [%#08x]) = %v, Go twin %v", c.name, x, math.Float32bits(x), got[i], want[i])
				}
			}
		}
		n := len(src)
		if n == 0 {
			return
		}
		// The losses, with targets in [0, 1] from the first byte of each
		// word. A float32 chunk sum of the assembly may overflow where
		// the twin's float64 sum does not: compared below 1e30 only.
		y := make([]float32, n)
		for i := range y {
			y[i] = float32(data[4*i]) / 255
		}
		for _, c := range lossCases {
			g1, g2 := make([]float32, n), make([]float32, n)
			got, want := c.fn(asm)(g1, src, y, 0.5), c.fn(generic)(g2, src, y, 0.5)
			if math.IsNaN(want) != math.IsNaN(got) || math.Abs(want) < 1e30 && !closeTo(got, want, 1e-5) {
				t.Fatalf("%s = %v, Go twin %v", c.name, got, want)
			}
			for i := range g1 {
				if !sameFloat(g1[i], g2[i]) && !(math.Abs(float64(g1[i]-g2[i])) <= 1e-7+1e-6*math.Abs(float64(g2[i]))) {
					t.Fatalf("%s: grad[%d] = %v for x=%v y=%v, Go twin %v", c.name, i, g1[i], src[i], y[i], g2[i])
				}
			}
		}
		sm1, sm2 := make([]float32, n), make([]float32, n)
		asm.act.softmax(sm1, src, 1, n)
		generic.act.softmax(sm2, src, 1, n)
		for i := range sm1 {
			if !sameFloat(sm1[i], sm2[i]) && math.Abs(float64(sm1[i]-sm2[i])) > 1e-5 {
				t.Fatalf("softmax[%d] = %v, Go twin %v", i, sm1[i], sm2[i])
			}
		}
	})
}

// sameBits reports whether a and b hold the same bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestSoftmaxCrossEntropyAllocatesNothing checks that the loss of a
// softmax head, run every training step, allocates nothing, with and
// without its gradient.
func TestSoftmaxCrossEntropyAllocatesNothing(t *testing.T) {
	rows, cols := 64, 300
	logits, y, grad := make([]float32, rows*cols), make([]float32, rows*cols), make([]float32, rows*cols)
	for _, im := range Impls() {
		for _, g := range [][]float32{grad, nil} {
			im.act.sxe(g, logits, y, rows, cols, 1) // keeps a scratch buffer
			if n := testing.AllocsPerRun(20, func() { im.act.sxe(g, logits, y, rows, cols, 1) }); n != 0 {
				t.Errorf("impl=%s: SoftmaxCrossEntropy (grad nil: %v) allocates %v times per call, want 0", im.Name(), g == nil, n)
			}
		}
	}
}
