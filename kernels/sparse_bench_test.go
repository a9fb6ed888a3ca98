package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSparseMM runs the sparse products of a first layer of 784
// inputs (MNIST's) against the dense Sgemm of the same shape, on 4,096
// samples whose elements are nonzero at random with the density given,
// and reports dense-equivalent GFLOP/s (2·m·n·k a product): forward is
// X·W₁ᵀ (SparseMM), dW is dZᵀ·X (SparseMMTrans of Xᵀ), for layers of 196
// units (the seed workload's) and 256 (the everyday one's). Where the two
// kinds cross is mlp.SparseDensity.
func BenchmarkSparseMM(b *testing.B) {
	const m, k = 4096, 784
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{196, 256} {
		w := make([]float32, k*n)
		dz := make([]float32, m*n)
		for _, s := range [][]float32{w, dz} {
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
		}
		c, dw := make([]float32, m*n), make([]float32, n*k)
		x := make([]float32, m*k)
		report := func(b *testing.B) {
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		for _, im := range Impls() {
			pre := fmt.Sprintf("units=%d/impl=%s/", n, im.Name())
			b.Run(pre+"shape=forward/kind=dense", func(b *testing.B) {
				for b.Loop() {
					im.Sgemm(false, true, m, n, k, 1, x, k, w, k, 0, c, n)
				}
				report(b)
			})
			b.Run(pre+"shape=dW/kind=dense", func(b *testing.B) {
				for b.Loop() {
					im.Sgemm(true, false, n, k, m, 1, dz, n, x, k, 0, dw, k)
				}
				report(b)
			})
			for _, d := range []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.5} {
				for i := range x {
					x[i] = 0
					if rng.Float64() < d {
						x[i] = rng.Float32()
					}
				}
				s, st := denseToCSR(x, m, k), denseToCSR(transposeOf(x, m, k), k, m)
				b.Run(fmt.Sprintf("%sshape=forward/kind=sparse/density=%g", pre, d), func(b *testing.B) {
					for b.Loop() {
						im.SparseMM(m, n, k, 1, s.offs, s.cols, s.vals, w, n, 0, c, n, Epilogue{})
					}
					report(b)
				})
				b.Run(fmt.Sprintf("%sshape=dW/kind=sparse/density=%g", pre, d), func(b *testing.B) {
					for b.Loop() {
						im.SparseMMTrans(k, n, m, 1, st.offs, st.cols, st.vals, dz, n, 0, dw, k)
					}
					report(b)
				})
			}
		}
	}
}

// denseToCSR returns the CSR form of the m×k row-major x.
func denseToCSR(x []float32, m, k int) csr {
	s := csr{m: m, k: k, offs: []int{0}}
	for i := range m {
		for j, v := range x[i*k : (i+1)*k] {
			if v != 0 {
				s.cols = append(s.cols, int32(j))
				s.vals = append(s.vals, v)
			}
		}
		s.offs = append(s.offs, len(s.cols))
	}
	return s
}

// transposeOf returns the k×m transpose of the m×k row-major x.
func transposeOf(x []float32, m, k int) []float32 {
	t := make([]float32, len(x))
	for i := range m {
		for j := range k {
			t[j*m+i] = x[i*k+j]
		}
	}
	return t
}
