package kernels

import (
	"fmt"
	"math"
)

// The argument checks of the exported slice kernels: each panics with a
// message that names the argument, as BLAS does ("kernels: len(dst) = 10,
// need 12"). Sgemm checks its matrices with checkSgemm (sgemm.go).

// needLen panics unless len(s) == n.
func needLen(name string, s []float32, n int) {
	if len(s) != n {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need %d", name, len(s), n))
	}
}

// needDst panics unless dst, of len(w) elements, is w, or g, or apart from
// both: an update reads w and g element by element as it writes dst.
func needDst(dst, w, g []float32) {
	needLen("dst", dst, len(w))
	n := len(w)
	for _, x := range [][]float32{w, g} {
		if n > 0 && &dst[0] != &x[0] && overlaps(dst, 1, n, 0, x, 1, n, 0) {
			panic("kernels: dst overlaps w or g without being either")
		}
	}
}

// needGradLen panics unless grad is nil or has n elements.
func needGradLen(grad []float32, n int) {
	if grad != nil {
		needLen("grad", grad, n)
	}
}

// matrixLen checks the sizes of a rows×cols matrix and returns rows*cols.
func matrixLen(rows, cols int) int {
	if rows < 0 {
		panic(fmt.Sprintf("kernels: rows = %d, need >= 0", rows))
	}
	if cols < 0 {
		panic(fmt.Sprintf("kernels: cols = %d, need >= 0", cols))
	}
	if cols > 0 && rows > math.MaxInt/cols {
		panic(fmt.Sprintf("kernels: rows*cols = %d*%d overflows int", rows, cols))
	}
	return rows * cols
}

// nonNegative panics unless the size named name is at least 0.
func nonNegative(name string, v int) {
	if v < 0 {
		panic(fmt.Sprintf("kernels: %s = %d, must not be negative", name, v))
	}
}
