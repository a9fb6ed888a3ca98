package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
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

// activationEWCases are ReLU and the backward forms as elementwise kernels
// (elementwise_test.go runs them).
func activationEWCases() []vecEWCase {
	return []vecEWCase{
		{"relu", 2, []int{0}, vecNormal,
			func(im *Impl, s [][]float32) { im.act.relu(s[0], s[1]) },
			func(x []float64) []float64 {
				y := x[1]
				if 0 > y {
					y = 0
				}
				return []float64{y, x[1]}
			}, 0},
		{"sigmoidBackward", 3, []int{0}, vecSigmoidOut,
			func(im *Impl, s [][]float32) { im.act.sigmoidBackward(s[0], s[1], s[2]) },
			func(x []float64) []float64 { return []float64{x[1] * x[2] * (1 - x[2]), x[1], x[2]} }, 3e-7},
		{"tanhBackward", 3, []int{0}, func(rng *rand.Rand, arg int) float32 {
			if arg == 2 {
				return 2*rng.Float32() - 1
			}
			return vecNormal(rng, arg)
		},
			func(im *Impl, s [][]float32) { im.act.tanhBackward(s[0], s[1], s[2]) },
			func(x []float64) []float64 { return []float64{x[1] * (1 - x[2]*x[2]), x[1], x[2]} }, 3e-7},
		{"reluBackward", 3, []int{0}, vecNormal,
			func(im *Impl, s [][]float32) { im.act.reluBackward(s[0], s[1], s[2]) },
			func(x []float64) []float64 {
				d := 0.0
				if x[2] > 0 {
					d = x[1]
				}
				return []float64{d, x[1], x[2]}
			}, 0},
	}
}

// TestActivationAPI runs the exported functions on the default
// implementation against the generic twins and checks their argument
// errors.
func TestActivationAPI(t *testing.T) {
	x := []float32{-1, 0, 1}
	d := make([]float32, 3)
	Sigmoid(d, x)
	if d[1] != 0.5 {
		t.Errorf("Sigmoid(0) = %v", d[1])
	}
	Tanh(d, x)
	Softmax(d, x, 1, 3)

	rng := rand.New(rand.NewPCG(3, 3))
	const n = 45
	xs, ys := randSlice(rng, n), randSlice(rng, n)
	a := make([]float32, n)
	for i := range a {
		a[i] = rng.Float32()
	}
	got, want := make([]float32, n), make([]float32, n)
	for _, c := range []struct {
		name    string
		f, twin func(dz, da, a []float32)
		saved   []float32
	}{
		{"SigmoidBackward", SigmoidBackward, sigmoidBackwardGeneric, a},
		{"TanhBackward", TanhBackward, tanhBackwardGeneric, a},
		{"ReLUBackward", ReLUBackward, reluBackwardGeneric, ys},
		{"ReLU", func(dz, da, _ []float32) { ReLU(dz, da) }, func(dz, da, _ []float32) { reluGeneric(dz, da) }, nil},
	} {
		c.f(got, xs, c.saved)
		c.twin(want, xs, c.saved)
		if !sameBits(got, want) {
			t.Errorf("%s differs from its generic twin", c.name)
		}
	}

	short := make([]float32, 2)
	a10, a12 := make([]float32, 10), make([]float32, 12)
	wantPanics(t, []panicCase{
		{func() { Sigmoid(short, x) }, []string{"len(dst) = 2, need 3"}},
		{func() { Tanh(short, x) }, []string{"len(dst) = 2, need 3"}},
		{func() { Softmax(d, x, 2, 3) }, []string{"len(dst) = 3, need 6"}},
		{func() { Softmax(d, x, -1, 3) }, []string{"rows = -1, need >= 0"}},
		{func() { Softmax(d, x, 1, -3) }, []string{"cols = -3, need >= 0"}},
		{func() { ReLU(a10, a12) }, []string{"len(dst) = 10, need 12"}},
		{func() { SigmoidBackward(a12, a10, a12) }, []string{"len(da) = 10, need 12"}},
		{func() { TanhBackward(a10, a12, a12) }, []string{"len(dz) = 10, need 12"}},
		{func() { ReLUBackward(a12, a12, a10) }, []string{"len(da) = 12, need 10"}},
	})
	// The internal assembly wrappers check lengths again.
	if im := implNamed("avx2"); im != nil {
		if _, ok := panicMessage(func() { im.act.relu(a10, a12) }); !ok {
			t.Errorf("relu with a short dst: no panic")
		}
	}
}
