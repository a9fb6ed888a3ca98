package mat32

import (
	"fmt"
	"math"
	"math/bits"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/gofma/gofma/kernels"
)

// FromGonum returns a new float32 copy of the float64 matrix a.
func FromGonum(a *mat.Dense) *Dense {
	r, c := a.Dims()
	m := NewDense(r, c, nil)
	raw := a.RawMatrix()
	for i := 0; i < r; i++ {
		src := raw.Data[i*raw.Stride : i*raw.Stride+c]
		dst := m.Row(i)
		for j, v := range src {
			dst[j] = float32(v)
		}
	}
	return m
}

// ToGonum returns a new float64 copy of m as a gonum *mat.Dense.
func (m *Dense) ToGonum() *mat.Dense {
	d := make([]float64, m.rows*m.cols)
	for i := 0; i < m.rows; i++ {
		for j, v := range m.Row(i) {
			d[i*m.cols+j] = float64(v)
		}
	}
	return mat.NewDense(m.rows, m.cols, d)
}

// RawMatrix returns m as a blas32.General that shares its memory.
func (m *Dense) RawMatrix() blas32.General {
	return blas32.General{Rows: m.rows, Cols: m.cols, Stride: m.stride, Data: m.data}
}

// NewDenseGeneral returns a Dense on g's memory; g must describe a valid
// non-empty matrix.
func NewDenseGeneral(g blas32.General) *Dense {
	if g.Rows <= 0 || g.Cols <= 0 || g.Stride < g.Cols {
		panic(fmt.Sprintf("mat32: NewDenseGeneral: %d×%d with stride %d is not a valid matrix", g.Rows, g.Cols, g.Stride))
	}
	if !fitsInt(g.Rows, g.Cols, g.Stride) {
		panic(fmt.Sprintf("mat32: NewDenseGeneral: stride %d too large for %d×%d: the matrix spans more than MaxInt elements",
			g.Stride, g.Rows, g.Cols))
	}
	if need := (g.Rows-1)*g.Stride + g.Cols; len(g.Data) < need {
		panic(fmt.Sprintf("mat32: NewDenseGeneral: len(Data) = %d, need at least %d for %d×%d with stride %d",
			len(g.Data), need, g.Rows, g.Cols, g.Stride))
	}
	return &Dense{rows: g.Rows, cols: g.Cols, stride: g.Stride, data: g.Data[:(g.Rows-1)*g.Stride+g.Cols]}
}

// BLAS implements gonum's blas.Float32 on gofma's kernels: Sgemm runs on
// kernels.Sgemm; Sger and the transposed Sgemv on kernels.Axpy (a strided
// y on a plain loop); Saxpy and Sscal with unit strides on kernels.Axpy and
// kernels.Scale; every other routine and call is gonum's own (the embedded
// gonum.Implementation). After blas32.Use(mat32.BLAS{}), gonum's blas32
// calls run here.
//
// Saxpy, Sscal, Sger and Sgemv panic, naming the increment or leading
// dimension, when a vector's or matrix's extent, (n-1)·|inc|+1 or
// (m-1)·lda+n, overflows int: gonum's own checks wrap around and let the
// call reach the wrong elements. Sgemm's checks are kernels.Sgemm's. As in
// reference BLAS, an output must not overlap an input.
type BLAS struct{ gonum.Implementation }

var _ blas.Float32 = BLAS{}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C (row-major) on
// kernels.Sgemm.
func (BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kernels.Sgemm(trans(tA, "tA"), trans(tB, "tB"), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Saxpy computes y += alpha·x; unit strides run on kernels.Axpy.
func (impl BLAS) Saxpy(n int, alpha float32, x []float32, incX int, y []float32, incY int) {
	if incX == 1 && incY == 1 && n >= 0 && len(x) >= n && len(y) >= n {
		kernels.Axpy(alpha, x[:n], y[:n])
		return
	}
	checkVector("Saxpy", "incX", n, incX)
	checkVector("Saxpy", "incY", n, incY)
	impl.Implementation.Saxpy(n, alpha, x, incX, y, incY) // gonum's checks and strides
}

// Sscal computes x *= alpha; a unit stride runs on kernels.Scale.
func (impl BLAS) Sscal(n int, alpha float32, x []float32, incX int) {
	if incX == 1 && n >= 0 && len(x) >= n {
		kernels.Scale(alpha, x[:n])
		return
	}
	if incX > 0 { // gonum's Sscal does nothing for incX < 0
		checkVector("Sscal", "incX", n, incX)
	}
	impl.Implementation.Sscal(n, alpha, x, incX)
}

// Sger computes A += alpha·x·yᵀ: with unit strides row by row on
// kernels.Axpy; else on a plain loop, after gonum's argument checks (gonum's
// own assembly mishandles negative increments).
func (impl BLAS) Sger(m, n int, alpha float32, x []float32, incX int, y []float32, incY int, a []float32, lda int) {
	if incX == 1 && incY == 1 && m > 0 && n > 0 && lda >= n && len(x) >= m && len(y) >= n &&
		fitsInt(m, n, lda) && len(a) >= (m-1)*lda+n {
		for i := 0; i < m; i++ {
			if f := alpha * x[i]; f != 0 {
				kernels.Axpy(f, y[:n], a[i*lda:i*lda+n])
			}
		}
		return
	}
	if m > 0 && n > 0 { // else gonum returns, touching nothing
		checkVector("Sger", "incX", m, incX)
		checkVector("Sger", "incY", n, incY)
		checkGeneral("Sger", m, n, lda)
	}
	impl.Implementation.Sger(m, n, 0, x, incX, y, incY, a, lda) // with alpha = 0, it only checks
	if m == 0 || n == 0 || alpha == 0 {
		return
	}
	ix, iy := first(m, incX), first(n, incY)
	for i := 0; i < m; i++ {
		if f := alpha * x[ix+i*incX]; f != 0 {
			row := a[i*lda : i*lda+n]
			for j := range row {
				row[j] += f * y[iy+j*incY]
			}
		}
	}
}

// Sgemv computes y = alpha·op(A)·x + beta·y. The transposed product runs
// here: with unit strides row by row on kernels.Axpy, y += alpha·x[i]·A[i];
// else on a plain loop, after gonum's argument checks (gonum's own clears
// all of y, not just its n elements, when beta = 0). The rest is gonum's.
func (impl BLAS) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	trans := tA == blas.Trans || tA == blas.ConjTrans
	if trans && incX == 1 && incY == 1 && m > 0 && n > 0 && lda >= n && len(x) >= m && len(y) >= n &&
		fitsInt(m, n, lda) && len(a) >= (m-1)*lda+n {
		y = y[:n]
		if beta == 0 {
			clear(y)
		} else if beta != 1 {
			kernels.Scale(beta, y)
		}
		for i := 0; i < m; i++ {
			if f := alpha * x[i]; f != 0 {
				kernels.Axpy(f, a[i*lda:i*lda+n], y)
			}
		}
		return
	}
	if m > 0 && n > 0 { // else gonum returns, touching nothing
		lenX, lenY := n, m
		if tA != blas.NoTrans {
			lenX, lenY = m, n
		}
		checkVector("Sgemv", "incX", lenX, incX)
		checkVector("Sgemv", "incY", lenY, incY)
		checkGeneral("Sgemv", m, n, lda)
	}
	if !trans {
		impl.Implementation.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
		return
	}
	impl.Implementation.Sgemv(tA, m, n, 0, a, lda, x, incX, 1, y, incY) // with alpha = 0, beta = 1, it only checks
	if m == 0 || n == 0 || alpha == 0 && beta == 1 {
		return
	}
	ix, iy := first(m, incX), first(n, incY)
	for j := 0; j < n; j++ {
		if beta == 0 {
			y[iy+j*incY] = 0
		} else {
			y[iy+j*incY] *= beta
		}
	}
	for i := 0; i < m; i++ {
		if f := alpha * x[ix+i*incX]; f != 0 {
			for j, v := range a[i*lda : i*lda+n] {
				y[iy+j*incY] += f * v
			}
		}
	}
}

// first returns the index of element 0 of n elements with increment inc:
// the last of them when inc < 0, as BLAS counts.
func first(n, inc int) int {
	if inc < 0 {
		return (1 - n) * inc
	}
	return 0
}

// checkVector panics if n elements with increment inc (≠ 0) would span
// more than MaxInt elements; every other error is left to gonum.
func checkVector(routine, name string, n, inc int) {
	if n > 1 && inc != 0 && !vectorFits(n, inc) {
		tooLarge(routine, name, inc, "n", n)
	}
}

// vectorFits reports whether (n-1)·|inc| + 1 fits in an int.
func vectorFits(n, inc int) bool {
	u := uint64(inc)
	if inc < 0 {
		u = -u // also right for math.MinInt
	}
	hi, lo := bits.Mul64(uint64(n-1), u)
	return hi == 0 && lo < math.MaxInt
}

// checkGeneral panics if an m×n matrix (m, n > 0) with leading dimension
// lda ≥ n would span more than MaxInt elements; every other error is left
// to gonum.
func checkGeneral(routine string, m, n, lda int) {
	if lda >= n && !fitsInt(m, n, lda) {
		tooLarge(routine, "lda", lda, "m", m)
	}
}

// tooLarge panics: the increment or leading dimension name = v is too large
// for size = k.
func tooLarge(routine, name string, v int, size string, k int) {
	panic(fmt.Sprintf("mat32: BLAS.%s: %s = %d, too large for %s = %d", routine, name, v, size, k))
}

// fitsInt reports whether (rows-1)·stride + cols, the extent of a rows×cols
// matrix (rows, cols > 0, stride ≥ cols), fits in an int.
func fitsInt(rows, cols, stride int) bool {
	hi, lo := bits.Mul64(uint64(rows-1), uint64(stride))
	return hi == 0 && lo <= uint64(math.MaxInt-cols)
}

// SgemmOf returns impl's Sgemm as a kernels.SgemmFunc (transpose flags
// true → blas.Trans), for kernels' WithSgemm, for example
// kernels.Default().WithSgemm("gonum", SgemmOf(gonum.Implementation{})).
// Not BLAS{}: its Sgemm calls kernels.Sgemm, which would call it again.
func SgemmOf(impl blas.Float32) kernels.SgemmFunc {
	return func(transA, transB bool, m, n, k int, alpha float32,
		a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		impl.Sgemm(blasTrans(transA), blasTrans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func trans(t blas.Transpose, name string) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic(fmt.Sprintf("mat32: BLAS: %s = %v is not a transpose", name, t))
}
