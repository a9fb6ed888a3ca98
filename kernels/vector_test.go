package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Tests of the vector kernels (vector.go), with the harness of
// elementwise_test.go.

// vecEWCases are the elementwise kernels of vector.go.
func vecEWCases() []vecEWCase {
	f := func(x float32) float64 { return float64(x) }
	return []vecEWCase{
		{"axpy", 2, []int{1}, vecNormal,
			func(im *Impl, s [][]float32) { im.vec.axpy(-0.75, s[0], s[1]) },
			func(x []float64) []float64 { return []float64{x[0], x[1] - 0.75*x[0]} }, 2e-7},
		{"scale", 1, []int{0}, vecNormal,
			func(im *Impl, s [][]float32) { im.vec.scale(0.3, s[0]) },
			func(x []float64) []float64 { return []float64{f(0.3) * x[0]} }, 1.2e-7},
		{"mul", 3, []int{0}, vecNormal,
			func(im *Impl, s [][]float32) { im.vec.mul(s[0], s[1], s[2]) },
			func(x []float64) []float64 { return []float64{x[1] * x[2], x[1], x[2]} }, 1.2e-7},
	}
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

// TestVectorPanics checks the argument errors of the exported functions.
func TestVectorPanics(t *testing.T) {
	a10, a12 := make([]float32, 10), make([]float32, 12)
	wantPanics(t, []panicCase{
		{func() { AddRowVector(a10, 3, 4, a12) }, []string{"len(x) = 10, need 12"}},
		{func() { AddRowVector(a12, 3, 4, a10) }, []string{"len(v) = 10, need 4"}},
		{func() { AddColVector(a12, 4, 3, a10) }, []string{"len(v) = 10, need 4"}},
		{func() { AddColVector(a12, -4, -3, a12) }, []string{"rows = -4"}},
		{func() { AddColVector(a12, 4, -3, a12) }, []string{"cols = -3"}},
		{func() { AddRowVector(a12, math.MaxInt/2, 3, a12) }, []string{"overflows"}},
		{func() { ColSums(a10, a12, 3, 4) }, []string{"len(dst) = 10, need 4"}},
		{func() { ColSums(a10, a12, 4, 4) }, []string{"len(x) = 12, need 16"}},
		{func() { RowSums(a10, a12, 3, 4) }, []string{"len(dst) = 10, need 3"}},
		{func() { Axpy(1, a10, a12) }, []string{"len(x) = 10, need 12"}},
		{func() { Mul(a12, a10, a12) }, []string{"len(x) = 10, need 12"}},
		{func() { Mul(a12, a12, a10) }, []string{"len(y) = 10, need 12"}},
	})
	// The internal assembly wrappers check lengths again.
	if im := implNamed("avx2"); im != nil {
		for i, f := range []func(){
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

// FuzzVector compares the AVX2 kernels with their Go twins on fuzzed data:
// bit for bit for the elementwise kernels of every family and the bias
// adds, within the summation bound for the sums. Each pair of bytes is a value: a
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
		for _, c := range allEWCases() {
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
			c.run(im, got)
			c.run(generic, want)
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

// TestCountNonzero checks CountNonzero's kernel on every implementation
// against a count element by element: lengths around the assembly's groups
// of 32 and its calls of maxCall, ±0, subnormals and NaN or infinities
// (with either sign) at the first place, inside a group, in the tail and
// after another.
func TestCountNonzero(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	specials := []float32{float32(math.NaN()), math.Float32frombits(0xffc00001), float32(math.Inf(1)), float32(math.Inf(-1))}
	ref := func(x []float32) (nz, bad int) {
		bad = -1
		for i, v := range x {
			if math.Float32bits(v)&0x7fffffff != 0 {
				nz++
			}
			if f := float64(v); bad < 0 && (math.IsNaN(f) || math.IsInf(f, 0)) {
				bad = i
			}
		}
		return nz, bad
	}
	lengths := []int{0, 1, 3, 4, 7, 31, 32, 33, 63, 64, 95, 96, 100, 127, 128, 129, 1000, maxCall - 1, maxCall, maxCall + 33, 2*maxCall + 70}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, n := range lengths {
			x := make([]float32, n)
			for i := range x {
				switch rng.IntN(5) {
				case 0:
					x[i] = 0
				case 1:
					x[i] = float32(math.Copysign(0, -1))
				case 2:
					x[i] = math.Float32frombits(uint32(1 + rng.IntN(1<<23))) // subnormal
				default:
					x[i] = float32(rng.NormFloat64())
				}
			}
			check := func(what string) {
				t.Helper()
				nz, bad := im.vec.count(x)
				wnz, wbad := ref(x)
				if nz != wnz || bad != wbad {
					t.Fatalf("n=%d %s: got (%d, %d), want (%d, %d)", n, what, nz, bad, wnz, wbad)
				}
			}
			check("finite")
			if n == 0 {
				continue
			}
			for _, at := range []int{0, n / 2, n - 1, n / 3} {
				keep := x[at]
				x[at] = specials[rng.IntN(len(specials))]
				check(fmt.Sprintf("special at %d", at))
				if at > 0 { // a second one after it: the first is reported
					x2 := x[min(at+5, n-1)]
					x[min(at+5, n-1)] = specials[rng.IntN(len(specials))]
					check(fmt.Sprintf("specials at %d and after", at))
					x[min(at+5, n-1)] = x2
				}
				x[at] = keep
			}
		}
	})
	if nz, bad := CountNonzero([]float32{0, 1, -0.0, 2}); nz != 2 || bad != -1 {
		t.Errorf("CountNonzero: got (%d, %d), want (2, -1)", nz, bad)
	}
}

// TestCompressNonzero checks CompressNonzero's kernel on every
// implementation against a loop element by element: lengths around the
// groups of 8 and the calls of maxCall, ±0 dropped and subnormals, NaN and
// infinities kept, a first index, and room for exactly the nonzeros (the
// assembly's whole-group stores must then stop in time), one more, or
// plenty; and that too little room panics.
func TestCompressNonzero(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	specials := []float32{float32(math.NaN()), float32(math.Inf(-1)), math.Float32frombits(1), float32(math.Copysign(0, -1)), 0}
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 64, 100, 784, maxCall - 3, maxCall + 8, 2*maxCall + 13}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, n := range lengths {
			for _, density := range []float64{0, 0.2, 0.9, 1} {
				x := make([]float32, n)
				for i := range x {
					if rng.Float64() < density {
						x[i] = float32(rng.NormFloat64())
					}
					if rng.IntN(50) == 0 {
						x[i] = specials[rng.IntN(len(specials))]
					}
				}
				first := int32(rng.IntN(1000))
				var wantI []int32
				var wantV []float32
				for i, v := range x {
					if math.Float32bits(v)&0x7fffffff != 0 {
						wantI = append(wantI, first+int32(i))
						wantV = append(wantV, v)
					}
				}
				for _, spare := range []int{0, 1, 9, n} {
					const guard = 8
					idx := make([]int32, len(wantI)+spare+guard)
					vals := make([]float32, len(wantI)+spare+guard)
					for i := range idx {
						idx[i], vals[i] = -5, -5
					}
					room := len(wantI) + spare
					k := im.vec.compress(idx[:room], vals[:room], x, first)
					if k != len(wantI) || !slices.Equal(idx[:k], wantI) || !sameBits(vals[:k], wantV) {
						t.Fatalf("n=%d density=%g spare=%d: got %d nonzeros, want %d, or different ones", n, density, spare, k, len(wantI))
					}
					for i := room; i < len(idx); i++ {
						if idx[i] != -5 || vals[i] != -5 {
							t.Fatalf("n=%d density=%g spare=%d: wrote past idx and vals at %d", n, density, spare, i)
						}
					}
				}
				if len(wantI) > 0 {
					func() {
						defer func() {
							if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "len(idx)") {
								t.Fatalf("n=%d: room for one nonzero fewer: recovered %v", n, r)
							}
						}()
						im.vec.compress(make([]int32, len(wantI)-1), make([]float32, len(wantI)), x, first)
					}()
				}
			}
		}
	})
	if msg, ok := panicMessage(func() {
		CompressNonzero(make([]int32, 4), make([]float32, 4), make([]float32, 4), math.MaxInt32-2)
	}); !ok || !strings.Contains(msg, "first") {
		t.Errorf("CompressNonzero with indices past int32: panic %q (%v)", msg, ok)
	}
	if k := CompressNonzero(make([]int32, 3), make([]float32, 3), []float32{0, 1, -0.0, 2}, 10); k != 2 {
		t.Errorf("CompressNonzero: %d nonzeros, want 2", k)
	}
}
