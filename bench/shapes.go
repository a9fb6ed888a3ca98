package bench

import "fmt"

// Shape is one row-major SGEMM problem: C (M×N) = op(A) (M×K) · op(B) (K×N),
// where op(X) is Xᵀ when the matching Trans flag is set.
type Shape struct {
	Name           string
	M, N, K        int
	TransA, TransB bool
}

// Shapes returns the benchmarked shapes: the four GEMMs of one full-batch
// iteration of the MNIST reference workload (784-196-1 network, 11,272
// images, samples as rows or as columns), then NN squares.
func Shapes() []Shape {
	const (
		samples = 11272 // MNIST 5-vs-8 training images
		in      = 784   // pixels
		hidden  = 196
	)
	return []Shape{
		// Forward, samples as columns: Z (196×11272) = W (196×784) · Xᵀ, X stored 11272×784.
		mnist("fwd", hidden, samples, in, false, true),
		// Forward, samples as rows: Z (11272×196) = X (11272×784) · Wᵀ, W stored 196×784.
		mnist("fwd", samples, hidden, in, false, true),
		// Weight gradient, samples as columns: dW (196×784) = dZ (196×11272) · X (11272×784).
		mnist("dW", hidden, in, samples, false, false),
		// Weight gradient, samples as rows: dW (784×196) = Xᵀ · dZ, X stored 11272×784, dZ 11272×196.
		mnist("dW", in, hidden, samples, true, false),
		square(64),
		square(256),
		square(1024),
	}
}

func mnist(prefix string, m, n, k int, transA, transB bool) Shape {
	return Shape{Name: fmt.Sprintf("%s%dx%dx%d_%s", prefix, m, n, k, transName(transA, transB)),
		M: m, N: n, K: k, TransA: transA, TransB: transB}
}

func square(n int) Shape {
	return Shape{Name: fmt.Sprintf("sq%d_NN", n), M: n, N: n, K: n}
}

func transName(transA, transB bool) string {
	s := []byte("NN")
	if transA {
		s[0] = 'T'
	}
	if transB {
		s[1] = 'T'
	}
	return string(s)
}

// Flops returns the floating-point operations of one product, 2·M·N·K.
func (s Shape) Flops() float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) }

// Dims returns the stored (row-major) dimensions of A and B: op(A) is M×K,
// so A is K×M when TransA is set, and likewise for B. The leading dimension
// of each is its column count.
func (s Shape) Dims() (aRows, aCols, bRows, bCols int) {
	aRows, aCols = s.M, s.K
	if s.TransA {
		aRows, aCols = s.K, s.M
	}
	bRows, bCols = s.K, s.N
	if s.TransB {
		bRows, bCols = s.N, s.K
	}
	return aRows, aCols, bRows, bCols
}
