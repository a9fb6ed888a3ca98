// Package mat32 is a row-major float32 matrix on gofma's kernels: products
// run on the blocked, multi-threaded SGEMM (with fused bias and activation
// when asked), elementwise operations on the SIMD kernels. It meets gonum
// both ways: conversions to and from gonum's float64 *mat.Dense and its
// blas32.General, and BLAS, a gonum blas.Float32 implementation that routes
// gonum's float32 BLAS through the same kernels. CSR is a sparse matrix
// (compressed sparse row form) that Dense.MulSparse multiplies by a Dense.
//
// As in gonum's mat, a method's receiver is its destination; an empty
// receiver (the zero Dense) is allocated to the right shape, a non-empty one
// must have it. Shape mismatches and out-of-range indices panic with a
// message that gives the shapes.
//
// A receiver may be a view of the same memory as its operands. Copy, Scale
// and Apply accept any overlap and give the result as if the operand were
// read before the receiver is written (copying the operand first only when
// the two share elements at different strides). Add, Sub and MulElem
// accept a receiver that is an operand (the same view), the products none:
// a receiver that shares any other element with an operand panics. Views
// of one buffer that share no element, such as alternate columns, never
// count as overlapping.
package mat32

import (
	"fmt"
	"math"
)

// Dense is a row-major float32 matrix: element (i, j) is Data[i*Stride+j].
// Views made by Slice share their parent's memory and have Stride > Cols.
type Dense struct {
	rows, cols, stride int
	data               []float32
}

// Matrix is a matrix operand of a product: a *Dense, or the transpose of
// one (Dense.T), which products pass to SGEMM as a flag, never copying it.
type Matrix interface {
	// Dims returns the numbers of rows and columns.
	Dims() (r, c int)
	// At returns the element at row i, column j.
	At(i, j int) float32
	// T returns the transpose, a view that shares memory.
	T() Matrix
}

// Transpose is the transpose of a Dense, a view that shares its memory.
type Transpose struct{ Dense *Dense }

// Dims returns the numbers of rows and columns of the transpose.
func (t Transpose) Dims() (r, c int) { return t.Dense.cols, t.Dense.rows }

// At returns the element at row i, column j of the transpose.
func (t Transpose) At(i, j int) float32 { return t.Dense.At(j, i) }

// T returns the Dense itself.
func (t Transpose) T() Matrix { return t.Dense }

// NewDense returns an r×c matrix on data, which it uses, not copies; data
// must have r*c elements, or be nil for a new zero matrix. r and c must be
// positive, as in gonum's mat.NewDense.
func NewDense(r, c int, data []float32) *Dense {
	if r <= 0 || c <= 0 {
		panic(fmt.Sprintf("mat32: NewDense(%d, %d): dimensions must be positive", r, c))
	}
	if r > math.MaxInt/c {
		panic(fmt.Sprintf("mat32: NewDense(%d, %d): too large", r, c))
	}
	if data == nil {
		data = make([]float32, r*c)
	} else if len(data) != r*c {
		panic(fmt.Sprintf("mat32: NewDense(%d, %d): len(data) = %d, need %d", r, c, len(data), r*c))
	}
	return &Dense{rows: r, cols: c, stride: c, data: data}
}

// Dims returns the numbers of rows and columns.
func (m *Dense) Dims() (r, c int) { return m.rows, m.cols }

// Stride returns the distance in elements between the starts of two rows.
func (m *Dense) Stride() int { return m.stride }

// IsEmpty reports whether m is the zero Dense, which a method allocates.
func (m *Dense) IsEmpty() bool { return m.stride == 0 }

// At returns the element at row i, column j.
func (m *Dense) At(i, j int) float32 {
	m.checkIndex(i, j)
	return m.data[i*m.stride+j]
}

// Set sets the element at row i, column j to v.
func (m *Dense) Set(i, j int, v float32) {
	m.checkIndex(i, j)
	m.data[i*m.stride+j] = v
}

func (m *Dense) checkIndex(i, j int) {
	if uint(i) >= uint(m.rows) || uint(j) >= uint(m.cols) {
		panic(fmt.Sprintf("mat32: index (%d, %d) out of range for a %s matrix", i, j, shape(m)))
	}
}

// T returns the transpose of m, a view that shares its memory.
func (m *Dense) T() Matrix { return Transpose{m} }

// Row returns row i as a slice of m's memory.
func (m *Dense) Row(i int) []float32 {
	if uint(i) >= uint(m.rows) {
		panic(fmt.Sprintf("mat32: row %d out of range for a %s matrix", i, shape(m)))
	}
	return m.data[i*m.stride : i*m.stride+m.cols : i*m.stride+m.cols]
}

// Slice returns the view of rows [i0, i1) and columns [j0, j1) of m; it
// shares m's memory. The ranges must be within m and not empty.
func (m *Dense) Slice(i0, i1, j0, j1 int) *Dense {
	if i0 < 0 || i1 > m.rows || i0 >= i1 || j0 < 0 || j1 > m.cols || j0 >= j1 {
		panic(fmt.Sprintf("mat32: Slice(%d, %d, %d, %d) out of range for a %s matrix", i0, i1, j0, j1, shape(m)))
	}
	off := i0*m.stride + j0
	return &Dense{rows: i1 - i0, cols: j1 - j0, stride: m.stride,
		data: m.data[off : off+(i1-i0-1)*m.stride+(j1-j0)]}
}

// Copy copies a into m (an empty m is allocated); they must have one shape.
// a may overlap m: m gets a's elements as they were before the copy.
func (m *Dense) Copy(a *Dense) {
	m.reuseAs(a.rows, a.cols, "Copy", a)
	a, backward := m.source(a)
	for k := range a.rows {
		i := rowIndex(k, a.rows, backward)
		copy(m.Row(i), a.Row(i))
	}
}

// rowIndex returns the k-th of n rows, counted from the last when backward.
func rowIndex(k, n int, backward bool) int {
	if backward {
		return n - 1 - k
	}
	return k
}

// Clone returns a new, compact copy of m.
func (m *Dense) Clone() *Dense {
	var c Dense
	c.Copy(m)
	return &c
}

// Equal reports whether a and b have one shape and equal elements (NaN is
// equal to nothing, as with ==).
func Equal(a, b *Dense) bool {
	if a.rows != b.rows || a.cols != b.cols {
		return false
	}
	for i := 0; i < a.rows; i++ {
		ra, rb := a.Row(i), b.Row(i)
		for j := range ra {
			if ra[j] != rb[j] {
				return false
			}
		}
	}
	return true
}

// EqualApprox reports whether a and b have one shape and every pair of
// elements is within tol, absolutely or relative to the larger magnitude.
func EqualApprox(a, b *Dense, tol float32) bool {
	if a.rows != b.rows || a.cols != b.cols {
		return false
	}
	for i := 0; i < a.rows; i++ {
		ra, rb := a.Row(i), b.Row(i)
		for j := range ra {
			x, y := float64(ra[j]), float64(rb[j])
			d := math.Abs(x - y)
			if !(d <= float64(tol) || d <= float64(tol)*math.Max(math.Abs(x), math.Abs(y))) {
				return false
			}
		}
	}
	return true
}

// reuseAs allocates an empty m as r×c, or panics unless m is r×c; op names
// the operation for the message, operands give their shapes.
func (m *Dense) reuseAs(r, c int, op string, operands ...Matrix) {
	if m.IsEmpty() {
		*m = *NewDense(r, c, nil)
		return
	}
	if m.rows != r || m.cols != c {
		panic(fmt.Sprintf("mat32: %s: receiver is %s, need %d×%d for operands %s", op, shape(m), r, c, shapes(operands)))
	}
}

func shape(m Matrix) string {
	r, c := m.Dims()
	if _, ok := m.(Transpose); ok {
		return fmt.Sprintf("%d×%d (transposed)", r, c)
	}
	return fmt.Sprintf("%d×%d", r, c)
}

func shapes(ms []Matrix) string {
	s := ""
	for i, m := range ms {
		if i > 0 {
			s += " and "
		}
		s += shape(m)
	}
	return s
}
