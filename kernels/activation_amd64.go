//go:build !purego

package kernels

import "unsafe"

// The assembly transcendental kernels (zactivation_amd64.s) take a count
// that is a positive multiple of 8. The wrappers below check the slices,
// run the assembly on chunks of at most actChunk elements (an assembly call
// is never preempted, so each stays short) and finish the tail of fewer
// than 8 elements with the Go twin.

var avx2Act = actKernels{
	sigmoid: sigmoidAVX2, tanh: tanhAVX2, exp: expAVX2, log: logAVX2,
	softmax: softmaxAVX2, bce: bceAVX2, mse: mseAVX2, sxe: sxeAVX2,
}

// actChunk is the most elements one assembly call handles: tens of
// microseconds.
const actChunk = 1 << 16

// unaryAVX2 runs the assembly kernel on the multiple-of-8 head of src and
// the Go twin on the rest. Outputs of at least actNTBytes go through the
// non-temporal kernel ntKernel, after the twin has brought dst to a
// 32-byte boundary.
func unaryAVX2(dst, src []float32, kernel, ntKernel func(dst, src *float32, n int), twin func(dst, src []float32)) {
	dst = dst[:len(src)] // panics unless len(dst) >= len(src)
	start := 0
	if 4*len(src) >= actNTBytes && len(src) >= 8 {
		start = int((32-uintptr(unsafe.Pointer(&dst[0]))&31)&31) / 4
		twin(dst[:start], src[:start])
		kernel = ntKernel
	}
	head := start + (len(src)-start)&^7
	for i := start; i < head; i += actChunk {
		n := min(actChunk, head-i)
		kernel(&dst[i], &src[i], n)
	}
	twin(dst[head:], src[head:])
}

func expAVX2(dst, src []float32)  { unaryAVX2(dst, src, expKernel, expKernelNT, expGeneric) }
func logAVX2(dst, src []float32)  { unaryAVX2(dst, src, logKernel, logKernelNT, logGeneric) }
func tanhAVX2(dst, src []float32) { unaryAVX2(dst, src, tanhKernel, tanhKernelNT, tanhGeneric) }
func sigmoidAVX2(dst, src []float32) {
	unaryAVX2(dst, src, sigmoidKernel, sigmoidKernelNT, sigmoidGeneric)
}

// expShiftSumAVX2 sets dst[i] = e^(src[i]−m) and returns their sum.
func expShiftSumAVX2(dst, src []float32, m float32) float64 {
	dst = dst[:len(src)]
	head := len(src) &^ 7
	var s float64
	for i := 0; i < head; i += actChunk {
		n := min(actChunk, head-i)
		s += float64(expShiftSumKernel(&dst[i], &src[i], n, m))
	}
	return s + expShiftSumGeneric(dst[head:], src[head:], m)
}

func softmaxAVX2(dst, src []float32, rows, cols int) {
	softmaxWith(dst, src, rows, cols, expShiftSumAVX2)
}

func sxeAVX2(grad, logits, y []float32, rows, cols int, scale float32) float64 {
	return sxeWith(grad, logits, y, rows, cols, scale, expShiftSumAVX2)
}

// lossChunk is the most elements one call of a loss kernel sums: its
// float32 partial sum then rounds over a bounded number of terms (the
// wrapper adds the chunk sums in float64), and the call stays short.
const lossChunk = 4096

// lossAVX2 runs a loss kernel (with grad) or lossKernel (grad nil) on the
// multiple-of-8 head of x in chunks and returns the sum of the chunk sums
// and the length of the head, which the caller finishes with the Go twin.
func lossAVX2(grad, x, y []float32, scale float32,
	kernel func(grad, x, y *float32, n int, scale float32) float32,
	lossKernel func(x, y *float32, n int) float32) (sum float64, head int) {
	y = y[:len(x)] // panics unless len(y) >= len(x)
	if grad != nil {
		grad = grad[:len(x)]
	}
	head = len(x) &^ 7
	for i := 0; i < head; i += lossChunk {
		n := min(lossChunk, head-i)
		if grad != nil {
			sum += float64(kernel(&grad[i], &x[i], &y[i], n, scale))
		} else {
			sum += float64(lossKernel(&x[i], &y[i], n))
		}
	}
	return sum, head
}

// tailOf returns grad[head:], or nil for a nil grad.
func tailOf(grad []float32, head int) []float32 {
	if grad == nil {
		return nil
	}
	return grad[head:]
}

func bceAVX2(grad, z, y []float32, scale float32) float64 {
	s, h := lossAVX2(grad, z, y, scale, bceKernel, bceLossKernel)
	return s + bceGeneric(tailOf(grad, h), z[h:], y[h:], scale)
}

// mseAVX2: the kernels sum d², MSE halves it.
func mseAVX2(grad, pred, y []float32, scale float32) float64 {
	s, h := lossAVX2(grad, pred, y, scale, mseKernel, mseLossKernel)
	return s/2 + mseGeneric(tailOf(grad, h), pred[h:], y[h:], scale)
}
