package kernels_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gofma/gofma/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemmBenchShapes is a copy of the table in ../bench/shapes.go (package
// bench imports kernels, so kernels' tests cannot import it): the MNIST
// shapes of DESIGN.md, row-major, and NN squares.
var sgemmBenchShapes = []struct {
	name    string
	m, n, k int
	ta, tb  bool
}{
	{"fwd196x11272x784_NT", 196, 11272, 784, false, true}, // W · Xᵀ
	{"fwd11272x196x784_NT", 11272, 196, 784, false, true}, // X · Wᵀ
	{"dW196x784x11272_NN", 196, 784, 11272, false, false}, // dZ · X
	{"dW784x196x11272_TN", 784, 196, 11272, true, false},  // Xᵀ · dZ
	{"sq64_NN", 64, 64, 64, false, false},
	{"sq256_NN", 256, 256, 256, false, false},
	{"sq1024_NN", 1024, 1024, 1024, false, false},
}

// BenchmarkSgemm compares the implementations of this machine (avx2,
// generic) and gonum's pure-Go Sgemm on the shapes above, side by side:
// BenchmarkSgemm/shape=NAME/impl=IMPL/threads=N, in GFLOP/s. The bench
// package runs the same comparison with OpenBLAS too.
func BenchmarkSgemm(b *testing.B) {
	type impl struct {
		name       string
		sgemm      func(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
		setThreads func(int) int
		threads    []int
	}
	var impls []impl
	for _, im := range kernels.Impls() {
		threads := []int{1}
		if im.Name() != "generic" {
			threads = []int{1, 2}
		}
		impls = append(impls, impl{im.Name(), im.Sgemm, kernels.SetThreads, threads})
	}
	// gonum splits large products over GOMAXPROCS goroutines.
	impls = append(impls, impl{"gonum", gonumSgemm, runtime.GOMAXPROCS, []int{1}})

	for _, s := range sgemmBenchShapes {
		b.Run("shape="+s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(s.m*s.n*s.k)))
			lda, ldb := s.k, s.n
			if s.ta {
				lda = s.m
			}
			if s.tb {
				ldb = s.k
			}
			a, bm, c := randFloats(s.m*s.k, rng), randFloats(s.k*s.n, rng), randFloats(s.m*s.n, rng)
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			for _, im := range impls {
				b.Run("impl="+im.name, func(b *testing.B) {
					for _, t := range im.threads {
						b.Run(fmt.Sprintf("threads=%d", t), func(b *testing.B) {
							if p := runtime.GOMAXPROCS(0); t > p {
								b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", t, t, p)
							}
							defer im.setThreads(im.setThreads(t))
							n := 0
							for b.Loop() {
								im.sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
								n++
							}
							b.ReportMetric(flops*float64(n)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
						})
					}
				})
			}
		})
	}
}

func gonumSgemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if ta {
		tA = blas.Trans
	}
	if tb {
		tB = blas.Trans
	}
	gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// randFloats returns n values uniform in [-1, 1).
func randFloats(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}
