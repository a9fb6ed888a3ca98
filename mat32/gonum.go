package mat32

import (
	"fmt"

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
	if need := (g.Rows-1)*g.Stride + g.Cols; len(g.Data) < need {
		panic(fmt.Sprintf("mat32: NewDenseGeneral: len(Data) = %d, need at least %d for %d×%d with stride %d",
			len(g.Data), need, g.Rows, g.Cols, g.Stride))
	}
	return &Dense{rows: g.Rows, cols: g.Cols, stride: g.Stride, data: g.Data[:(g.Rows-1)*g.Stride+g.Cols]}
}

// BLAS implements gonum's blas.Float32 on gofma's kernels: Sgemm runs on
// kernels.Sgemm; Saxpy, Sscal, Sger and the transposed Sgemv, with unit
// strides, on the SIMD kernels (Axpy and Scale); every other routine, and
// every strided call, is gonum's own (the embedded gonum.Implementation).
// After blas32.Use(mat32.BLAS{}), gonum's blas32 calls run here.
type BLAS struct{ gonum.Implementation }

var _ blas.Float32 = BLAS{}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C (row-major) on
// kernels.Sgemm.
func (BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kernels.Sgemm(trans(tA, "tA"), trans(tB, "tB"), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Saxpy computes y += alpha·x; unit strides run on kernels.Axpy.
func (impl BLAS) Saxpy(n int, alpha float32, x []float32, incX int, y []float32, incY int) {
	if incX != 1 || incY != 1 || n < 0 || len(x) < n || len(y) < n {
		impl.Implementation.Saxpy(n, alpha, x, incX, y, incY) // gonum's checks and strides
		return
	}
	kernels.Axpy(alpha, x[:n], y[:n])
}

// Sscal computes x *= alpha; a unit stride runs on kernels.Scale.
func (impl BLAS) Sscal(n int, alpha float32, x []float32, incX int) {
	if incX != 1 || n < 0 || len(x) < n {
		impl.Implementation.Sscal(n, alpha, x, incX)
		return
	}
	kernels.Scale(alpha, x[:n])
}

// Sger computes A += alpha·x·yᵀ; with unit strides, row by row on
// kernels.Axpy.
func (impl BLAS) Sger(m, n int, alpha float32, x []float32, incX int, y []float32, incY int, a []float32, lda int) {
	if incX != 1 || incY != 1 || m <= 0 || n <= 0 || lda < n || len(x) < m || len(y) < n || len(a) < (m-1)*lda+n {
		impl.Implementation.Sger(m, n, alpha, x, incX, y, incY, a, lda) // gonum's checks and strides
		return
	}
	for i := 0; i < m; i++ {
		if f := alpha * x[i]; f != 0 {
			kernels.Axpy(f, y[:n], a[i*lda:i*lda+n])
		}
	}
}

// Sgemv computes y = alpha·op(A)·x + beta·y. The transposed product with
// unit strides runs row by row on kernels.Axpy (y += alpha·x[i]·A[i]); the
// rest is gonum's.
func (impl BLAS) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	if tA == blas.NoTrans || incX != 1 || incY != 1 || m <= 0 || n <= 0 || lda < n ||
		len(x) < m || len(y) < n || len(a) < (m-1)*lda+n || (tA != blas.Trans && tA != blas.ConjTrans) {
		impl.Implementation.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
		return
	}
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
