package bench

import "fmt"

// shape is one row-major SGEMM problem: C (m×n) = op(A) (m×k) · op(B) (k×n),
// where op(X) is Xᵀ when the matching trans flag is set.
type shape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

// shapes returns the benchmarked shapes: the four GEMMs of one full-batch
// iteration of the MNIST reference workload (784-196-1 network, 11,272
// images, samples as rows or as columns), then NN squares.
func shapes() []shape {
	return []shape{
		// Forward, samples as columns: Z (196×11272) = W (196×784) · Xᵀ, X stored 11272×784.
		mnist("fwd", refHidden, refSamples, refInputs, false, true),
		// Forward, samples as rows: Z (11272×196) = X (11272×784) · Wᵀ, W stored 196×784.
		mnist("fwd", refSamples, refHidden, refInputs, false, true),
		// Weight gradient, samples as columns: dW (196×784) = dZ (196×11272) · X (11272×784).
		mnist("dW", refHidden, refInputs, refSamples, false, false),
		// Weight gradient, samples as rows: dW (784×196) = Xᵀ · dZ, X stored 11272×784, dZ 11272×196.
		mnist("dW", refInputs, refHidden, refSamples, true, false),
		square(64),
		square(256),
		square(1024),
	}
}

func mnist(prefix string, m, n, k int, transA, transB bool) shape {
	return shape{name: fmt.Sprintf("%s%dx%dx%d_%s", prefix, m, n, k, transName(transA, transB)),
		m: m, n: n, k: k, transA: transA, transB: transB}
}

func square(n int) shape {
	return shape{name: fmt.Sprintf("sq%d_NN", n), m: n, n: n, k: n}
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

// flops returns the floating-point operations of one product, 2·m·n·k.
func (s shape) flops() float64 { return 2 * float64(s.m) * float64(s.n) * float64(s.k) }

// dims returns the stored (row-major) dimensions of A and B: op(A) is m×k,
// so A is k×m when transA is set, and likewise for B. The leading dimension
// of each is its column count.
func (s shape) dims() (aRows, aCols, bRows, bCols int) {
	aRows, aCols = s.m, s.k
	if s.transA {
		aRows, aCols = s.k, s.m
	}
	bRows, bCols = s.k, s.n
	if s.transB {
		bRows, bCols = s.n, s.k
	}
	return aRows, aCols, bRows, bCols
}
