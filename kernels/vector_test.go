package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// Tests of the vector kernels (vector.go): every implementation against
// float64 references on every tail length 0..33 and around the 8-, 32- and
// per-call-chunk steps, with guard bands after every slice, inputs checked
// unchanged, specials (NaN, ±Inf, ±0) propagated as float64 arithmetic
// does, and the assembly compared bit for bit with its Go twin.

// vecGuard is written after every slice; a stray write changes it.
const vecGuard = float32(-5555.5)

const vecGuardLen = 40

// vecSizes are the lengths every elementwise kernel runs on.
func vecSizes(short bool) []int {
	s := seq(0, 33)
	s = append(s, 39, 40, 41, 63, 64, 65, 95, 96, 97, 127, 128, 129, 1000, 4099)
	if !short {
		s = append(s, 2*maxCall+37)
	}
	return s
}

// vecAlloc returns a slice of n elements followed by vecGuardLen guard
// words in the same array.
func vecAlloc(n int) []float32 { return vecAllocAt(n, 0) }

// vecAllocAt is vecAlloc starting off elements past a 32-byte boundary.
func vecAllocAt(n, off int) []float32 {
	all := make([]float32, n+off+8+vecGuardLen)
	skip := int(uintptr(unsafe.Pointer(&all[0]))%32) / 4
	all = all[(8-skip)%8+off:]
	for i := n; i < len(all); i++ {
		all[i] = vecGuard
	}
	return all[:n:len(all)]
}

// vecGuardErr reports a stray write after s.
func vecGuardErr(s []float32) error {
	all := s[:cap(s)]
	for i := len(s); i < len(all); i++ {
		if all[i] != vecGuard {
			return fmt.Errorf("wrote past the end at +%d", i-len(s))
		}
	}
	return nil
}

// vecSpecials are the values mixed into the data of the special tests.
var vecSpecials = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}

// vecClose reports whether got is within abs+rel·|want| of want; NaN must
// meet NaN and an infinity the same infinity.
func vecClose(got float32, want, abs, rel float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g)
	case math.IsInf(want, 0):
		return g == want
	}
	return math.Abs(g-want) <= abs+rel*math.Abs(want)
}

// vecEWCase is an elementwise kernel: nargs slices of one length, the ones
// listed in out written. ref returns every argument's new value from the old
// ones in float64 (unchanged arguments returned as they were).
type vecEWCase struct {
	name  string
	nargs int
	out   []int
	// gen draws argument arg's element.
	gen func(rng *rand.Rand, arg int) float32
	run func(v *vecKernels, s [][]float32)
	ref func(x []float64) []float64
	rel float64 // relative tolerance; absolute is rel·1e-3
}

func vecNormal(rng *rand.Rand, _ int) float32 { return float32(rng.NormFloat64()) }

// vecSigmoidOut draws a saved sigmoid output in (0, 1).
func vecSigmoidOut(rng *rand.Rand, arg int) float32 {
	if arg == 2 {
		return rng.Float32()
	}
	return vecNormal(rng, arg)
}

// state draws a nonnegative optimizer state (h, v) for the args listed.
func vecState(args ...int) func(rng *rand.Rand, arg int) float32 {
	return func(rng *rand.Rand, arg int) float32 {
		for _, a := range args {
			if a == arg {
				return float32(rng.ExpFloat64())
			}
		}
		return vecNormal(rng, arg)
	}
}

const (
	vLR, vMu, vEps, vRho, vB1, vB2 = 0.01, 0.9, 1e-7, 0.9, 0.9, 0.999
	vAdamT                         = 3
)

func vecEWCases() []vecEWCase {
	f := func(x float32) float64 { return float64(x) }
	ap := newAdamParams(vLR, vB1, vB2, vEps, vAdamT)
	return []vecEWCase{
		{"relu", 2, []int{0}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.relu(s[0], s[1]) },
			func(x []float64) []float64 {
				y := x[1]
				if 0 > y {
					y = 0
				}
				return []float64{y, x[1]}
			}, 0},
		{"sigmoidBackward", 3, []int{0}, vecSigmoidOut,
			func(v *vecKernels, s [][]float32) { v.sigmoidBackward(s[0], s[1], s[2]) },
			func(x []float64) []float64 { return []float64{x[1] * x[2] * (1 - x[2]), x[1], x[2]} }, 3e-7},
		{"tanhBackward", 3, []int{0}, func(rng *rand.Rand, arg int) float32 {
			if arg == 2 {
				return 2*rng.Float32() - 1
			}
			return vecNormal(rng, arg)
		},
			func(v *vecKernels, s [][]float32) { v.tanhBackward(s[0], s[1], s[2]) },
			func(x []float64) []float64 { return []float64{x[1] * (1 - x[2]*x[2]), x[1], x[2]} }, 3e-7},
		{"reluBackward", 3, []int{0}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.reluBackward(s[0], s[1], s[2]) },
			func(x []float64) []float64 {
				d := 0.0
				if x[2] > 0 {
					d = x[1]
				}
				return []float64{d, x[1], x[2]}
			}, 0},
		{"axpy", 2, []int{1}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.axpy(-0.75, s[0], s[1]) },
			func(x []float64) []float64 { return []float64{x[0], x[1] - 0.75*x[0]} }, 2e-7},
		{"scale", 1, []int{0}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.scale(0.3, s[0]) },
			func(x []float64) []float64 { return []float64{f(0.3) * x[0]} }, 1.2e-7},
		{"mul", 3, []int{0}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.mul(s[0], s[1], s[2]) },
			func(x []float64) []float64 { return []float64{x[1] * x[2], x[1], x[2]} }, 1.2e-7},
		{"sgd", 2, []int{0}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.sgd(s[0], s[1], vLR) },
			func(x []float64) []float64 { return []float64{x[0] - f(vLR)*x[1], x[1]} }, 2e-7},
		{"momentum", 3, []int{0, 2}, vecNormal,
			func(v *vecKernels, s [][]float32) { v.momentum(s[0], s[1], s[2], vLR, vMu) },
			func(x []float64) []float64 {
				nv := f(vMu)*x[2] - f(vLR)*x[1]
				return []float64{x[0] + nv, x[1], nv}
			}, 3e-7},
		{"adagrad", 3, []int{0, 2}, vecState(2),
			func(v *vecKernels, s [][]float32) { v.adagrad(s[0], s[1], s[2], vLR, vEps) },
			func(x []float64) []float64 {
				h := x[2] + x[1]*x[1]
				return []float64{x[0] - f(vLR)*x[1]/(math.Sqrt(h)+f(vEps)), x[1], h}
			}, 3e-7},
		{"rmsprop", 3, []int{0, 2}, vecState(2),
			func(v *vecKernels, s [][]float32) { v.rmsprop(s[0], s[1], s[2], vLR, vRho, 1-vRho, vEps) },
			func(x []float64) []float64 {
				h := f(vRho)*x[2] + (1-f(vRho))*x[1]*x[1]
				return []float64{x[0] - f(vLR)*x[1]/(math.Sqrt(h)+f(vEps)), x[1], h}
			}, 3e-7},
		{"adam", 4, []int{0, 2, 3}, vecState(3),
			func(v *vecKernels, s [][]float32) { v.adam(s[0], s[1], s[2], s[3], ap) },
			func(x []float64) []float64 {
				b1, b2 := f(vB1), f(vB2)
				m := b1*x[2] + (1-b1)*x[1]
				vv := b2*x[3] + (1-b2)*x[1]*x[1]
				mh := m / (1 - math.Pow(b1, vAdamT))
				vh := vv / (1 - math.Pow(b2, vAdamT))
				return []float64{x[0] - f(vLR)*mh/(math.Sqrt(vh)+f(vEps)), x[1], m, vv}
			}, 6e-7},
	}
}

// vecRunEW runs c on im over n elements and checks the result against the
// reference and (when twin is set) the generic twin bit for bit.
func vecRunEW(t *testing.T, im *Impl, c vecEWCase, n int, rng *rand.Rand, specials bool) {
	t.Helper()
	vecRunEWAt(t, im, c, n, rng, specials, func(int) int { return 0 })
}

// vecRunEWAt is vecRunEW with argument a starting off(a) elements past a
// 32-byte boundary.
func vecRunEWAt(t *testing.T, im *Impl, c vecEWCase, n int, rng *rand.Rand, specials bool, off func(a int) int) {
	t.Helper()
	in := make([][]float32, c.nargs)
	args := make([][]float32, c.nargs)
	twin := make([][]float32, c.nargs)
	for a := range in {
		in[a] = make([]float32, n)
		for i := range in[a] {
			in[a][i] = c.gen(rng, a)
			if specials && rng.IntN(4) == 0 {
				in[a][i] = vecSpecials[rng.IntN(len(vecSpecials))]
			}
		}
		args[a] = vecAllocAt(n, off(a))
		copy(args[a], in[a])
		twin[a] = append([]float32(nil), in[a]...)
	}
	c.run(&im.vec, args)
	genericVec := generic.vec
	c.run(&genericVec, twin)
	x := make([]float64, c.nargs)
	fails := 0
	for a := range args {
		if err := vecGuardErr(args[a]); err != nil {
			t.Fatalf("%s n=%d: argument %d %v", c.name, n, a, err)
		}
	}
	for i := 0; i < n; i++ {
		for a := range x {
			x[a] = float64(in[a][i])
		}
		want := c.ref(x)
		for a, w := range want {
			got := args[a][i]
			ok := vecClose(got, w, 4*c.rel, c.rel) // values are O(1)
			if !vecContains(c.out, a) {
				ok = sameFloat(got, in[a][i])
			}
			if ok && !sameFloat(got, twin[a][i]) {
				t.Errorf("%s n=%d: arg %d [%d] = %v, generic twin %v (inputs %v)", c.name, n, a, i, got, twin[a][i], x)
				ok = true // reported
				fails++
			}
			if !ok {
				t.Errorf("%s n=%d: arg %d [%d] = %v, want %v (inputs %v)", c.name, n, a, i, got, w, x)
				fails++
			}
			if fails >= maxFailures {
				t.Fatalf("stopping after %d failures", fails)
			}
		}
	}
}

func vecContains(s []int, v int) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

func TestVectorElementwise(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, c := range vecEWCases() {
			for _, n := range vecSizes(testing.Short()) {
				vecRunEW(t, im, c, n, rng, false)
			}
			for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 67, 300} {
				vecRunEW(t, im, c, n, rng, true)
			}
		}
	})
}

// TestVectorInPlace runs the kernels with the output as one of the inputs.
func TestVectorInPlace(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{0, 5, 8, 37, 100} {
			src := randSlice(rng, n)
			a := make([]float32, n)
			for i := range a {
				a[i] = rng.Float32()
			}
			check := func(name string, got, want []float32) {
				t.Helper()
				for i := range want {
					if !sameFloat(got[i], want[i]) {
						t.Fatalf("%s in place n=%d: [%d] = %v, want %v", name, n, i, got[i], want[i])
					}
				}
			}
			want := make([]float32, n)
			reluGeneric(want, src)
			x := append([]float32(nil), src...)
			im.vec.relu(x, x)
			check("relu", x, want)
			for _, k := range []struct {
				name string
				f, g func(dz, da, a []float32)
			}{
				{"sigmoidBackward", im.vec.sigmoidBackward, sigmoidBackwardGeneric},
				{"tanhBackward", im.vec.tanhBackward, tanhBackwardGeneric},
				{"reluBackward", im.vec.reluBackward, reluBackwardGeneric},
				{"mul", func(dz, da, a []float32) { im.vec.mul(dz, da, a) }, mulGeneric},
			} {
				k.g(want, src, a)
				x := append([]float32(nil), src...)
				k.f(x, x, a) // dz = da
				check(k.name+" (dz=da)", x, want)
				y := append([]float32(nil), a...)
				k.f(y, src, y) // dz = a
				check(k.name+" (dz=a)", y, want)
			}
		}
	})
}

// vecShapes are the rows×cols shapes of the matrix kernels.
func vecShapes(short bool) [][2]int {
	rows := []int{0, 1, 2, 3, 7, 8, 15, 16, 17, 33, 255, 256, 257, 600}
	cols := append(seq(0, 33), 39, 40, 41, 63, 64, 65, 100)
	var s [][2]int
	for _, r := range rows {
		for _, c := range cols {
			if short && r*c > 20000 {
				continue
			}
			s = append(s, [2]int{r, c})
		}
	}
	return s
}

func TestBiasAdd(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, sh := range vecShapes(testing.Short()) {
			rows, cols := sh[0], sh[1]
			for _, byRow := range []bool{true, false} {
				x0 := randSlice(rng, rows*cols)
				nv := cols
				if !byRow {
					nv = rows
				}
				v0 := randSlice(rng, nv)
				x, v := vecAlloc(rows*cols), vecAlloc(nv)
				copy(x, x0)
				copy(v, v0)
				name := "addCol"
				if byRow {
					name = "addRow"
					im.vec.addRow(x, rows, cols, v)
				} else {
					im.vec.addCol(x, rows, cols, v)
				}
				for _, err := range []error{vecGuardErr(x), vecGuardErr(v)} {
					if err != nil {
						t.Fatalf("%s %dx%d: %v", name, rows, cols, err)
					}
				}
				for i := range v0 {
					if v[i] != v0[i] {
						t.Fatalf("%s %dx%d: changed v[%d]", name, rows, cols, i)
					}
				}
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						var b float32
						if byRow {
							b = v0[j]
						} else {
							b = v0[i]
						}
						// One rounding of an exact sum: the float32 sum is exact.
						if want := float32(float64(x0[i*cols+j]) + float64(b)); x[i*cols+j] != want {
							t.Fatalf("%s %dx%d: x[%d][%d] = %v, want %v", name, rows, cols, i, j, x[i*cols+j], want)
						}
					}
				}
			}
		}
	})
}

// vecSumTol is the error bound of the blocked sums of n terms whose absolute
// values sum to mag.
func vecSumTol(n int, mag float64) float64 {
	const u = 1.0 / (1 << 24)
	return 2*u*float64(2*sumBlock+vecBitsLen(n)+8)*mag + 1e-30
}

func vecBitsLen(n int) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

func TestSums(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(9, 10))
		shapes := vecShapes(testing.Short())
		shapes = append(shapes, [2]int{3, maxCall/2 + 5}, [2]int{2*colChunkRows*4 + 3, 9})
		if !testing.Short() {
			shapes = append(shapes, [2]int{maxCall/3 + 1, 5}, [2]int{2, 2*maxCall + 9})
		}
		for _, sh := range shapes {
			rows, cols := sh[0], sh[1]
			x0 := randSlice(rng, rows*cols)
			x := vecAlloc(rows * cols)
			copy(x, x0)
			for _, byCol := range []bool{true, false} {
				n, name := rows, "rowSums"
				if byCol {
					n, name = cols, "colSums"
				}
				dst := vecAlloc(n)
				for i := range dst {
					dst[i] = float32(math.NaN()) // must be overwritten
				}
				if byCol {
					im.vec.colSums(dst, x, rows, cols)
				} else {
					im.vec.rowSums(dst, x, rows, cols)
				}
				for _, err := range []error{vecGuardErr(x), vecGuardErr(dst)} {
					if err != nil {
						t.Fatalf("%s %dx%d: %v", name, rows, cols, err)
					}
				}
				for i := range x0 {
					if x[i] != x0[i] {
						t.Fatalf("%s %dx%d: changed x[%d]", name, rows, cols, i)
					}
				}
				for k := 0; k < n; k++ {
					var s, mag float64
					terms := cols
					if byCol {
						terms = rows
						for i := 0; i < rows; i++ {
							s += float64(x0[i*cols+k])
							mag += math.Abs(float64(x0[i*cols+k]))
						}
					} else {
						for j := 0; j < cols; j++ {
							s += float64(x0[k*cols+j])
							mag += math.Abs(float64(x0[k*cols+j]))
						}
					}
					if d := math.Abs(float64(dst[k]) - s); !(d <= vecSumTol(terms, mag)) {
						t.Fatalf("%s %dx%d: [%d] = %v, want %v (error %g, bound %g)", name, rows, cols, k, dst[k], s, d, vecSumTol(terms, mag))
					}
				}
			}
		}
	})
}

// TestSumsAccuracy sums a 1000×1000 matrix of values near 1: the blocked
// sums must stay within a relative 1e-6.
func TestSumsAccuracy(t *testing.T) {
	const rows, cols = 1000, 1000
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = 1 + 0.01*rng.Float32()
	}
	colRef, rowRef := make([]float64, cols), make([]float64, rows)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			colRef[j] += float64(x[i*cols+j])
			rowRef[i] += float64(x[i*cols+j])
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, byCol := range []bool{true, false} {
			dst, ref, name := make([]float32, rows), rowRef, "rowSums"
			if byCol {
				dst, ref, name = make([]float32, cols), colRef, "colSums"
				im.vec.colSums(dst, x, rows, cols)
			} else {
				im.vec.rowSums(dst, x, rows, cols)
			}
			worst := 0.0
			for k := range dst {
				worst = max(worst, math.Abs(float64(dst[k])-ref[k])/ref[k])
			}
			t.Logf("%s: worst relative error %.2g", name, worst)
			if worst > 1e-6 {
				t.Errorf("%s: relative error %.2g, want <= 1e-6", name, worst)
			}
		}
	})
}

// TestSumsSpecials: NaN and infinities reach the sums they belong to.
func TestSumsSpecials(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, sh := range [][2]int{{5, 3}, {40, 37}, {300, 70}} {
			rows, cols := sh[0], sh[1]
			x := make([]float32, rows*cols)
			for i := range x {
				x[i] = 1
			}
			x[(rows-1)*cols+cols-1] = float32(math.NaN())
			x[0] = float32(math.Inf(1))
			cs, rs := make([]float32, cols), make([]float32, rows)
			im.vec.colSums(cs, x, rows, cols)
			im.vec.rowSums(rs, x, rows, cols)
			if !math.IsInf(float64(cs[0]), 1) || !math.IsInf(float64(rs[0]), 1) || cs[cols-1] == cs[cols-1] || rs[rows-1] == rs[rows-1] {
				t.Errorf("%dx%d: colSums[0]=%v rowSums[0]=%v colSums[last]=%v rowSums[last]=%v, want +Inf +Inf NaN NaN",
					rows, cols, cs[0], rs[0], cs[cols-1], rs[rows-1])
			}
		}
	})
}

// TestOptimizerSteps checks the exported updates against hand-computed
// steps.
func TestOptimizerSteps(t *testing.T) {
	restoreDefault(t)
	for _, im := range Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			if err := Use(im.Name()); err != nil {
				t.Fatal(err)
			}
			const n = 37
			near := func(name string, got []float32, want func(i int) float64, tol float64) {
				t.Helper()
				for i, g := range got {
					if w := want(i); math.Abs(float64(g)-w) > tol {
						t.Fatalf("%s: [%d] = %v, want %v", name, i, g, w)
					}
				}
			}
			grad := make([]float32, n)
			w0 := make([]float32, n)
			for i := range grad {
				grad[i] = float32(i-n/2) / 4 // includes 0
				if grad[i] == 0 {
					grad[i] = 0.5
				}
				w0[i] = float32(i) / 10
			}
			sign := func(i int) float64 { return math.Copysign(1, float64(grad[i])) }

			w := append([]float32(nil), w0...)
			SGDUpdate(w, grad, 0.1)
			near("SGD", w, func(i int) float64 { return float64(w0[i]) - 0.1*float64(grad[i]) }, 1e-6)

			w = append([]float32(nil), w0...)
			v := make([]float32, n)
			MomentumUpdate(w, grad, v, 0.1, 0.9)
			MomentumUpdate(w, grad, v, 0.1, 0.9)
			// v1 = -0.1g, v2 = 0.9·v1 - 0.1g = -0.19g; w = w0 - 0.29g.
			near("Momentum v", v, func(i int) float64 { return -0.19 * float64(grad[i]) }, 1e-6)
			near("Momentum w", w, func(i int) float64 { return float64(w0[i]) - 0.29*float64(grad[i]) }, 1e-6)

			w = append([]float32(nil), w0...)
			h := make([]float32, n)
			AdaGradUpdate(w, grad, h, 0.1, 1e-8)
			near("AdaGrad h", h, func(i int) float64 { return float64(grad[i]) * float64(grad[i]) }, 1e-6)
			near("AdaGrad w", w, func(i int) float64 { return float64(w0[i]) - 0.1*sign(i) }, 1e-6)
			AdaGradUpdate(w, grad, h, 0.1, 1e-8) // h = 2g²: step lr/√2
			near("AdaGrad w2", w, func(i int) float64 { return float64(w0[i]) - 0.1*sign(i)*(1+1/math.Sqrt2) }, 2e-6)

			w = append([]float32(nil), w0...)
			h = make([]float32, n)
			RMSPropUpdate(w, grad, h, 0.01, 0.75, 1e-8)
			near("RMSProp h", h, func(i int) float64 { return 0.25 * float64(grad[i]) * float64(grad[i]) }, 1e-6)
			near("RMSProp w", w, func(i int) float64 { return float64(w0[i]) - 0.02*sign(i) }, 1e-6)

			w = append([]float32(nil), w0...)
			m := make([]float32, n)
			v = make([]float32, n)
			AdamUpdate(w, grad, m, v, 0.001, 0.9, 0.999, 1e-8, 1)
			near("Adam m", m, func(i int) float64 { return 0.1 * float64(grad[i]) }, 1e-6)
			near("Adam v", v, func(i int) float64 { return 0.001 * float64(grad[i]) * float64(grad[i]) }, 1e-6)
			// The first step moves each weight by lr·sign(g).
			near("Adam w", w, func(i int) float64 { return float64(w0[i]) - 0.001*sign(i) }, 1e-6)
			// With a constant gradient every bias-corrected step is lr·sign(g).
			for step := 2; step <= 5; step++ {
				AdamUpdate(w, grad, m, v, 0.001, 0.9, 0.999, 1e-8, step)
				near(fmt.Sprint("Adam w step ", step), w, func(i int) float64 { return float64(w0[i]) - float64(step)*0.001*sign(i) }, 1e-5)
			}
		})
	}
}

// TestVectorPanics checks the argument errors of the exported functions.
func TestVectorPanics(t *testing.T) {
	a10, a12 := make([]float32, 10), make([]float32, 12)
	cases := []struct {
		f    func()
		want string
	}{
		{func() { ReLU(a10, a12) }, "len(dst) = 10, need 12"},
		{func() { SigmoidBackward(a12, a10, a12) }, "len(da) = 10, need 12"},
		{func() { TanhBackward(a10, a12, a12) }, "len(dz) = 10, need 12"},
		{func() { ReLUBackward(a12, a12, a10) }, "len(da) = 12, need 10"},
		{func() { AddRowVector(a10, 3, 4, a12) }, "len(x) = 10, need 12"},
		{func() { AddRowVector(a12, 3, 4, a10) }, "len(v) = 10, need 4"},
		{func() { AddColVector(a12, 4, 3, a10) }, "len(v) = 10, need 4"},
		{func() { AddColVector(a12, -4, -3, a12) }, "rows = -4"},
		{func() { AddColVector(a12, 4, -3, a12) }, "cols = -3"},
		{func() { AddRowVector(a12, math.MaxInt/2, 3, a12) }, "overflows"},
		{func() { ColSums(a10, a12, 3, 4) }, "len(dst) = 10, need 4"},
		{func() { ColSums(a10, a12, 4, 4) }, "len(x) = 12, need 16"},
		{func() { RowSums(a10, a12, 3, 4) }, "len(dst) = 10, need 3"},
		{func() { Axpy(1, a10, a12) }, "len(x) = 10, need 12"},
		{func() { Mul(a12, a10, a12) }, "len(x) = 10, need 12"},
		{func() { Mul(a12, a12, a10) }, "len(y) = 10, need 12"},
		{func() { SGDUpdate(a12, a10, 1) }, "len(g) = 10, need 12"},
		{func() { MomentumUpdate(a12, a12, a10, 1, 1) }, "len(v) = 10, need 12"},
		{func() { AdaGradUpdate(a12, a12, a10, 1, 1) }, "len(h) = 10, need 12"},
		{func() { RMSPropUpdate(a12, a10, a12, 1, 1, 1) }, "len(g) = 10, need 12"},
		{func() { AdamUpdate(a12, a12, a10, a12, 1, 1, 1, 1, 1) }, "len(m) = 10, need 12"},
		{func() { AdamUpdate(a12, a12, a12, a10, 1, 1, 1, 1, 1) }, "len(v) = 10, need 12"},
		{func() { AdamUpdate(a12, a12, a12, a12, 1, 1, 1, 1, 0) }, "t = 0, need >= 1"},
	}
	for i, c := range cases {
		msg, ok := panicMessage(c.f)
		if !ok || !containsAll(msg, "kernels: ", c.want) {
			t.Errorf("case %d: panic %q (panicked %v), want one containing %q", i, msg, ok, c.want)
		}
	}
	// The internal assembly wrappers check lengths again.
	if im := implNamed("avx2"); im != nil {
		for i, f := range []func(){
			func() { im.vec.relu(a10, a12) },
			func() { im.vec.adam(a12, a12, a12, a10, adamParams{}) },
			func() { im.vec.colSums(a10, a12, 3, 4) },
			func() { im.vec.addRow(a12, 3, 4, a10) },
		} {
			if _, ok := panicMessage(f); !ok {
				t.Errorf("internal case %d: no panic", i)
			}
		}
	}
}

// TestVectorExported runs each exported function once on the default
// implementation against the generic twin.
func TestVectorExported(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 45
	x, y := randSlice(rng, n), randSlice(rng, n)
	a := make([]float32, n)
	for i := range a {
		a[i] = rng.Float32()
	}
	got, want := make([]float32, n), make([]float32, n)
	eq := func(name string) {
		t.Helper()
		for i := range want {
			if !sameFloat(got[i], want[i]) {
				t.Fatalf("%s: [%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	ReLU(got, x)
	reluGeneric(want, x)
	eq("ReLU")
	SigmoidBackward(got, x, a)
	sigmoidBackwardGeneric(want, x, a)
	eq("SigmoidBackward")
	TanhBackward(got, x, a)
	tanhBackwardGeneric(want, x, a)
	eq("TanhBackward")
	ReLUBackward(got, x, y)
	reluBackwardGeneric(want, x, y)
	eq("ReLUBackward")
	Mul(got, x, y)
	mulGeneric(want, x, y)
	eq("Mul")
	copy(got, y)
	copy(want, y)
	Axpy(2, x, got)
	axpyGeneric(2, x, want)
	eq("Axpy")
	Scale(3, got)
	scaleGeneric(3, want)
	eq("Scale")
	copy(got, x)
	copy(want, x)
	AddRowVector(got, 5, 9, y[:9])
	addRowGeneric(want, 5, 9, y[:9])
	eq("AddRowVector")
	AddColVector(got, 5, 9, y[:5])
	addColGeneric(want, 5, 9, y[:5])
	eq("AddColVector")
	cs, rs := make([]float32, 9), make([]float32, 5)
	ColSums(cs, x, 5, 9)
	RowSums(rs, x, 5, 9)
	for j := range cs {
		var s float64
		for i := 0; i < 5; i++ {
			s += float64(x[i*9+j])
		}
		if math.Abs(float64(cs[j])-s) > 1e-5 {
			t.Fatalf("ColSums[%d] = %v, want %v", j, cs[j], s)
		}
	}
	for i := range rs {
		var s float64
		for j := 0; j < 9; j++ {
			s += float64(x[i*9+j])
		}
		if math.Abs(float64(rs[i])-s) > 1e-5 {
			t.Fatalf("RowSums[%d] = %v, want %v", i, rs[i], s)
		}
	}
}

// FuzzVector compares the AVX2 vector kernels with their Go twins on fuzzed
// data: bit for bit for the elementwise kernels and the bias adds, within
// the summation bound for the sums. Each pair of bytes is a value: a
// special (NaN, ±Inf, ±0) when the first is 0xff, else int16/256. Run it
// with
//
//	go test -run XXX -fuzz FuzzVector -fuzztime 30s ./kernels
func FuzzVector(f *testing.F) {
	f.Add(uint8(3), []byte{1, 2, 3, 4, 5, 6})
	f.Add(uint8(17), []byte("the quick brown fox jumps over the lazy dog, twice over"))
	f.Add(uint8(1), []byte{0xff, 0, 0xff, 1, 0xff, 2, 0xff, 3, 0x80, 0, 0x7f, 0xff})
	f.Add(uint8(40), make([]byte, 300))
	f.Fuzz(func(t *testing.T, cols uint8, data []byte) {
		im := implNamed("avx2")
		if im == nil {
			t.Skip("no avx2 implementation on this machine")
		}
		vals := make([]float32, len(data)/2)
		for i := range vals {
			b0, b1 := data[2*i], data[2*i+1]
			if b0 == 0xff {
				vals[i] = vecSpecials[int(b1)%len(vecSpecials)]
			} else {
				vals[i] = float32(int16(uint16(b0)<<8|uint16(b1))) / 256
			}
		}
		n := len(vals) / 4
		args := [4][]float32{vals[:n], vals[n : 2*n], vals[2*n : 3*n], vals[3*n : 4*n]}
		a01 := make([]float32, n) // a saved output in [0, 1]
		for i, e := range args[2] {
			a01[i] = float32(math.Abs(float64(e))) / 128
		}
		for _, c := range vecEWCases() {
			in := make([][]float32, c.nargs)
			for k := range in {
				in[k] = args[k]
				if c.name == "sigmoidBackward" && k == 2 {
					in[k] = a01
				}
			}
			got, want := make([][]float32, c.nargs), make([][]float32, c.nargs)
			for k := range in {
				got[k] = append([]float32(nil), in[k]...)
				want[k] = append([]float32(nil), in[k]...)
			}
			c.run(&im.vec, got)
			gv := generic.vec
			c.run(&gv, want)
			for k := range got {
				for i := range got[k] {
					if !sameFloat(got[k][i], want[k][i]) {
						t.Fatalf("%s n=%d: arg %d [%d] = %v, generic %v", c.name, n, k, i, got[k][i], want[k][i])
					}
				}
			}
		}
		// Matrix kernels on all the values, cols wide.
		c := int(cols)%70 + 1
		rows := len(vals) / c
		x := vals[:rows*c]
		for _, byRow := range []bool{true, false} {
			nv := c
			if !byRow {
				nv = rows
			}
			v := make([]float32, nv)
			for i := range v {
				if len(vals) > 0 {
					v[i] = vals[(7*i+3)%len(vals)]
				}
			}
			g, w := append([]float32(nil), x...), append([]float32(nil), x...)
			if byRow {
				im.vec.addRow(g, rows, c, v)
				addRowGeneric(w, rows, c, v)
			} else {
				im.vec.addCol(g, rows, c, v)
				addColGeneric(w, rows, c, v)
			}
			for i := range g {
				if !sameFloat(g[i], w[i]) {
					t.Fatalf("add (byRow %v) %dx%d: [%d] = %v, generic %v", byRow, rows, c, i, g[i], w[i])
				}
			}
			ns := c
			if !byRow {
				ns = rows
			}
			gs, ws := make([]float32, ns), make([]float32, ns)
			if byRow {
				im.vec.colSums(gs, x, rows, c)
				genericVec.colSums(ws, x, rows, c)
			} else {
				im.vec.rowSums(gs, x, rows, c)
				genericVec.rowSums(ws, x, rows, c)
			}
			for k := range gs {
				var mag float64
				if byRow {
					for i := 0; i < rows; i++ {
						mag += math.Abs(float64(x[i*c+k]))
					}
				} else {
					for j := 0; j < c; j++ {
						mag += math.Abs(float64(x[k*c+j]))
					}
				}
				wk := float64(ws[k])
				if !vecClose(gs[k], wk, 2*vecSumTol(max(rows, c), mag), 0) && !(math.IsInf(mag, 0) || math.IsNaN(mag)) {
					t.Fatalf("sums (cols %v) %dx%d: [%d] = %v, generic %v", byRow, rows, c, k, gs[k], ws[k])
				}
			}
		}
	})
}

// TestColSumsAllocatesNothing checks that repeated column sums of a tall
// matrix (db of a layer, every training step) reuse their scratch.
func TestColSumsAllocatesNothing(t *testing.T) {
	rows, cols := 11272, 196
	x := make([]float32, rows*cols)
	dst := make([]float32, cols)
	ColSums(dst, x, rows, cols) // keeps a scratch buffer
	if n := testing.AllocsPerRun(20, func() { ColSums(dst, x, rows, cols) }); n != 0 {
		t.Errorf("ColSums of %d×%d allocates %v times per call, want 0", rows, cols, n)
	}
}
