package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gofma/gofma/mnist"
)

// The sparse products on real data: MNIST's 5-vs-8 training images (the
// reference workload's X, 11,272×784, 20.8% nonzero, with the correlated
// columns of real images) and its transpose, in CSR form. The test imports
// mnist, which imports nothing of gofma, so there is no cycle; tests and
// benchmarks that need the data skip when it is not found.

type mnistCSR struct {
	x, xt csr
	err   error
}

var mnistSparse = sync.OnceValue(func() mnistCSR {
	train, _, err := mnist.Load("")
	if err != nil {
		return mnistCSR{err: err}
	}
	s, err := train.Filter([]int{5, 8})
	if err != nil {
		return mnistCSR{err: err}
	}
	m, k := s.N, s.Pixels()
	return mnistCSR{x: denseToCSR(s.Images, m, k), xt: denseToCSR(transposeOf(s.Images, m, k), k, m)}
})

// mnistData returns the 5-vs-8 images in CSR form and their transpose, or
// skips tb.
func mnistData(tb testing.TB) (x, xt csr) {
	d := mnistSparse()
	if d.err != nil {
		tb.Skipf("MNIST not found: %v", d.err)
	}
	return d.x, d.xt
}

// BenchmarkSparseMNIST runs the reference workload's two first-layer
// products on real MNIST (5 vs 8, 784-196): forward X·W₁ᵀ (11272×196×784)
// and dW = dZᵀ·X (196×784×11272), as the dense Sgemm (kind=dense), from
// CSR arrays (kind=csr: SparseMM, and SparseMMTrans of Xᵀ) and from X
// prepared once (SparseAMM and SparseATMMTrans), its rows grouped in order
// (kind=prepared) or clustered (kind=clustered), in dense-equivalent
// GFLOP/s (2·m·n·k a product, whatever the kind does), on one thread and
// on two.
func BenchmarkSparseMNIST(b *testing.B) {
	x, xt := mnistData(b)
	m, k, n := x.m, x.k, 196
	rng := rand.New(rand.NewPCG(3, 4))
	w := make([]float32, k*n) // W₁ᵀ, k×n
	dz := make([]float32, m*n)
	for _, s := range [][]float32{w, dz} {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
	}
	xd := make([]float32, m*k)
	for i := range m {
		for p := x.offs[i]; p < x.offs[i+1]; p++ {
			xd[i*k+int(x.cols[p])] = x.vals[p]
		}
	}
	c, dw := make([]float32, m*n), make([]float32, n*k)
	xa := PrepareSparse(nil, m, k, x.offs, x.cols, x.vals, false)
	xc := PrepareSparse(nil, m, k, x.offs, x.cols, x.vals, true)
	report := func(b *testing.B) {
		b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	type kind struct {
		shape, name string
		run         func(im *Impl)
	}
	kinds := []kind{
		{"forward", "dense", func(im *Impl) { im.Sgemm(false, false, m, n, k, 1, xd, k, w, n, 0, c, n) }},
		{"forward", "csr", func(im *Impl) { im.SparseMM(m, n, k, 1, x.offs, x.cols, x.vals, w, n, 0, c, n, Epilogue{}) }},
		{"forward", "prepared", func(im *Impl) { im.SparseAMM(n, 1, xa, w, n, 0, c, n, Epilogue{}) }},
		{"forward", "clustered", func(im *Impl) { im.SparseAMM(n, 1, xc, w, n, 0, c, n, Epilogue{}) }},
		{"dW", "dense", func(im *Impl) { im.Sgemm(true, false, n, k, m, 1, dz, n, xd, k, 0, dw, k) }},
		{"dW", "csr", func(im *Impl) { im.SparseMMTrans(k, n, m, 1, xt.offs, xt.cols, xt.vals, dz, n, 0, dw, k) }},
		{"dW", "prepared", func(im *Impl) { im.SparseATMMTrans(n, 1, xa, dz, n, 0, dw, k) }},
		{"dW", "clustered", func(im *Impl) { im.SparseATMMTrans(n, 1, xc, dz, n, 0, dw, k) }},
	}
	for _, im := range Impls() {
		if im.Name() == "generic" && testing.Short() {
			continue
		}
		for _, threads := range []int{1, 2} {
			for _, kd := range kinds {
				b.Run(fmt.Sprintf("impl=%s/threads=%d/shape=%s/kind=%s", im.Name(), threads, kd.shape, kd.name), func(b *testing.B) {
					prev := SetThreads(threads)
					defer SetThreads(prev)
					for b.Loop() {
						kd.run(im)
					}
					report(b)
				})
			}
		}
	}
}

// BenchmarkSparseMNISTBatch runs the first-layer products of a mini-batch
// step of 128 images on 256 units (the everyday workload's shapes, with
// 128 images drawn from the 5-vs-8 set) as mlp's sparse path runs them:
// forward X·W₁ᵀ (SparseMM, W₁ᵀ's rows LeadingDim(256) apart) and dW =
// dZᵀ·X (SparseMMTrans of the batch's transpose), in dense-equivalent
// GFLOP/s, on one thread and on two. The batch is in cache, unlike in a
// training step, which gathers it from the whole set.
func BenchmarkSparseMNISTBatch(b *testing.B) {
	const rows, n = 128, 256
	s, st, rng := mnistBatch(b, rows)
	k := s.k
	ldw := LeadingDim(n)
	w, dz := make([]float32, k*ldw), make([]float32, rows*n)
	for _, v := range [][]float32{w, dz} {
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
	}
	c, dw := make([]float32, rows*n), make([]float32, n*k)
	for _, im := range Impls() {
		if im.Name() == "generic" && testing.Short() {
			continue
		}
		for _, threads := range []int{1, 2} {
			for _, kd := range []struct {
				shape string
				run   func()
			}{
				{"forward", func() { im.SparseMM(rows, n, k, 1, s.offs, s.cols, s.vals, w, ldw, 0, c, n, Epilogue{}) }},
				{"dW", func() { im.SparseMMTrans(k, n, rows, 1, st.offs, st.cols, st.vals, dz, n, 0, dw, k) }},
			} {
				b.Run(fmt.Sprintf("impl=%s/threads=%d/shape=%s", im.Name(), threads, kd.shape), func(b *testing.B) {
					defer SetThreads(SetThreads(threads))
					for b.Loop() {
						kd.run()
					}
					b.ReportMetric(2*float64(rows*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// mnistBatch returns rows images drawn from the 5-vs-8 set in CSR form, a
// mini-batch's X, its transpose, and the generator that drew them, or
// skips tb.
func mnistBatch(tb testing.TB, rows int) (s, st csr, rng *rand.Rand) {
	x, _ := mnistData(tb)
	k := x.k
	rng = rand.New(rand.NewPCG(5, 6))
	xd := make([]float32, rows*k)
	for i := range rows {
		r := rng.IntN(x.m)
		for p := x.offs[r]; p < x.offs[r+1]; p++ {
			xd[i*k+int(x.cols[p])] = x.vals[p]
		}
	}
	return denseToCSR(xd, rows, k), denseToCSR(transposeOf(xd, rows, k), k, rows), rng
}

// BenchmarkSparseMNISTBlockTable times the table of where each row's
// nonzeros start in each block of sparseKBlock columns, which the CSR
// products build for a mini-batch of 128 MNIST images (shape=x, the
// forward's S) and for its transpose (shape=xt, the weight gradient's).
func BenchmarkSparseMNISTBlockTable(b *testing.B) {
	s, st, _ := mnistBatch(b, 128)
	for _, c := range []struct {
		name string
		s    csr
	}{{"x", s}, {"xt", st}} {
		b.Run("shape="+c.name, func(b *testing.B) {
			t := &sparseTask{offs: c.s.offs, cols: c.s.cols, k: c.s.k}
			kb := (c.s.k + sparseKBlock - 1) / sparseKBlock
			tab := make([]int, c.s.m*(kb+1))
			for b.Loop() {
				if !t.blockTable(tab, 0, c.s.m, kb) {
					b.Fatal("blockTable refused MNIST's rows")
				}
			}
		})
	}
}

// TestSparseMNISTPrepared checks the prepared products on real MNIST
// (5 vs 8) against the CSR ones, on each implementation: the forward
// product and the weight gradient, clustered, most rows grouped.
func TestSparseMNISTPrepared(t *testing.T) {
	if testing.Short() {
		t.Skip("real MNIST")
	}
	x, xt := mnistData(t)
	m, k, n := x.m, x.k, 196
	rng := rand.New(rand.NewPCG(5, 6))
	w := make([]float32, k*n)
	dz := make([]float32, m*n)
	for _, s := range [][]float32{w, dz} {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
	}
	abs := func(s []float32) []float32 {
		o := make([]float32, len(s))
		for i, v := range s {
			o[i] = float32(math.Abs(float64(v)))
		}
		return o
	}
	absw, absdz := abs(w), abs(dz)
	a := PrepareSparse(nil, m, k, x.offs, x.cols, x.vals, true)
	if rows, _ := a.Grouped(); rows < m*9/10 {
		t.Errorf("%v: want most rows grouped", a)
	}
	// Clustering by nonzero count keeps 0.724 of the unions' values
	// nonzero (0.662 in index order).
	if _, vals := a.Grouped(); float64(a.nnz) < 0.72*float64(vals) {
		t.Errorf("%v: want at least 72%% of the grouped values nonzero", a)
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		c0, c1 := make([]float32, m*n), make([]float32, m*n)
		im.SparseMM(m, n, k, 1, x.offs, x.cols, x.vals, w, n, 0, c0, n, Epilogue{})
		im.SparseAMM(n, 1, a, w, n, 0, c1, n, Epilogue{})
		// Within 1e-5 of the sum of the terms' magnitudes (the pixels
		// are not negative: the magnitudes are the products with |B|).
		close := func(what string, got, want, mag []float32) {
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+float64(mag[i])) {
					t.Fatalf("%s: [%d] = %v prepared, %v from CSR (magnitude %v)", what, i, got[i], want[i], mag[i])
				}
			}
		}
		mag := make([]float32, m*n)
		im.SparseMM(m, n, k, 1, x.offs, x.cols, x.vals, absw, n, 0, mag, n, Epilogue{})
		close("forward", c1, c0, mag)
		d0, d1 := make([]float32, n*k), make([]float32, n*k)
		im.SparseMMTrans(k, n, m, 1, xt.offs, xt.cols, xt.vals, dz, n, 0, d0, k)
		im.SparseATMMTrans(n, 1, a, dz, n, 0, d1, k)
		im.SparseMMTrans(k, n, m, 1, xt.offs, xt.cols, xt.vals, absdz, n, 0, mag[:n*k], k)
		close("dW", d1, d0, mag)
	})
}

// TestClusterBitmaps checks that cluster forms the same groups counting
// new columns with bitmaps as by looking each column up, on real MNIST
// (correlated columns, many ties) and on random matrices with empty rows.
func TestClusterBitmaps(t *testing.T) {
	var cases []csr
	if d := mnistSparse(); d.err == nil {
		cases = append(cases, d.x)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []float64{0, 0.01, 0.2, 0.6} {
		cases = append(cases, randomCSR(rng, 203, 130, d, 0))
	}
	for _, c := range cases {
		var a, b SparseA
		a.m, a.k = c.m, c.k
		b.m, b.k = c.m, c.k
		a.rows, b.rows = make([]int32, c.m), make([]int32, c.m)
		a.cluster(c.offs, c.cols, true)
		b.cluster(c.offs, c.cols, false)
		for i := range a.rows {
			if a.rows[i] != b.rows[i] {
				t.Fatalf("%d×%d: slot %d holds row %d with bitmaps, %d without", c.m, c.k, i, a.rows[i], b.rows[i])
			}
		}
	}
}
