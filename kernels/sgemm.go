package kernels

import (
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// where op(X) is X, or Xᵀ when the matching trans flag is true; C is m×n,
// op(A) is m×k and op(B) is k×n. It runs on Default().
//
// As in BLAS, beta == 0 overwrites C without reading it, alpha == 0 or
// k == 0 only scales C by beta, and m == 0 or n == 0 does nothing. Leading
// dimensions may exceed the row lengths. A or B may share memory with C
// (unlike BLAS): such an operand is copied before C is written, so the
// result is that of distinct matrices. Bad arguments panic with a message
// that names them.
func Sgemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	current.Load().Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm is the package-level Sgemm on this implementation.
func (im *Impl) Sgemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	im.product(transA, transB, m, n, k, alpha, a, lda, nil, b, ldb, nil, beta, c, ldc, nil)
}

// product is what Sgemm, SgemmEpilogue and SgemmPacked run: it checks the
// arguments, then computes C = act(alpha·op(A)·op(B) + beta·C + bias) with
// the epilogue ep (nil: none), taking op(A) from the panels of pa and op(B)
// from those of pb where they are not nil (a and b are then their
// sources), on the external Sgemm when im has one.
func (im *Impl) product(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, pa *Packed,
	b []float32, ldb int, pb *Packed, beta float32, c []float32, ldc int, ep *Epilogue) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if ep != nil {
		ep.check(m, n)
		if ep.Bias == nil && ep.Act == ActIdentity {
			ep = nil // nothing to apply
		}
	}
	if m == 0 || n == 0 {
		return
	}
	if alpha != 0 && k != 0 {
		// An operand that shares memory with C is copied first: C is
		// written block by block while op(A) and op(B) are still read.
		ar, ac, br, bc := shapes(transA, transB, m, n, k)
		if pa == nil {
			a, lda = apart(a, ar, ac, lda, c, m, n, ldc)
		}
		if pb == nil {
			b, ldb = apart(b, br, bc, ldb, c, m, n, ldc)
		}
	}
	if ep != nil && overlaps(ep.Bias, 1, len(ep.Bias), 0, c, m, n, ldc) {
		e := *ep
		e.Bias = slices.Clone(ep.Bias)
		ep = &e
	}
	if im.ext != nil {
		im.extSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
		return
	}
	g := newGemm(im, transA, transB, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
	g.pa, g.pb = pa, pb
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		if g.ep != nil {
			g.finish(0, m, 0, n)
		}
	} else if m == 1 && !transA && transB && pa == nil && pb == nil && im.gemv != nil && n >= 8 {
		g.gemvRow(n)
	} else if n == 1 && !transA && pa == nil && pb == nil && im.gemv != nil && m >= 8 {
		g.column = true
		g.run(m, n)
	} else {
		g.run(m, n)
	}
	freeGemm(g)
}

// apart returns x and ld, or a compact copy of x's rows×cols matrix (and
// its leading dimension) when the matrix shares memory with C's m×n span.
func apart(x []float32, rows, cols, ld int, c []float32, m, n, ldc int) ([]float32, int) {
	if !overlaps(x, rows, cols, ld, c, m, n, ldc) {
		return x, ld
	}
	y := make([]float32, rows*cols)
	for i := range rows {
		copy(y[i*cols:(i+1)*cols], x[i*ld:i*ld+cols])
	}
	return y, cols
}

// overlaps reports whether the memory spans of x's rows×cols matrix and
// y's m×n matrix (leading dimensions ldx, ldy) share an address. Spans are
// first to last element, so two matrices that interleave without sharing
// an element count as overlapping, which costs only a copy.
func overlaps(x []float32, rows, cols, ldx int, y []float32, m, n, ldy int) bool {
	if rows == 0 || cols == 0 || m == 0 || n == 0 {
		return false
	}
	x0 := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	y0 := uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	x1 := x0 + uintptr((rows-1)*ldx+cols)*4 // one past the last element
	y1 := y0 + uintptr((m-1)*ldy+n)*4
	return x0 < y1 && y0 < x1
}

// checkSgemm panics unless the slices hold the matrices the sizes describe.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	nonNegative("m", m)
	nonNegative("n", n)
	nonNegative("k", k)
	ar, ac, br, bc := shapes(transA, transB, m, n, k)
	checkMatrix("a", ar, ac, a, lda)
	checkMatrix("b", br, bc, b, ldb)
	checkMatrix("c", m, n, c, ldc)
}

// shapes returns the rows and columns of A and B as stored for a product
// of op(A), m×k, and op(B), k×n.
func shapes(transA, transB bool, m, n, k int) (ar, ac, br, bc int) {
	ar, ac, br, bc = m, k, k, n
	if transA {
		ar, ac = k, m
	}
	if transB {
		br, bc = n, k
	}
	return ar, ac, br, bc
}

// checkMatrix panics unless x holds a rows×cols row-major matrix with
// leading dimension ld (ld ≥ max(1, cols)).
func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: ld%s = %d, need at least %d", name, ld, max(1, cols)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if rows > 1 && ld > (math.MaxInt-cols)/(rows-1) {
		panic(fmt.Sprintf("kernels: ld%s = %d, too large for %d rows", name, ld, rows))
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need at least %d", name, len(x), need))
	}
}

// holds reports whether a slice of length n holds a rows×cols matrix with
// row stride ld ≥ cols, without overflowing int.
func holds(n, rows, cols, ld int) bool {
	if rows <= 0 || cols <= 0 {
		return true
	}
	if n < cols {
		return false
	}
	return rows == 1 || ld <= (n-cols)/(rows-1)
}

// scaleMatrix sets C = beta*C; beta == 0 writes zeros without reading C.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
