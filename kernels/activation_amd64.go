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
	softmax: softmaxAVX2, bce: bceGeneric, mse: mseGeneric, sxe: sxeAVX2,
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
