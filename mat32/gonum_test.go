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

// TestBLASStridedVectors checks Sger and the transposed Sgemv with strided
// and negative increments against naive loops, with guard elements after
// each vector: gonum's own Sger (its assembly) mishandles negative
// increments, and its transposed Sgemv with beta = 0 clears all of y.
func TestBLASStridedVectors(t *testing.T) {
	const m, n, lda, guard = 3, 4, 5, 99
	// elem returns the index of element i of k with increment inc.
	elem := func(i, k, inc int) int {
		if inc < 0 {
			return (k - 1 - i) * -inc
		}
		return i * inc
	}
	vec := func(k, inc int, from float32) []float32 {
		l := (k-1)*max(inc, -inc) + 1
		v := make([]float32, l+2)
		for i := range v {
			v[i] = guard
		}
		for i := range k {
			v[elem(i, k, inc)] = from + float32(i)
		}
		return v
	}
	a := make([]float32, (m-1)*lda+n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for _, inc := range [][2]int{{1, 1}, {-1, 1}, {1, -1}, {-1, -1}, {2, -3}, {-2, 1}} {
		incX, incY := inc[0], inc[1]
		t.Run(fmt.Sprintf("incX=%d/incY=%d", incX, incY), func(t *testing.T) {
			x, y := vec(m, incX, 1), vec(n, incY, -2)
			got := append([]float32(nil), a...)
			want := append([]float32(nil), a...)
			BLAS{}.Sger(m, n, 2, x, incX, y, incY, got, lda)
			for i := range m {
				for j := range n {
					want[i*lda+j] += 2 * x[elem(i, m, incX)] * y[elem(j, n, incY)]
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Sger:\n got %v\nwant %v", got, want)
			}
			for _, beta := range []float32{0, 1, -2} {
				yg := append([]float32(nil), y...)
				yw := append([]float32(nil), y...)
				BLAS{}.Sgemv(blas.Trans, m, n, 0.5, a, lda, x, incX, beta, yg, incY)
				for j := range n {
					var s float32
					for i := range m {
						s += a[i*lda+j] * x[elem(i, m, incX)]
					}
					e := elem(j, n, incY)
					yw[e] = beta*yw[e] + 0.5*s
				}
				if fmt.Sprint(yg) != fmt.Sprint(yw) {
					t.Errorf("Sgemv(Trans) beta=%v:\n got %v\nwant %v", beta, yg, yw)
				}
			}
		})
	}
}
