package kernels

import (
	"fmt"
	"math"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// where op(X) is X, or Xᵀ when the matching trans flag is true; C is m×n,
// op(A) is m×k and op(B) is k×n. It runs on Default().
//
// As in BLAS, beta == 0 overwrites C without reading it, alpha == 0 or
// k == 0 only scales C by beta, and m == 0 or n == 0 does nothing. Leading
// dimensions may exceed the row lengths. Bad arguments panic with a message
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
	} else {
		g.run(m, n)
	}
	freeGemm(g)
}

// checkSgemm panics unless the slices hold the matrices the sizes describe.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	nonNegative("m", m)
	nonNegative("n", n)
	nonNegative("k", k)
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("a", ar, ac, a, lda)
	checkMatrix("b", br, bc, b, ldb)
	checkMatrix("c", m, n, c, ldc)
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
