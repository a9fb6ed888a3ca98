package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSparseMM runs the sparse products of the seed workload's first
// layer, on data with MNIST's density (20.8% of 11,272×784, random), beside
// the dense Sgemm of the same shape, and reports dense-equivalent GFLOP/s
// (2·m·n·k per product): forward is X·W₁ᵀ, dW is (Xᵀ·dZ)ᵀ stored as dW₁.
func BenchmarkSparseMM(b *testing.B) {
	const m, k, n = 11272, 784, 196
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, m*k)
	for i := range x {
		if rng.Float64() < 0.208 {
			x[i] = rng.Float32()
		}
	}
	s := denseToCSR(x, m, k)
	st := denseToCSR(transpose(x, m, k), k, m)
	w := make([]float32, k*n)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	dz := make([]float32, m*n)
	for i := range dz {
		dz[i] = float32(rng.NormFloat64())
	}
	c := make([]float32, m*n)
	dw := make([]float32, n*k)
	for _, im := range Impls() {
		run := func(name string, f func()) {
			b.Run(name+"/impl="+im.Name(), func(b *testing.B) {
				for b.Loop() {
					f()
				}
				b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		run("shape=forward/kind=sparse", func() { im.SparseMM(m, n, k, 1, s.offs, s.cols, s.vals, w, n, 0, c, n, Epilogue{}) })
		run("shape=forward/kind=dense", func() { im.Sgemm(false, false, m, n, k, 1, x, k, w, n, 0, c, n) })
		run("shape=dW/kind=sparse", func() { im.SparseMMTrans(k, n, m, 1, st.offs, st.cols, st.vals, dz, n, 0, dw, k) })
		run("shape=dW/kind=dense", func() { im.Sgemm(true, false, n, k, m, 1, dz, n, x, k, 0, dw, k) })
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

// transpose returns the k×m transpose of the m×k row-major x.
func transpose(x []float32, m, k int) []float32 {
	t := make([]float32, len(x))
	for i := range m {
		for j := range k {
			t[j*m+i] = x[i*k+j]
		}
	}
	return t
}
