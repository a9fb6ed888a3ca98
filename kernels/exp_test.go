package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Accuracy of the transcendental kernels (Exp and Log, and the Sigmoid and
// Tanh of activation.go, which are built on the same exponential) against
// float64 references, for every implementation: a sweep over the whole
// float32 range (every k-th bit pattern) and dense sweeps where the
// functions vary, the special values, every tail length with guard bands
// and the assembly against its Go twin.

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

var unaryCases = []unaryCase{
	{name: "exp", fn: func(im *Impl) func(dst, src []float32) { return im.exp.exp }, ref: math.Exp, lo: -104, hi: 90},
	{name: "sigmoid", fn: func(im *Impl) func(dst, src []float32) { return im.act.sigmoid }, ref: sigmoid64, lo: -104, hi: 20},
	{name: "tanh", fn: func(im *Impl) func(dst, src []float32) { return im.act.tanh }, ref: math.Tanh, lo: -10, hi: 10},
	{name: "log", fn: func(im *Impl) func(dst, src []float32) { return im.exp.log }, ref: math.Log, lo: 0, hi: 4, positive: true},
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

func TestUnaryAccuracy(t *testing.T) {
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

// TestUnarySpecials checks the limits exactly.
func TestUnarySpecials(t *testing.T) {
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

// TestUnaryTails runs every length 0..33 (and some around the chunk
// size) with guard bands after dst, in place and not, and compares the
// results with the float64 reference and, for the assembly, with the Go
// twin.
func TestUnaryTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	lengths := append(seq(0, 33), 63, 64, 65, 1000)
	if !testing.Short() {
		lengths = append(lengths, 1<<16-1, 1<<16+9)
	}
	defer func(b int) { ntBytes = b }(ntBytes)
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, c := range unaryCases {
			for k, n := range lengths {
				// Every other length with the non-temporal stores.
				ntBytes = [2]int{math.MaxInt, 0}[k%2]
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

// FuzzUnary compares the assembly of Exp, Log, Sigmoid, Tanh and Softmax
// with their Go twins on fuzzed float32 bit patterns.
func FuzzUnary(f *testing.F) {
	fuzzFloats(f, func(t *testing.T, asm *Impl, src []float32, _ []byte) {
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

// TestExpLogAPI runs Exp and Log on the default implementation and checks
// their argument errors.
func TestExpLogAPI(t *testing.T) {
	x := []float32{-1, 0, 1}
	d := make([]float32, 3)
	Exp(d, x)
	if d[1] != 1 {
		t.Errorf("Exp(0) = %v", d[1])
	}
	Log(d, []float32{1, 1, 1})
	if d[0] != 0 {
		t.Errorf("Log(1) = %v", d[0])
	}
	short := make([]float32, 2)
	wantPanics(t, []panicCase{
		{func() { Exp(x, short) }, []string{"len(dst) = 3, need 2"}},
		{func() { Log(short, x) }, []string{"len(dst) = 2, need 3"}},
	})
}
