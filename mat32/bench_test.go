package mat32

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/gofma/gofma/kernels"
)

// BenchmarkProduct runs the Dense product on the MNIST shapes against
// gonum's float64 mat.Dense product and gonum's own float32 blas32.Gemm, in
// one run; all on one thread (GOMAXPROCS 1 for gonum, which spreads work
// over it). Names: BenchmarkProduct/shape=NAME/impl=IMPL.
func BenchmarkProduct(b *testing.B) {
	const samples, in, hidden = 11272, 784, 196
	rng := rand.New(rand.NewPCG(1, 2))
	x := randDense(rng, samples, in)
	w := randDense(rng, hidden, in)
	dz := randDense(rng, samples, hidden)
	shapes := []struct {
		name string
		a, b Matrix
	}{
		{"fwd11272x196x784_NT", x, w.T()},
		{"dW196x784x11272_TN", dz.T(), x},
	}
	for _, s := range shapes {
		flop := func() float64 {
			r, k := s.a.Dims()
			_, c := s.b.Dims()
			return 2 * float64(r) * float64(c) * float64(k)
		}()
		b.Run("shape="+s.name+"/impl=mat32", func(b *testing.B) {
			prev := kernels.SetThreads(1)
			defer kernels.SetThreads(prev)
			var c Dense
			for b.Loop() {
				c.Mul(s.a, s.b)
			}
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("shape="+s.name+"/impl=gonum-blas32", func(b *testing.B) {
			defer setProcs(1)()
			blas32.Use(gonum.Implementation{})
			ad, ta := raw(s.a)
			bd, tb := raw(s.b)
			r, _ := s.a.Dims()
			_, cc := s.b.Dims()
			c := NewDense(r, cc, nil)
			for b.Loop() {
				blas32.Gemm(gtrans(ta), gtrans(tb), 1, ad.RawMatrix(), bd.RawMatrix(), 0, c.RawMatrix())
			}
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("shape="+s.name+"/impl=gonum-mat64", func(b *testing.B) {
			defer setProcs(1)()
			ad, ta := raw(s.a)
			bd, tb := raw(s.b)
			var ga, gb mat.Matrix = ad.ToGonum(), bd.ToGonum()
			if ta {
				ga = ga.T()
			}
			if tb {
				gb = gb.T()
			}
			var c mat.Dense
			for b.Loop() {
				c.Mul(ga, gb)
			}
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func gtrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
