package mat32

import (
	"fmt"

	"github.com/gofma/gofma/kernels"
)

// Add sets m = a + b.
func (m *Dense) Add(a, b *Dense) {
	m.binary("Add", a, b, func(dst, x, y []float32) {
		if same(dst, y) {
			x, y = y, x
		}
		copyRow(dst, x)
		kernels.Axpy(1, y, dst)
	})
}

// Sub sets m = a − b.
func (m *Dense) Sub(a, b *Dense) {
	m.binary("Sub", a, b, func(dst, x, y []float32) {
		if same(dst, y) && !same(dst, x) { // dst = x − dst
			kernels.Scale(-1, dst)
			kernels.Axpy(1, x, dst)
			return
		}
		copyRow(dst, x)
		kernels.Axpy(-1, y, dst)
	})
}

// MulElem sets m = a ⊙ b, the elementwise product.
func (m *Dense) MulElem(a, b *Dense) {
	m.binary("MulElem", a, b, kernels.Mul)
}

// Scale sets m = f·a; a may overlap m (see the package doc).
func (m *Dense) Scale(f float32, a *Dense) {
	m.reuseAs(a.rows, a.cols, "Scale", a)
	a, backward := m.source(a)
	for k := range a.rows {
		i := rowIndex(k, a.rows, backward)
		dst := m.Row(i)
		copyRow(dst, a.Row(i))
		kernels.Scale(f, dst)
	}
}

// Apply sets m[i][j] = fn(i, j, a[i][j]), calling fn once per element in
// an unspecified order; a may overlap m (see the package doc).
func (m *Dense) Apply(fn func(i, j int, v float32) float32, a *Dense) {
	m.reuseAs(a.rows, a.cols, "Apply", a)
	a, backward := m.source(a)
	for k := range a.rows {
		i := rowIndex(k, a.rows, backward)
		dst, src := m.Row(i), a.Row(i)
		if backward {
			for j := len(src) - 1; j >= 0; j-- {
				dst[j] = fn(i, j, src[j])
			}
			continue
		}
		for j, v := range src {
			dst[j] = fn(i, j, v)
		}
	}
}

// RowSums returns the sums of a's rows in dst (allocated when nil; else it
// must have one element per row and share none with a).
func RowSums(dst []float32, a *Dense) []float32 {
	dst = sumsDst(dst, a, a.rows, "RowSums", "row")
	if a.stride == a.cols {
		kernels.RowSums(dst, a.data[:a.rows*a.cols], a.rows, a.cols)
		return dst
	}
	for i := 0; i < a.rows; i++ {
		kernels.RowSums(dst[i:i+1], a.Row(i), 1, a.cols)
	}
	return dst
}

// ColSums returns the sums of a's columns in dst (allocated when nil; else
// it must have one element per column and share none with a).
func ColSums(dst []float32, a *Dense) []float32 {
	dst = sumsDst(dst, a, a.cols, "ColSums", "column")
	if a.stride == a.cols {
		kernels.ColSums(dst, a.data[:a.rows*a.cols], a.rows, a.cols)
		return dst
	}
	clear(dst)
	for i := 0; i < a.rows; i++ {
		kernels.Axpy(1, a.Row(i), dst)
	}
	return dst
}

// sumsDst returns dst for the n sums of a, allocated when nil, after
// checking its length and that it shares no element with a.
func sumsDst(dst []float32, a *Dense, n int, op, per string) []float32 {
	if dst == nil {
		return make([]float32, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("mat32: %s: len(dst) = %d, need %d (one per %s)", op, len(dst), n, per))
	}
	if sharesSlice(dst, a) {
		panic(fmt.Sprintf("mat32: %s: dst shares memory with a", op))
	}
	return dst
}

// binary applies f row by row to m = op(a, b) after checking the shapes. m
// may be a or b itself, but share no other element with them.
func (m *Dense) binary(op string, a, b *Dense, f func(dst, x, y []float32)) {
	if a.rows != b.rows || a.cols != b.cols {
		panic(fmt.Sprintf("mat32: %s: shapes differ: %s and %s", op, shape(a), shape(b)))
	}
	m.reuseAs(a.rows, a.cols, op, a, b)
	for _, x := range []*Dense{a, b} {
		if !identical(m, x) && shares(m, x) {
			panic(fmt.Sprintf("mat32: %s: the receiver partly overlaps an operand", op))
		}
	}
	for i := 0; i < a.rows; i++ {
		f(m.Row(i), a.Row(i), b.Row(i))
	}
}

// copyRow copies src to dst unless they are the same row.
func copyRow(dst, src []float32) {
	if !same(dst, src) {
		copy(dst, src)
	}
}

// same reports whether x and y start at the same element.
func same(x, y []float32) bool { return len(x) > 0 && len(y) > 0 && &x[0] == &y[0] }
