//go:build openblas && cgo

package bench

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

func init() {
	openblas = &Impl{Name: "openblas", Sgemm: OpenBLAS, SetThreads: OpenBLASSetThreads,
		Threads: []int{1, 2}, About: OpenBLASConfig()}
}

// OpenBLAS runs cblas_sgemm(CblasRowMajor, ...) from the system's OpenBLAS.
// It checks the arguments as kernels.Sgemm does first, and panics on bad
// ones: OpenBLAS itself does not know the slices' lengths.
func OpenBLAS(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB),
		C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		ptr(a), C.blasint(lda), ptr(b), C.blasint(ldb), C.float(beta), ptr(c), C.blasint(ldc))
}

// OpenBLASSetThreads sets the threads OpenBLAS uses (openblas_set_num_threads)
// and returns the previous setting.
func OpenBLASSetThreads(n int) int {
	prev := int(C.openblas_get_num_threads())
	C.openblas_set_num_threads(C.int(max(n, 1)))
	return prev
}

// OpenBLASConfig describes the OpenBLAS library: its build configuration
// and the core it tuned for at run time.
func OpenBLASConfig() string {
	return fmt.Sprintf("%s core=%s", C.GoString(C.openblas_get_config()), C.GoString(C.openblas_get_corename()))
}

func cblasTrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// ptr returns the address of x's first element, nil for an empty slice.
func ptr(x []float32) *C.float {
	if len(x) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&x[0]))
}

// checkSgemm panics unless the sizes are valid, fit OpenBLAS's 32-bit
// integers, and the slices hold the matrices they describe.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for _, d := range []struct {
		name string
		v    int
	}{{"m", m}, {"n", n}, {"k", k}, {"lda", lda}, {"ldb", ldb}, {"ldc", ldc}} {
		if d.v < 0 || d.v > math.MaxInt32 {
			panic(fmt.Sprintf("bench: %s = %d, out of range [0, %d]", d.name, d.v, math.MaxInt32))
		}
	}
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

func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("bench: ld%s = %d, need at least %d", name, ld, max(1, cols)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("bench: len(%s) = %d, need at least %d", name, len(x), need))
	}
}
