package kernels

import (
	"fmt"
	"math"
)

// needLen panics unless len(s) == n, naming the argument.
func needLen(name string, s []float32, n int) {
	if len(s) != n {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need %d", name, len(s), n))
	}
}

// matrixLen checks rows and cols and returns rows*cols.
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

func checkSame(dn string, dst []float32, sn string, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need len(%s) = %d", dn, len(dst), sn, len(src)))
	}
}

func checkLoss(grad, x []float32, xn string, y []float32) {
	checkSame("y", y, xn, x)
	if grad != nil {
		checkSame("grad", grad, xn, x)
	}
}

// checkRows checks a rows×cols pair a, b (dst and src, or logits and y)
// and an optional grad.
func checkRows(an string, a []float32, bn string, b, grad []float32, rows, cols int) {
	if rows < 0 {
		panic(fmt.Sprintf("kernels: rows = %d, need rows >= 0", rows))
	}
	if cols < 0 {
		panic(fmt.Sprintf("kernels: cols = %d, need cols >= 0", cols))
	}
	if cols > 0 && rows > math.MaxInt/cols {
		panic(fmt.Sprintf("kernels: rows*cols = %d*%d overflows", rows, cols))
	}
	n := rows * cols
	names := [3]string{an, bn, "grad"}
	if len(a) != n {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need rows*cols = %d", names[0], len(a), n))
	}
	if len(b) != n {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need rows*cols = %d", names[1], len(b), n))
	}
	if grad != nil && len(grad) != n {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need rows*cols = %d", names[2], len(grad), n))
	}
}
