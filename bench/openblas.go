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

	"github.com/gofma/gofma/kernels"
)

func init() {
	openblas = &impl{name: "openblas", kernels: kernels.Impls()[0].WithSgemm("openblas", openBLAS),
		setThreads: openBLASSetThreads, threads: []int{1, 2}, about: openBLASConfig()}
}

// openBLAS runs cblas_sgemm(CblasRowMajor, ...) from the system's OpenBLAS.
// It runs only as the product of a kernels.Impl (WithSgemm), which checks
// that the slices hold the matrices before calling it (OpenBLAS does not
// know their lengths); it checks that the sizes fit OpenBLAS's 32-bit
// integers, and panics if not.
func openBLAS(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for _, d := range []struct {
		name string
		v    int
	}{{"m", m}, {"n", n}, {"k", k}, {"lda", lda}, {"ldb", ldb}, {"ldc", ldc}} {
		if d.v > math.MaxInt32 {
			panic(fmt.Sprintf("bench: %s = %d, more than OpenBLAS's %d", d.name, d.v, math.MaxInt32))
		}
	}
	C.cblas_sgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB),
		C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		ptr(a), C.blasint(lda), ptr(b), C.blasint(ldb), C.float(beta), ptr(c), C.blasint(ldc))
}

// openBLASSetThreads sets the threads OpenBLAS uses (openblas_set_num_threads)
// and returns the previous setting.
func openBLASSetThreads(n int) int {
	prev := int(C.openblas_get_num_threads())
	C.openblas_set_num_threads(C.int(max(n, 1)))
	return prev
}

// openBLASConfig describes the OpenBLAS library: its build configuration
// and the core it tuned for at run time.
func openBLASConfig() string {
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
