package bench

import (
	"runtime"
	"runtime/debug"

	"github.com/gofma/gofma/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// SgemmFunc has kernels.Sgemm's signature and contract (row-major, BLAS
// semantics for alpha and beta, panics on bad arguments).
type SgemmFunc func(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// Impl is one SGEMM implementation under comparison.
type Impl struct {
	Name  string
	Sgemm SgemmFunc
	// SetThreads sets the threads the implementation uses and returns the
	// previous setting, for restoring it.
	SetThreads func(n int) int
	// Threads lists the thread counts worth benchmarking.
	Threads []int
	// About describes a baseline's build (version, configuration) for the
	// header of benchmark output; empty for gofma's own (see kernels.Info).
	About string
}

// Impls returns every implementation in this build: gofma's (kernels.Impls:
// avx2 where the CPU has it, generic), gonum, and openblas with the build
// tag openblas.
func Impls() []Impl {
	var impls []Impl
	for _, im := range kernels.Impls() {
		threads := []int{1}
		if im.Name() != "generic" { // the pure-Go twin is the slow reference
			threads = []int{1, 2}
		}
		impls = append(impls, Impl{Name: im.Name(), Sgemm: im.Sgemm, SetThreads: kernels.SetThreads, Threads: threads})
	}
	impls = append(impls, Impl{Name: "gonum", Sgemm: Gonum, SetThreads: runtime.GOMAXPROCS,
		Threads: []int{1}, About: "gonum.org/v1/gonum/blas/gonum " + moduleVersion("gonum.org/v1/gonum")})
	if openblas != nil {
		impls = append(impls, *openblas)
	}
	return impls
}

// openblas is set by openblas.go in builds with the openblas tag.
var openblas *Impl

// Gonum runs gonum's pure-Go Sgemm (gonum.org/v1/gonum/blas/gonum), which is
// row-major like kernels.Sgemm. It splits large products over GOMAXPROCS
// goroutines, so its Impl sets threads with runtime.GOMAXPROCS.
func Gonum(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(gonumTrans(transA), gonumTrans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// moduleVersion returns the version of module path from this binary's build
// information; test binaries have none, so it falls back to "(version as in
// go.mod)".
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				if m.Replace != nil {
					m = m.Replace
				}
				return m.Version
			}
		}
	}
	return "(version as in go.mod)"
}

func gonumTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Sgemm gives f the signature of gonum's blas.Float32 Sgemm, which is
// mlp.GEMM, so that a network can train on any implementation's product.
func (f SgemmFunc) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	f(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
