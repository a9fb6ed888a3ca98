package kernels

import (
	"fmt"
	"math"

	"github.com/klauspost/cpuid/v2"
)

// actKernels are one implementation's transcendental kernels (exp, log,
// sigmoid, tanh, softmax, the losses); the exported functions check their
// arguments and run Default()'s. The kernels may assume the lengths the
// exported functions check.
type actKernels struct {
	// sigmoid, tanh, exp and log set dst[i] = f(src[i]); len(dst) ==
	// len(src), and dst may be src.
	sigmoid, tanh, exp, log func(dst, src []float32)
	// softmax is Softmax: rows×cols, len(dst) == len(src) == rows*cols.
	softmax func(dst, src []float32, rows, cols int)
	// bce and mse are BCEWithLogits and MSE: len(z) == len(y), and grad
	// is nil or of the same length.
	bce, mse func(grad, z, y []float32, scale float32) float64
	// sxe is SoftmaxCrossEntropy, lengths as softmax; grad may be nil.
	sxe func(grad, logits, y []float32, rows, cols int, scale float32) float64
}

// Exp sets dst[i] = e^src[i]. It is within 4 ULP of the exact value over
// the whole float32 range; results below the smallest normal float32
// (src[i] < -87.34) are 0, e^+Inf = +Inf, e^-Inf = 0 and NaN stays NaN.
// dst may be src; it panics unless len(dst) == len(src).
func Exp(dst, src []float32) {
	checkSame("dst", dst, "src", src)
	Default().act.exp(dst, src)
}

// Log sets dst[i] = ln(src[i]), within 4 ULP for positive src[i]
// (subnormals included); ln(±0) = -Inf, ln(+Inf) = +Inf and ln of a
// negative number or NaN is NaN. dst may be src; it panics unless
// len(dst) == len(src).
func Log(dst, src []float32) {
	checkSame("dst", dst, "src", src)
	Default().act.log(dst, src)
}

// Sigmoid sets dst[i] = 1/(1+e^-src[i]), within 4 ULP; it is exactly 1
// for large inputs, 0 (never NaN) for inputs below -87.34, where the
// exact value is below the normal range, and NaN for NaN. dst may be src;
// it panics unless len(dst) == len(src).
func Sigmoid(dst, src []float32) {
	checkSame("dst", dst, "src", src)
	Default().act.sigmoid(dst, src)
}

// Tanh sets dst[i] = tanh(src[i]), within 4 ULP (accurate for tiny
// inputs too: it is not computed as 2σ(2x)−1); tanh(±Inf) = ±1 and NaN
// stays NaN. dst may be src; it panics unless len(dst) == len(src).
func Tanh(dst, src []float32) {
	checkSame("dst", dst, "src", src)
	Default().act.tanh(dst, src)
}

// Softmax sets each of the rows contiguous rows of dst (cols elements each)
// to the softmax of the same row of src: e^(x_j − max) / Σ_k e^(x_k − max).
// Subtracting the row's maximum keeps it finite for any finite logits. dst
// may be src; it panics unless rows, cols ≥ 0 and len(dst) == len(src) ==
// rows*cols.
func Softmax(dst, src []float32, rows, cols int) {
	checkRows("dst", dst, "src", src, nil, rows, cols)
	Default().act.softmax(dst, src, rows, cols)
}

// BCEWithLogits is binary cross-entropy taken from logits z against
// targets y (usually 0 or 1), with its gradient in the same pass. It
// returns Σ_i max(z_i,0) − z_i·y_i + log(1 + e^−|z_i|), the sum of
// −y·log σ(z) − (1−y)·log(1−σ(z)) computed stably for any z (it never
// takes log 0), and, unless grad is nil, sets grad[i] = scale·(σ(z_i) − y_i).
// grad may be z or y. It panics unless len(y) == len(z) and grad is nil or
// as long.
func BCEWithLogits(grad, z, y []float32, scale float32) float64 {
	checkLoss(grad, z, "z", y)
	return Default().act.bce(grad, z, y, scale)
}

// MSE returns ½ Σ_i (pred_i − y_i)² and, unless grad is nil, sets grad[i] =
// scale·(pred_i − y_i). The lecture's E = 1/(2N) Σ‖d − y‖² over N samples
// is MSE(grad, d, y, 1/N)/N, with grad then ∂E/∂d. grad may be pred or y.
// It panics unless len(y) == len(pred) and grad is nil or as long.
func MSE(grad, pred, y []float32, scale float32) float64 {
	checkLoss(grad, pred, "pred", y)
	return Default().act.mse(grad, pred, y, scale)
}

// SoftmaxCrossEntropy is the cross-entropy of the row-wise softmax of
// logits (rows contiguous rows of cols) against target distributions y
// (usually one-hot rows), with its gradient in the same pass. It returns
// −Σ y·log softmax(logits), computed as Σ y·(logsumexp − logit) so that it
// is finite for any finite logits, and, unless grad is nil, sets grad =
// scale·(softmax(logits) − y). grad may be logits, not y. It panics unless
// rows, cols ≥ 0, len(logits) == len(y) == rows*cols and grad is nil or as
// long.
func SoftmaxCrossEntropy(grad, logits, y []float32, rows, cols int, scale float32) float64 {
	checkRows("logits", logits, "y", y, grad, rows, cols)
	return Default().act.sxe(grad, logits, y, rows, cols, scale)
}

// actNTBytes is the output size from which the elementwise assembly kernels
// store around the caches (non-temporal stores): about the size of the
// last-level cache, where the output would evict itself anyway. Tests
// lower it to exercise that path.
var actNTBytes = func() int {
	if l3 := cpuid.CPU.Cache.L3; l3 > 0 {
		return l3
	}
	return 32 << 20
}()

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
