package mat32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gofma/gofma/kernels"
)

// recordSgemm is gonum's implementation, remembering its last Sgemm's
// transposes.
type recordSgemm struct {
	gonum.Implementation
	tA, tB *blas.Transpose
}

func (r recordSgemm) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	*r.tA, *r.tB = tA, tB
	r.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// TestSgemmOf checks that SgemmOf passes the transposes as blas.Trans and
// blas.NoTrans and every other argument unchanged: gonum's Sgemm through it,
// as the product of a kernels implementation (WithSgemm), agrees with
// kernels.Sgemm for all four transpose cases, with padded leading
// dimensions, alpha ≠ 1 and beta ≠ 0.
func TestSgemmOf(t *testing.T) {
	const m, n, k, alpha, beta = 7, 5, 9, 0.5, -2
	var tA, tB blas.Transpose
	ext := kernels.Default().WithSgemm("gonum", SgemmOf(recordSgemm{tA: &tA, tB: &tB}))
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			t.Run(fmt.Sprintf("transA=%t/transB=%t", ta, tb), func(t *testing.T) {
				ar, ac, br, bc := m, k, k, n
				if ta {
					ar, ac = k, m
				}
				if tb {
					br, bc = n, k
				}
				lda, ldb, ldc := ac+2, bc+3, n+1
				a, b, c := rnd((ar-1)*lda+ac), rnd((br-1)*ldb+bc), rnd(m*ldc)
				want := append([]float32(nil), c...)
				kernels.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
				ext.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				wantA, wantB := blas.NoTrans, blas.NoTrans
				if ta {
					wantA = blas.Trans
				}
				if tb {
					wantB = blas.Trans
				}
				if tA != wantA || tB != wantB {
					t.Errorf("gonum got tA=%v tB=%v, want %v %v", tA, tB, wantA, wantB)
				}
				for i, w := range want {
					if d := math.Abs(float64(c[i] - w)); d > 1e-4*max(1, math.Abs(float64(w))) {
						t.Fatalf("c[%d] = %v, kernels.Sgemm %v", i, c[i], w)
					}
				}
			})
		}
	}
}
