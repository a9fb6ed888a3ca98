package mat32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gofma/gofma/kernels"
)

// sparseDense returns an r×c matrix whose elements are nonzero with
// probability density; unless full, row r/2 and column c/3 are all zero
// (when there are at least two of them). With padded, it is a view with
// stride c+3 in a parent framed by the sentinel 999 (see view).
func sparseDense(rng *rand.Rand, r, c int, density float64, padded bool) *Dense {
	var d *Dense
	if padded {
		d, _ = view(rng, r, c)
	} else {
		d = NewDense(r, c, nil)
	}
	full := density == 1
	for i := range r {
		for j := range c {
			v := float32(0)
			if rng.Float64() < density && (full || (i != r/2 || r < 2) && (j != c/3 || c < 2)) {
				v = float32(rng.NormFloat64())
				if v == 0 {
					v = 1
				}
			}
			d.Set(i, j, v)
		}
	}
	return d
}

// checkCSR fails unless s holds a valid CSR of the given shape.
func checkCSR(t *testing.T, s *CSR, rows, cols int) {
	t.Helper()
	if r, c := s.Dims(); r != rows || c != cols {
		t.Fatalf("Dims() = %d×%d, want %d×%d", r, c, rows, cols)
	}
	offs, idx, vals := s.RawCSR()
	if _, err := NewCSRFrom(rows, cols, offs, idx, vals); err != nil {
		t.Fatalf("invalid CSR: %v", err)
	}
	if s.NNZ() != len(vals) {
		t.Fatalf("NNZ() = %d, len(vals) = %d", s.NNZ(), len(vals))
	}
}

// sameBits reports whether two float32 slices are bitwise equal.
func sameBits(x, y []float32) bool {
	return slices.EqualFunc(x, y, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) })
}

// sameCSR reports whether a and b store the same elements, bitwise.
func sameCSR(a, b *CSR) bool {
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	ao, ai, av := a.RawCSR()
	bo, bi, bv := b.RawCSR()
	return ra == rb && ca == cb && slices.Equal(ao, bo) && slices.Equal(ai, bi) && sameBits(av, bv)
}

// nonzeros counts the elements of d that are not zero, element by element.
func nonzeros(d *Dense) int {
	n := 0
	for i := range d.rows {
		for _, v := range d.Row(i) {
			if v != 0 {
				n++
			}
		}
	}
	return n
}

var csrDensities = []float64{0, 0.001, 0.05, 0.2, 0.5, 1}

func TestCSRRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {1, 17}, {17, 1}, {2, 2}, {7, 13}, {33, 105}, {64, 200}, {101, 784}}
	for _, sz := range sizes {
		for _, density := range csrDensities {
			for _, padded := range []bool{false, true} {
				r, c := sz[0], sz[1]
				t.Run(fmt.Sprintf("%dx%d/density=%g/padded=%v", r, c, density, padded), func(t *testing.T) {
					d := sparseDense(rng, r, c, density, padded)
					s := NewCSR(d)
					checkCSR(t, s, r, c)
					if got, want := s.NNZ(), nonzeros(d); got != want {
						t.Fatalf("NNZ() = %d, want %d", got, want)
					}
					if got, want := s.Density(), float64(s.NNZ())/float64(r*c); got != want {
						t.Errorf("Density() = %g, want %g", got, want)
					}
					back := s.Dense()
					if !Equal(back, d) || back.Stride() != c {
						t.Fatal("Dense(NewCSR(d)) != d")
					}
					tr := s.T()
					checkCSR(t, tr, c, r)
					if !Equal(tr.Dense(), d.transposeCopy()) {
						t.Fatal("T().Dense() is not the transpose")
					}
					if !sameCSR(tr.T(), s) {
						t.Fatal("T().T() differs from s")
					}
				})
			}
		}
	}
}

func TestCSRSpecialValues(t *testing.T) {
	nan := math.Float32frombits(0x7fc00123)
	negZero := float32(math.Copysign(0, -1))
	tiny := math.Float32frombits(1) // the smallest denormal
	inf := float32(math.Inf(1))
	d := NewDense(2, 4, []float32{negZero, nan, 0, tiny, -inf, 0, negZero, 3})
	s := NewCSR(d)
	checkCSR(t, s, 2, 4)
	offs, idx, vals := s.RawCSR()
	if !slices.Equal(offs, []int{0, 2, 4}) || !slices.Equal(idx, []int32{1, 3, 0, 3}) ||
		!sameBits(vals, []float32{nan, tiny, -inf, 3}) {
		t.Fatalf("NewCSR kept %v %v %v; want -0 dropped, NaN (its bits), denormal and Inf kept", offs, idx, vals)
	}
	back := s.Dense()
	want := []float32{0, nan, 0, tiny, -inf, 0, 0, 3}
	if !sameBits(back.data, want) {
		t.Fatalf("Dense() = %v, want %v (-0 as +0)", back.data, want)
	}
	if !sameCSR(s.T().T(), s) {
		t.Fatal("T().T() differs from s")
	}
}

func TestCSRZeroValue(t *testing.T) {
	var s CSR
	if r, c := s.Dims(); r != 0 || c != 0 || s.NNZ() != 0 || s.Density() != 0 {
		t.Fatalf("zero CSR: %d×%d, NNZ %d, Density %g", r, c, s.NNZ(), s.Density())
	}
	checkCSR(t, &s, 0, 0)
	checkCSR(t, s.T(), 0, 0)
	mustPanic(t, "CSR.Dense: a 0×0 matrix has no Dense form", func() { s.Dense() })
	checkCSR(t, NewCSR(new(Dense)), 0, 0)

	// The zero CSR as a destination.
	rng := rand.New(rand.NewPCG(3, 4))
	d := sparseDense(rng, 9, 11, 0.3, false)
	a := NewCSR(d)
	var tr, g CSR
	a.TransposeInto(&tr)
	checkCSR(t, &tr, 11, 9)
	if !Equal(tr.Dense(), d.transposeCopy()) {
		t.Fatal("TransposeInto a zero CSR is not the transpose")
	}
	a.GatherRows(&g, []int{8, 0})
	checkCSR(t, &g, 2, 11)
	if !Equal(g.Dense(), gatherDense(d, []int{8, 0})) {
		t.Fatal("GatherRows into a zero CSR is wrong")
	}
	var e CSR
	a.GatherRows(&e, nil)
	checkCSR(t, &e, 0, 11)
	mustPanic(t, "CSR.Dense: a 0×11 matrix", func() { e.Dense() })
	if e.Density() != 0 {
		t.Errorf("Density() of a 0×11 matrix = %g, want 0", e.Density())
	}
}

// gatherDense returns a new matrix of d's listed rows.
func gatherDense(d *Dense, rows []int) *Dense {
	g := NewDense(len(rows), d.cols, nil)
	for k, r := range rows {
		copy(g.Row(k), d.Row(r))
	}
	return g
}

func TestNewCSRFrom(t *testing.T) {
	// The 3×4 matrix [[0 1 0 2] [0 0 0 0] [3 0 0 0]].
	offs := []int{0, 2, 2, 3}
	idx := []int32{1, 3, 0}
	vals := []float32{1, 2, 3}
	s, err := NewCSRFrom(3, 4, offs, idx, vals)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(s.Dense(), NewDense(3, 4, []float32{0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0})) {
		t.Fatalf("Dense() = %v", s.Dense().data)
	}
	o, i, v := s.RawCSR()
	if &o[0] != &offs[0] || &i[0] != &idx[0] || &v[0] != &vals[0] {
		t.Error("NewCSRFrom copied its slices; RawCSR must return them")
	}
	for _, ok := range []struct {
		rows, cols int
		offs       []int
	}{{0, 0, []int{0}}, {0, 5, []int{0}}, {3, 0, []int{0, 0, 0, 0}}} {
		if _, err := NewCSRFrom(ok.rows, ok.cols, ok.offs, nil, nil); err != nil {
			t.Errorf("NewCSRFrom(%d, %d, %v, nil, nil): %v", ok.rows, ok.cols, ok.offs, err)
		}
	}

	bad := []struct {
		name       string
		rows, cols int
		offs       []int
		idx        []int32
		vals       []float32
		want       string
	}{
		{"negative rows", -1, 4, []int{0}, nil, nil, "-1×4: dimensions must not be negative"},
		{"negative cols", 1, -2, []int{0, 0}, nil, nil, "1×-2: dimensions must not be negative"},
		{"huge rows", math.MaxInt, 1, []int{0}, nil, nil, "len(offs) = 1, need rows+1 = 9223372036854775808"},
		{"nil offs", 0, 0, nil, nil, nil, "len(offs) = 0, need rows+1 = 1"},
		{"short offs", 3, 4, []int{0, 2, 3}, idx, vals, "len(offs) = 3, need rows+1 = 4"},
		{"long offs", 2, 4, offs, idx, vals, "len(offs) = 4, need rows+1 = 3"},
		{"offs[0]", 3, 4, []int{1, 2, 2, 3}, idx, vals, "offs[0] = 1, need 0"},
		{"decreasing offs", 3, 4, []int{0, 2, 1, 3}, idx, vals, "offs[2] = 1 < offs[1] = 2, offsets must not decrease"},
		{"offs past idx", 3, 4, []int{0, 2, 2, 4}, idx, vals, "offs[3] = 4, need len(idx) = 3"},
		{"offs before end", 3, 4, []int{0, 2, 2, 2}, idx, vals, "offs[3] = 2, need len(idx) = 3"},
		{"short vals", 3, 4, offs, idx, vals[:2], "len(vals) = 2, need len(idx) = 3"},
		{"long vals", 3, 4, offs, idx, []float32{1, 2, 3, 4}, "len(vals) = 4, need len(idx) = 3"},
		{"negative column", 3, 4, offs, []int32{1, 3, -1}, vals, "idx[2] = -1 (row 2), need a column in [0, 4)"},
		{"column too large", 3, 4, offs, []int32{1, 4, 0}, vals, "idx[1] = 4 (row 0), need a column in [0, 4)"},
		{"repeated column", 3, 4, offs, []int32{3, 3, 0}, vals, "idx[1] = 3 after idx[0] = 3 (row 0), a row's columns must increase"},
		{"decreasing columns", 3, 4, offs, []int32{3, 1, 0}, vals, "idx[1] = 1 after idx[0] = 3 (row 0), a row's columns must increase"},
		{"no columns", 3, 0, offs, idx, vals, "idx[0] = 1 (row 0), need a column in [0, 0)"},
	}
	for _, c := range bad {
		s, err := NewCSRFrom(c.rows, c.cols, c.offs, c.idx, c.vals)
		if err == nil || s != nil {
			t.Errorf("%s: NewCSRFrom returned %v, %v; want an error", c.name, s, err)
			continue
		}
		if want := "mat32: NewCSRFrom: " + c.want; err.Error() != want {
			t.Errorf("%s: error %q, want %q", c.name, err, want)
		}
	}
	// A row may start with a greater column than the last row ended with.
	if _, err := NewCSRFrom(2, 4, []int{0, 1, 2}, []int32{3, 0}, []float32{1, 2}); err != nil {
		t.Error(err)
	}
}

func TestCSRReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	big := NewCSR(sparseDense(rng, 60, 70, 0.3, false))
	small := NewCSR(sparseDense(rng, 20, 30, 0.2, true))
	var dst CSR
	for _, s := range []*CSR{small, big, small, big} {
		r, c := s.Dims()
		s.TransposeInto(&dst)
		checkCSR(t, &dst, c, r)
		if !sameCSR(&dst, s.T()) {
			t.Fatal("TransposeInto a used dst differs from T()")
		}
	}
	if n := testing.AllocsPerRun(10, func() { big.TransposeInto(&dst) }); n != 0 {
		t.Errorf("TransposeInto: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(10, func() { small.TransposeInto(&dst) }); n != 0 {
		t.Errorf("TransposeInto a larger dst: %v allocations, want 0", n)
	}

	rows := []int{59, 0, 3, 3, 17, 59, 30}
	d := big.Dense()
	var g CSR
	for _, list := range [][]int{rows[:2], rows, nil, rows[3:], rows} {
		big.GatherRows(&g, list)
		checkCSR(t, &g, len(list), 70)
		if len(list) > 0 && !Equal(g.Dense(), gatherDense(d, list)) {
			t.Fatalf("GatherRows(%v) is wrong", list)
		}
	}
	if n := testing.AllocsPerRun(10, func() { big.GatherRows(&g, rows) }); n != 0 {
		t.Errorf("GatherRows: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(10, func() { big.GatherRows(&g, rows[4:]) }); n != 0 {
		t.Errorf("GatherRows into a larger dst: %v allocations, want 0", n)
	}
}

func TestCSRPanics(t *testing.T) {
	s := NewCSR(NewDense(3, 4, []float32{0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0}))
	var g CSR
	s.GatherRows(&g, []int{2, 0})
	before := g.T().T()
	mustPanic(t, "mat32: GatherRows: rows[1] = 3 out of range for a 3×4 matrix", func() { s.GatherRows(&g, []int{0, 3}) })
	mustPanic(t, "mat32: GatherRows: rows[0] = -1 out of range for a 3×4 matrix", func() { s.GatherRows(&g, []int{-1}) })
	if !sameCSR(&g, before) {
		t.Error("GatherRows wrote dst before panicking")
	}
	mustPanic(t, "mat32: GatherRows: dst shares memory with the source", func() { s.GatherRows(s, []int{0}) })
	mustPanic(t, "mat32: TransposeInto: dst shares memory with the source", func() { s.TransposeInto(s) })
	alias := *s
	mustPanic(t, "mat32: TransposeInto: dst shares memory with the source", func() { s.TransposeInto(&alias) })
	mustPanic(t, "mat32: GatherRows: dst shares memory with the source", func() { s.GatherRows(&alias, []int{1, 2}) })
}

// checkProduct fails unless got = s·b within the rounding of any order of
// summation: |got − want| ≤ (k+2)·2⁻²³·Σ|s_ip·b_pj| + abs for each element.
func checkProduct(t *testing.T, got *Dense, s *CSR, b *Dense, want *Dense, abs float64) {
	t.Helper()
	offs, idx, vals := s.RawCSR()
	k := float64(s.cols)
	bound := make([]float64, b.cols)
	for i := range got.rows {
		clear(bound)
		for p := offs[i]; p < offs[i+1]; p++ {
			v := math.Abs(float64(vals[p]))
			for j, x := range b.Row(int(idx[p])) {
				bound[j] += v * math.Abs(float64(x))
			}
		}
		g, w := got.Row(i), want.Row(i)
		for j := range g {
			tol := (k+2)*0x1p-23*bound[j] + abs
			if d := math.Abs(float64(g[j]) - float64(w[j])); !(d <= tol) {
				t.Fatalf("(%d, %d) = %g, want %g ± %g", i, j, g[j], w[j], tol)
			}
		}
	}
}

func TestMulSparse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{ // m, k, n
		{1, 1, 1}, {7, 13, 5}, {3, 17, 8}, {10, 30, 16}, {11, 12, 104},
		{33, 50, 105}, {20, 40, 113}, {5, 9, 200}, {64, 784, 196}, {130, 97, 131},
	}
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		for _, density := range []float64{0, 0.05, 0.5, 1} {
			t.Run(fmt.Sprintf("%dx%dx%d/density=%g", m, k, n, density), func(t *testing.T) {
				s := NewCSR(sparseDense(rng, m, k, density, false))
				b, _ := view(rng, k, n)
				var want Dense
				want.Mul(s.Dense(), b)

				var got Dense
				got.MulSparse(s, b)
				if got.Stride() != n {
					t.Fatalf("allocated receiver has stride %d", got.Stride())
				}
				checkProduct(t, &got, s, b, &want, 0)

				// A reused, padded receiver; a second product overwrites it.
				v, parent := view(rng, m, n)
				v.MulSparse(s, b)
				checkProduct(t, v, s, b, &want, 0)
				v.MulSparse(s, b)
				checkProduct(t, v, s, b, &want, 0)
				checkFrame(t, parent, m, n)
			})
		}
	}
}

func TestMulSparseEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const m, k, n = 37, 60, 113
	s := NewCSR(sparseDense(rng, m, k, 0.2, true))
	b := randDense(rng, k, n)
	for _, act := range []kernels.Activation{kernels.ActIdentity, kernels.ActSigmoid, kernels.ActTanh, kernels.ActReLU} {
		for _, perRow := range []bool{false, true} {
			t.Run(fmt.Sprintf("act=%v/perRow=%v", act, perRow), func(t *testing.T) {
				bias := randDense(rng, 1, n).data
				if perRow {
					bias = randDense(rng, 1, m).data
				}
				ep := kernels.Epilogue{Bias: bias, BiasPerRow: perRow, Act: act}
				var want Dense
				want.MulEpilogue(s.Dense(), b, ep)
				v, parent := view(rng, m, n)
				v.MulSparseEpilogue(s, b, ep)
				checkProduct(t, v, s, b, &want, 1e-6)
				checkFrame(t, parent, m, n)
			})
		}
	}
}

func TestMulSparsePanics(t *testing.T) {
	s := NewCSR(NewDense(2, 3, []float32{1, 0, 2, 0, 3, 0}))
	b := NewDense(3, 4, nil)
	mustPanic(t, "mat32: MulSparse: inner dimensions differ: 2×3 (sparse) · 2×3", func() { new(Dense).MulSparse(s, NewDense(2, 3, nil)) })
	mustPanic(t, "mat32: MulSparse: receiver is 2×3, need 2×4 for operands 2×3 (sparse) and 3×4", func() { NewDense(2, 3, nil).MulSparse(s, b) })
	sq := NewDense(3, 3, nil)
	s3 := NewCSR(NewDense(3, 3, []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}))
	mustPanic(t, "mat32: MulSparse: the receiver shares memory with an operand", func() { sq.MulSparse(s3, sq) })
	mustPanic(t, "mat32: MulSparse: the receiver shares memory with an operand", func() { sq.Slice(0, 3, 1, 3).MulSparse(s3, sq.Slice(0, 3, 0, 2)) })
	c := NewDense(2, 4, nil)
	onC, err := NewCSRFrom(2, 3, []int{0, 1, 2}, []int32{0, 2}, c.data[6:8])
	if err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "mat32: MulSparse: the receiver shares memory with an operand", func() { c.MulSparse(onC, b) })
	mustPanic(t, "mat32: MulSparseEpilogue: the bias shares memory with the receiver", func() {
		c.MulSparseEpilogue(s, b, kernels.Epilogue{Bias: c.data[:4]})
	})
	mustPanic(t, "kernels: len(bias) = 3, need 4", func() {
		c.MulSparseEpilogue(s, b, kernels.Epilogue{Bias: make([]float32, 3)})
	})
	var none CSR
	mustPanic(t, "mat32: MulSparse: a 0×3 (sparse) operand gives a product with no rows", func() {
		s.GatherRows(&none, nil)
		new(Dense).MulSparse(&none, b)
	})
	// Views of one buffer that share no element are fine.
	buf := NewDense(3, 8, nil)
	noPanic(t, func() { buf.Slice(0, 3, 4, 8).MulSparse(s3, buf.Slice(0, 3, 0, 4)) })
}

// FuzzCSR turns bytes into a small matrix, possibly a padded view, with
// zeros, -0, NaN, ±Inf and ordinary values, and checks the round trip to
// Dense, that transposing twice is the identity, TransposeInto and
// GatherRows into used destinations, and that NewCSRFrom accepts a
// perturbed copy of the arrays exactly when it is valid, after which every
// method works on it.
func FuzzCSR(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 4, 1, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Add([]byte{7, 11, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Add([]byte{1, 0, 0, 5, 6, 7, 3, 2, 1, 0, 200, 3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytesIn(data)
		rows, cols, pad := 1+in.n(8), 1+in.n(12), in.n(3)
		parent := NewDense(rows, cols+pad, nil)
		d := parent.Slice(0, rows, 0, cols)
		for i := range rows {
			for j := range cols {
				var v float32
				switch in.n(10) {
				case 5:
					v = float32(math.Copysign(0, -1))
				case 6:
					v = math.Float32frombits(0x7fc00000 | uint32(in.n(256)))
				case 7:
					v = float32(math.Inf(1 - 2*in.n(2)))
				case 8, 9:
					v = float32(in.n(256)-128) / 8
				}
				d.Set(i, j, v)
			}
		}
		s := NewCSR(d)
		checkCSR(t, s, rows, cols)
		if s.NNZ() != nonzeros(d) {
			t.Fatalf("NNZ() = %d, want %d", s.NNZ(), nonzeros(d))
		}
		back := s.Dense()
		for i := range rows {
			want := slices.Clone(d.Row(i))
			for j, v := range want {
				if v == 0 {
					want[j] = 0 // -0 comes back as +0
				}
			}
			if !sameBits(back.Row(i), want) {
				t.Fatalf("row %d: Dense(NewCSR(d)) = %v, want %v", i, back.Row(i), want)
			}
		}

		tr := s.T()
		checkCSR(t, tr, cols, rows)
		for i := range cols {
			for j := range rows {
				if math.Float32bits(tr.Dense().At(i, j)) != math.Float32bits(back.At(j, i)) {
					t.Fatalf("T() at (%d, %d) differs from the transpose", i, j)
				}
			}
		}
		if !sameCSR(tr.T(), s) {
			t.Fatal("T().T() differs from s")
		}
		used := NewCSR(randDense(rand.New(rand.NewPCG(uint64(len(data)), 1)), 1+in.n(5), 1+in.n(9)))
		s.TransposeInto(used)
		if !sameCSR(used, tr) {
			t.Fatal("TransposeInto a used dst differs from T()")
		}

		list := make([]int, in.n(10))
		for k := range list {
			list[k] = in.n(rows)
		}
		s.GatherRows(used, list)
		checkCSR(t, used, len(list), cols)
		offs, idx, vals := s.RawCSR()
		gOffs, gIdx, gVals := used.RawCSR()
		for k, r := range list {
			a, b := offs[r], offs[r+1]
			ga, gb := gOffs[k], gOffs[k+1]
			if !slices.Equal(gIdx[ga:gb], idx[a:b]) || !sameBits(gVals[ga:gb], vals[a:b]) {
				t.Fatalf("GatherRows(%v): row %d differs from row %d of s", list, k, r)
			}
		}

		// Perturb a copy of the arrays and compare NewCSRFrom's verdict
		// with a plain reading of the rules.
		pOffs, pIdx, pVals := slices.Clone(offs), slices.Clone(idx), slices.Clone(vals)
		pRows, pCols := rows, cols
		delta := in.n(5) - 2
		switch in.n(7) {
		case 0:
			pOffs[in.n(len(pOffs))] += delta
		case 1:
			if len(pIdx) > 0 {
				pIdx[in.n(len(pIdx))] += int32(delta)
			}
		case 2:
			pRows += delta
		case 3:
			pCols += delta
		case 4:
			pVals = pVals[:max(0, len(pVals)-in.n(2))]
		case 5:
			if len(pIdx) > 0 {
				k := in.n(len(pIdx))
				pIdx[k] = pIdx[(k+1)%len(pIdx)]
			}
		}
		p, err := NewCSRFrom(pRows, pCols, pOffs, pIdx, pVals)
		if valid := validCSR(pRows, pCols, pOffs, pIdx, pVals); valid != (err == nil) {
			t.Fatalf("NewCSRFrom(%d, %d, %v, %v, %d values): error %v, valid %v", pRows, pCols, pOffs, pIdx, len(pVals), err, valid)
		}
		if err != nil {
			return
		}
		if pRows > 0 && pCols > 0 {
			p.Dense()
		}
		if !sameCSR(p.T().T(), p) {
			t.Fatal("T().T() of a NewCSRFrom matrix differs from it")
		}
		if pRows > 0 {
			p.GatherRows(used, []int{pRows - 1, 0})
		}
	})
}

// validCSR reads the rules of NewCSRFrom plainly: every element's position
// in row i lies in [offs[i], offs[i+1]), and each pair of neighbours in a
// row has increasing columns.
func validCSR(rows, cols int, offs []int, idx []int32, vals []float32) bool {
	if rows < 0 || cols < 0 || len(offs) != rows+1 || len(idx) != len(vals) || offs[0] != 0 || offs[rows] != len(idx) {
		return false
	}
	for i := range rows {
		if offs[i] > offs[i+1] {
			return false
		}
	}
	for i := range rows {
		for p := offs[i]; p < offs[i+1]; p++ {
			if idx[p] < 0 || int64(idx[p]) >= int64(cols) || p > offs[i] && idx[p-1] >= idx[p] {
				return false
			}
		}
	}
	return true
}

// BenchmarkCSR times NewCSR, TransposeInto and GatherRows (all rows,
// shuffled) on a random 11272×784 matrix of density 0.208, the MNIST 5-vs-8
// training set's shape and density.
func BenchmarkCSR(b *testing.B) {
	const rows, cols, density = 11272, 784, 0.208
	rng := rand.New(rand.NewPCG(11, 12))
	d := NewDense(rows, cols, nil)
	for i := range d.data {
		if rng.Float64() < density {
			d.data[i] = rng.Float32() + 0.01
		}
	}
	s := NewCSR(d)
	b.Run("op=new", func(b *testing.B) {
		for b.Loop() {
			NewCSR(d)
		}
	})
	b.Run("op=transpose", func(b *testing.B) {
		var t CSR
		for b.Loop() {
			s.TransposeInto(&t)
		}
	})
	b.Run("op=gather", func(b *testing.B) {
		perm := rng.Perm(rows)
		var g CSR
		for b.Loop() {
			s.GatherRows(&g, perm)
		}
	})
}

// TestDensity checks Dense.Density against NewCSR's count, on a view.
func TestDensity(t *testing.T) {
	d := NewDense(3, 4, []float32{0, 1, 0, 2, float32(math.NaN()), 0, 0, 0, 3, 0, 0, 4})
	v := d.Slice(0, 3, 1, 4) // 1 0 2 / 0 0 0 / 0 0 4
	if got, want := v.Density(), 3.0/9; got != want {
		t.Errorf("Density = %v, want %v", got, want)
	}
	if got, want := d.Density(), float64(NewCSR(d).NNZ())/12; got != want {
		t.Errorf("Density = %v, NewCSR keeps %v", got, want)
	}
	if got := new(Dense).Density(); got != 0 {
		t.Errorf("empty: Density = %v", got)
	}
}

// TestCSRParallel checks that NewCSR, TransposeInto and GatherRows give
// the same CSR on 1 to 4 threads, on matrices large enough to split: one
// with empty rows and columns, one with a single dense row among empty
// ones (a block of rows with all the nonzeros, and blocks with none), and
// gathers with repeats.
func TestCSRParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	sparse := NewDense(700, 300, nil)
	for i := range 700 {
		if i%7 == 3 {
			continue // an empty row
		}
		for j := range 300 {
			if j%11 != 5 && rng.Float64() < 0.3 { // columns 5, 16, … empty
				sparse.Set(i, j, rng.Float32()+0.5)
			}
		}
	}
	lopsided := NewDense(50, 40000, nil)
	for j := range 40000 {
		lopsided.Set(17, j, float32(j+1))
	}
	// Two blocks of NewCSR's, the first ending in empty rows: the slots
	// after its one row's nonzeros, which kernels.CompressNonzero may
	// write, are the second block's first.
	edge := NewDense(8, 20000, nil)
	for j := 0; j < 19999; j += 2 { // the row ends in a zero
		edge.Set(0, j, float32(j+1))
	}
	for i := 4; i < 8; i++ {
		for j := 1; j < 20000; j += 3 {
			edge.Set(i, j, float32(i))
		}
	}
	rows := make([]int, 900)
	for k := range rows {
		rows[k] = rng.IntN(700)
	}
	defer kernels.SetThreads(kernels.SetThreads(1))
	for _, d := range []*Dense{sparse, lopsided, edge} {
		s := NewCSR(d)
		if s.NNZ() < 2*csrParallelNNZ {
			t.Fatalf("%d nonzeros: too few to split", s.NNZ())
		}
		gathered := rows
		switch d {
		case lopsided:
			gathered = []int{17, 3, 17, 17, 0, 49}
		case edge:
			gathered = []int{7, 3, 0, 0, 4}
		}
		kernels.SetThreads(1)
		wantN := NewCSR(d)
		var wantT, wantG CSR
		s.TransposeInto(&wantT)
		s.GatherRows(&wantG, gathered)
		for _, threads := range []int{2, 3, 4} {
			kernels.SetThreads(threads)
			for range 20 { // blocks that overwrite each other's slots may do so in either order
				if got := NewCSR(d); !sameCSR(got, wantN) {
					t.Fatalf("%d threads: NewCSR of a %d×%d matrix differs from one thread's", threads, s.rows, s.cols)
				}
			}
			var gotT, gotG CSR
			for range 2 { // into fresh buffers, then reused ones
				s.TransposeInto(&gotT)
				s.GatherRows(&gotG, gathered)
				for _, c := range []struct {
					what      string
					got, want *CSR
				}{{"TransposeInto", &gotT, &wantT}, {"GatherRows", &gotG, &wantG}} {
					r, k := c.got.Dims()
					wr, wk := c.want.Dims()
					if r != wr || k != wk || !slices.Equal(c.got.offs, c.want.offs) || !slices.Equal(c.got.idx, c.want.idx) || !slices.Equal(c.got.vals, c.want.vals) {
						t.Fatalf("%d threads: %s of a %d×%d matrix differs from one thread's", threads, c.what, s.rows, s.cols)
					}
				}
			}
		}
	}
}
