package mat32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/gofma/gofma/kernels"
)

func randDense(rng *rand.Rand, r, c int) *Dense {
	m := NewDense(r, c, nil)
	for i := range m.data {
		m.data[i] = float32(rng.NormFloat64())
	}
	return m
}

// view returns an r×c view with stride c+3 inside a larger random matrix,
// with the surrounding elements set to a sentinel.
func view(rng *rand.Rand, r, c int) (v, parent *Dense) {
	parent = NewDense(r+2, c+3, nil)
	for i := range parent.data {
		parent.data[i] = 999
	}
	v = parent.Slice(1, r+1, 2, c+2)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v.Set(i, j, float32(rng.NormFloat64()))
		}
	}
	return v, parent
}

// checkFrame fails unless every element of parent outside rows [1, r+1) and
// columns [2, c+2) still holds the sentinel.
func checkFrame(t *testing.T, parent *Dense, r, c int) {
	t.Helper()
	for i := 0; i < parent.rows; i++ {
		for j := 0; j < parent.cols; j++ {
			inside := i >= 1 && i < r+1 && j >= 2 && j < c+2
			if !inside && parent.At(i, j) != 999 {
				t.Fatalf("wrote outside the view at (%d, %d)", i, j)
			}
		}
	}
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s := fmt.Sprint(r); r == nil || !strings.Contains(s, want) {
			t.Errorf("panic %v, want one containing %q", r, want)
		}
	}()
	f()
}

func TestNewDense(t *testing.T) {
	m := NewDense(2, 3, []float32{1, 2, 3, 4, 5, 6})
	if r, c := m.Dims(); r != 2 || c != 3 || m.At(1, 0) != 4 || m.Stride() != 3 {
		t.Fatalf("NewDense: %d×%d, At(1,0) = %v", r, c, m.At(1, 0))
	}
	m.Set(0, 2, 9)
	if m.Row(0)[2] != 9 {
		t.Error("Set did not reach the data")
	}
	mustPanic(t, "len(data) = 5, need 6", func() { NewDense(2, 3, make([]float32, 5)) })
	mustPanic(t, "dimensions must be positive", func() { NewDense(0, 3, nil) })
	mustPanic(t, "index (2, 0) out of range for a 2×3 matrix", func() { m.At(2, 0) })
	mustPanic(t, "index (0, -1) out of range", func() { m.Set(0, -1, 1) })
	mustPanic(t, "Slice(0, 3, 0, 1) out of range for a 2×3 matrix", func() { m.Slice(0, 3, 0, 1) })
	var empty Dense
	if !empty.IsEmpty() || m.IsEmpty() {
		t.Error("IsEmpty")
	}
}

func TestSliceSharesMemory(t *testing.T) {
	m := NewDense(4, 5, nil)
	v := m.Slice(1, 3, 2, 5)
	if r, c := v.Dims(); r != 2 || c != 3 || v.Stride() != 5 {
		t.Fatalf("view %d×%d stride %d", r, c, v.Stride())
	}
	v.Set(1, 2, 7)
	if m.At(2, 4) != 7 {
		t.Error("a view does not share its parent's memory")
	}
	if tr := v.T(); tr.At(2, 1) != 7 {
		t.Error("T does not transpose")
	}
	if r, c := v.T().Dims(); r != 3 || c != 2 {
		t.Errorf("T dims %d×%d", r, c)
	}
	if v.T().T() != Matrix(v) {
		t.Error("T().T() is not the matrix itself")
	}
}

func TestCopyEqual(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	v, parent := view(rng, 3, 4)
	var c Dense
	c.Copy(v)
	if !Equal(&c, v) || c.Stride() != 4 {
		t.Fatal("Copy into an empty Dense differs")
	}
	w := v.Clone()
	w.Set(2, 3, w.At(2, 3)+1e-4)
	if Equal(w, v) {
		t.Error("Equal ignores a difference")
	}
	if !EqualApprox(w, v, 1e-3) || EqualApprox(w, v, 1e-6) {
		t.Error("EqualApprox tolerance")
	}
	if Equal(v, NewDense(4, 3, nil)) || EqualApprox(v, NewDense(3, 5, nil), 1) {
		t.Error("matrices of different shapes are equal")
	}
	nan := NewDense(1, 1, []float32{float32(math.NaN())})
	if Equal(nan, nan) || EqualApprox(nan, nan, 1) {
		t.Error("NaN equals itself")
	}
	v.Copy(w) // into a view
	checkFrame(t, parent, 3, 4)
	mustPanic(t, "Copy: receiver is 3×4, need 2×2", func() { v.Copy(NewDense(2, 2, nil)) })
}

// elementwise ops against a plain loop, on compact and strided operands.
func TestElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	type op struct {
		name string
		run  func(m, a, b *Dense)
		ref  func(x, y float32) float32
	}
	ops := []op{
		{"Add", func(m, a, b *Dense) { m.Add(a, b) }, func(x, y float32) float32 { return x + y }},
		{"Sub", func(m, a, b *Dense) { m.Sub(a, b) }, func(x, y float32) float32 { return x - y }},
		{"MulElem", func(m, a, b *Dense) { m.MulElem(a, b) }, func(x, y float32) float32 { return x * y }},
		{"Scale", func(m, a, b *Dense) { m.Scale(-2.5, a) }, func(x, y float32) float32 { return -2.5 * x }},
		{"Apply", func(m, a, b *Dense) {
			m.Apply(func(i, j int, v float32) float32 { return v*v + float32(i-j) }, a)
		}, nil},
	}
	for _, o := range ops {
		for _, sz := range [][2]int{{1, 1}, {3, 17}, {40, 33}} {
			r, c := sz[0], sz[1]
			a, pa := view(rng, r, c)
			b := randDense(rng, r, c)
			m, pm := view(rng, r, c)
			o.run(m, a, b)
			checkFrame(t, pm, r, c)
			checkFrame(t, pa, r, c)
			for i := 0; i < r; i++ {
				for j := 0; j < c; j++ {
					var want float32
					if o.ref != nil {
						want = o.ref(a.At(i, j), b.At(i, j))
					} else {
						want = a.At(i, j)*a.At(i, j) + float32(i-j)
					}
					if got := m.At(i, j); math.Abs(float64(got-want)) > 1e-6*(1+math.Abs(float64(want))) {
						t.Fatalf("%s %d×%d: (%d,%d) = %v, want %v", o.name, r, c, i, j, got, want)
					}
				}
			}
			var e Dense // an empty receiver is allocated
			o.run(&e, a, b)
			if !Equal(&e, m) {
				t.Fatalf("%s into an empty Dense differs", o.name)
			}
			// in place, the receiver being an operand
			a2, b2 := a.Clone(), b.Clone()
			o.run(a2, a2, b2)
			b3 := b.Clone()
			if o.name != "Scale" && o.name != "Apply" {
				o.run(b3, a.Clone(), b3)
				if !EqualApprox(b3, m, 1e-6) {
					t.Fatalf("%s with the receiver as the second operand differs", o.name)
				}
			}
			if !EqualApprox(a2, m, 1e-6) {
				t.Fatalf("%s with the receiver as the first operand differs", o.name)
			}
		}
	}
	a := NewDense(2, 3, nil)
	mustPanic(t, "Add: shapes differ: 2×3 and 3×2", func() { a.Add(a, NewDense(3, 2, nil)) })
	mustPanic(t, "Sub: receiver is 2×3, need 3×3", func() { a.Sub(NewDense(3, 3, nil), NewDense(3, 3, nil)) })
	big := NewDense(3, 4, nil)
	mustPanic(t, "partly overlaps", func() { big.Slice(0, 2, 0, 3).Add(big.Slice(1, 3, 1, 4), big.Slice(1, 3, 1, 4)) })
}

func TestSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sz := range [][2]int{{1, 1}, {5, 33}, {70, 9}} {
		r, c := sz[0], sz[1]
		for _, strided := range []bool{false, true} {
			a := randDense(rng, r, c)
			if strided {
				a, _ = view(rng, r, c)
			}
			rs, cs := RowSums(nil, a), ColSums(nil, a)
			for i := 0; i < r; i++ {
				var s float64
				for j := 0; j < c; j++ {
					s += float64(a.At(i, j))
				}
				if math.Abs(float64(rs[i])-s) > 1e-5*(1+math.Abs(s)) {
					t.Fatalf("RowSums %d×%d strided=%t: [%d] = %v, want %v", r, c, strided, i, rs[i], s)
				}
			}
			for j := 0; j < c; j++ {
				var s float64
				for i := 0; i < r; i++ {
					s += float64(a.At(i, j))
				}
				if math.Abs(float64(cs[j])-s) > 1e-5*(1+math.Abs(s)) {
					t.Fatalf("ColSums %d×%d strided=%t: [%d] = %v, want %v", r, c, strided, j, cs[j], s)
				}
			}
		}
	}
	mustPanic(t, "RowSums: len(dst) = 2, need 3 (one per row)", func() { RowSums(make([]float32, 2), NewDense(3, 1, nil)) })
	mustPanic(t, "ColSums: len(dst) = 2, need 1 (one per column)", func() { ColSums(make([]float32, 2), NewDense(3, 1, nil)) })
}

// TestProduct checks Mul, MulAdd and MulEpilogue against a float64
// reference for every transpose combination, strided views, odd sizes.
func TestProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, s := range [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {100, 31, 260}} {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				var a, b Matrix
				ad, bd := randDense(rng, m, k), randDense(rng, k, n)
				a, b = ad, bd
				if ta {
					v, _ := view(rng, k, m)
					v.Copy(ad.Clone().transposeCopy())
					a = v.T()
				}
				if tb {
					v, _ := view(rng, n, k)
					v.Copy(bd.Clone().transposeCopy())
					b = v.T()
				}
				c, pc := view(rng, m, n)
				c0 := c.Clone()
				c.MulAdd(0.5, a, b, -1)
				checkFrame(t, pc, m, n)
				var p Dense
				p.Mul(a, b)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var sum, abs float64
						for q := 0; q < k; q++ {
							x := float64(ad.At(i, q)) * float64(bd.At(q, j))
							sum += x
							abs += math.Abs(x)
						}
						tol := 1e-5 * (abs + 1)
						if got := float64(p.At(i, j)); math.Abs(got-sum) > tol {
							t.Fatalf("Mul %v ta=%t tb=%t (%d,%d) = %v, want %v", s, ta, tb, i, j, got, sum)
						}
						want := 0.5*sum - float64(c0.At(i, j))
						if got := float64(c.At(i, j)); math.Abs(got-want) > tol {
							t.Fatalf("MulAdd %v ta=%t tb=%t (%d,%d) = %v, want %v", s, ta, tb, i, j, got, want)
						}
					}
				}
				bias := make([]float32, m)
				for i := range bias {
					bias[i] = float32(rng.NormFloat64())
				}
				var e Dense
				e.MulEpilogue(a, b, kernels.Epilogue{Bias: bias, BiasPerRow: true, Act: kernels.ActTanh})
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						want := math.Tanh(float64(p.At(i, j)) + float64(bias[i]))
						if got := float64(e.At(i, j)); math.Abs(got-want) > 1e-5 {
							t.Fatalf("MulEpilogue (%d,%d) = %v, want %v", i, j, got, want)
						}
					}
				}
			}
		}
	}
	a := NewDense(2, 3, nil)
	mustPanic(t, "Mul: inner dimensions differ: 2×3 · 2×3", func() { new(Dense).Mul(a, a) })
	mustPanic(t, "Mul: inner dimensions differ: 3×2 (transposed) · 3×2 (transposed)", func() { new(Dense).Mul(a.T(), a.T()) })
	mustPanic(t, "Mul: receiver is 2×3, need 2×2 for operands 2×3 and 3×2 (transposed)", func() { a.Mul(a, a.T()) })
	sq := NewDense(3, 3, nil)
	mustPanic(t, "shares memory", func() { sq.Mul(sq, sq) })
}

// transposeCopy returns a new, compact transpose of m.
func (m *Dense) transposeCopy() *Dense {
	t := NewDense(m.cols, m.rows, nil)
	for i := 0; i < m.rows; i++ {
		for j := 0; j < m.cols; j++ {
			t.Set(j, i, m.At(i, j))
		}
	}
	return t
}

func TestFormatted(t *testing.T) {
	m := NewDense(2, 2, []float32{1, -2.5, 30, 4})
	got := fmt.Sprintf("%v", Formatted(m))
	want := "⎡ 1  -2.5⎤\n⎣30     4⎦"
	if got != want {
		t.Errorf("Formatted:\n%s\nwant\n%s", got, want)
	}
	if got := fmt.Sprintf("%.1f", Formatted(NewDense(1, 3, []float32{1, 2, 3}))); got != "[1.0  2.0  3.0]" {
		t.Errorf("one row: %q", got)
	}
	if got := fmt.Sprintf("%v", Formatted(m.T())); got != "⎡   1  30⎤\n⎣-2.5   4⎦" {
		t.Errorf("transposed: %q", got)
	}
}

func TestGonumConversions(t *testing.T) {
	g := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6.5})
	m := FromGonum(g)
	if m.At(1, 2) != 6.5 {
		t.Fatal("FromGonum")
	}
	if !mat.Equal(m.ToGonum(), g) {
		t.Error("ToGonum(FromGonum(g)) != g")
	}
	v := m.Slice(0, 2, 1, 3)
	raw := v.RawMatrix()
	if raw.Rows != 2 || raw.Cols != 2 || raw.Stride != 3 {
		t.Errorf("RawMatrix %+v", raw)
	}
	w := NewDenseGeneral(raw)
	w.Set(0, 0, -1)
	if m.At(0, 1) != -1 {
		t.Error("NewDenseGeneral does not share memory")
	}
	mustPanic(t, "len(Data) = 3, need at least 5", func() {
		NewDenseGeneral(blas32.General{Rows: 2, Cols: 2, Stride: 3, Data: make([]float32, 3)})
	})
	mustPanic(t, "is not a valid matrix", func() { NewDenseGeneral(blas32.General{Rows: 2, Cols: 2, Stride: 1}) })
}

// TestBLASThroughGonum checks that after blas32.Use(BLAS{}) gonum's own
// blas32.Gemm (and Axpy, Scal) gives what gonum's implementation gives, for
// every transpose and odd sizes.
func TestBLASThroughGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	defer blas32.Use(gonum.Implementation{})
	for _, s := range [][3]int{{1, 1, 1}, {5, 7, 3}, {33, 17, 65}, {130, 70, 300}} {
		m, n, k := s[0], s[1], s[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				ar, ac, br, bc := m, k, k, n
				if tA == blas.Trans {
					ar, ac = k, m
				}
				if tB == blas.Trans {
					br, bc = n, k
				}
				a := randDense(rng, ar, ac).RawMatrix()
				b := randDense(rng, br, bc).RawMatrix()
				c := randDense(rng, m, n)
				want, got := c.Clone(), c.Clone()
				blas32.Use(gonum.Implementation{})
				blas32.Gemm(tA, tB, 0.5, a, b, 2, want.RawMatrix())
				blas32.Use(BLAS{})
				blas32.Gemm(tA, tB, 0.5, a, b, 2, got.RawMatrix())
				if !EqualApprox(got, want, 1e-4) {
					t.Fatalf("blas32.Gemm %v tA=%v tB=%v: BLAS{} and gonum differ", s, tA, tB)
				}
			}
		}
	}
	x := blas32.Vector{N: 37, Inc: 1, Data: randDense(rng, 1, 37).data}
	y1 := blas32.Vector{N: 37, Inc: 1, Data: randDense(rng, 1, 37).data}
	y2 := blas32.Vector{N: 37, Inc: 1, Data: append([]float32(nil), y1.Data...)}
	blas32.Use(gonum.Implementation{})
	blas32.Axpy(1.5, x, y1)
	blas32.Scal(-2, y1)
	blas32.Use(BLAS{})
	blas32.Axpy(1.5, x, y2)
	blas32.Scal(-2, y2)
	if !EqualApprox(NewDense(1, 37, y1.Data), NewDense(1, 37, y2.Data), 1e-6) {
		t.Error("blas32.Axpy/Scal through BLAS{} differ from gonum")
	}
	// Sger and the transposed Sgemv, against gonum's.
	for _, s := range [][2]int{{1, 1}, {7, 33}, {40, 9}} {
		m, n := s[0], s[1]
		a := randDense(rng, m, n)
		xv := blas32.Vector{N: m, Inc: 1, Data: randDense(rng, 1, m).data}
		yv := blas32.Vector{N: n, Inc: 1, Data: randDense(rng, 1, n).data}
		want, got := a.Clone(), a.Clone()
		blas32.Use(gonum.Implementation{})
		blas32.Ger(0.5, xv, yv, want.RawMatrix())
		gw := blas32.Vector{N: n, Inc: 1, Data: append([]float32(nil), yv.Data...)}
		blas32.Gemv(blas.Trans, 1.5, a.RawMatrix(), xv, -0.5, gw)
		blas32.Use(BLAS{})
		blas32.Ger(0.5, xv, yv, got.RawMatrix())
		gg := blas32.Vector{N: n, Inc: 1, Data: append([]float32(nil), yv.Data...)}
		blas32.Gemv(blas.Trans, 1.5, a.RawMatrix(), xv, -0.5, gg)
		if !EqualApprox(got, want, 1e-5) {
			t.Fatalf("blas32.Ger %v: BLAS{} and gonum differ", s)
		}
		if !EqualApprox(NewDense(1, n, gg.Data), NewDense(1, n, gw.Data), 1e-5) {
			t.Fatalf("blas32.Gemv(Trans) %v: BLAS{} and gonum differ", s)
		}
	}
	// Strided vectors fall through to gonum.
	xs := blas32.Vector{N: 3, Inc: 2, Data: []float32{1, 0, 2, 0, 3}}
	ys := blas32.Vector{N: 3, Inc: 2, Data: []float32{1, 9, 1, 9, 1}}
	blas32.Axpy(1, xs, ys)
	if fmt.Sprint(ys.Data) != "[2 9 3 9 4]" {
		t.Errorf("strided Axpy: %v", ys.Data)
	}
}
