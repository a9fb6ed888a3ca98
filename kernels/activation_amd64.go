//go:build amd64 && gc && !purego

package kernels

// avx2Act wires the activations to the assembly in zactivation_amd64.s
// through the wrappers of elementwise_amd64.go.
var avx2Act = actKernels{
	sigmoid: sigmoidAVX2, tanh: tanhAVX2, relu: reluAVX2,
	sigmoidBackward: sigmoidBackwardAVX2, tanhBackward: tanhBackwardAVX2, reluBackward: reluBackwardAVX2,
	softmax: softmaxAVX2,
}

func sigmoidAVX2(dst, src []float32) {
	unaryAVX2(dst, src, sigmoidKernel, sigmoidKernelNT, sigmoidGeneric)
}

func tanhAVX2(dst, src []float32) { unaryAVX2(dst, src, tanhKernel, tanhKernelNT, tanhGeneric) }

func reluAVX2(dst, src []float32) { stream2AVX2(dst, src, reluKernel, reluKernelNT, reluGeneric) }

func sigmoidBackwardAVX2(dz, da, a []float32) {
	stream3AVX2(dz, da, a, sigmoidBackwardKernel, sigmoidBackwardKernelNT, sigmoidBackwardGeneric)
}

func tanhBackwardAVX2(dz, da, a []float32) {
	stream3AVX2(dz, da, a, tanhBackwardKernel, tanhBackwardKernelNT, tanhBackwardGeneric)
}

func reluBackwardAVX2(dz, da, a []float32) {
	stream3AVX2(dz, da, a, reluBackwardKernel, reluBackwardKernelNT, reluBackwardGeneric)
}

// softmaxAVX2 is Softmax with the assembly's exponential pass (exp_amd64.go).
func softmaxAVX2(dst, src []float32, rows, cols int) {
	softmaxWith(dst, src, rows, cols, expShiftSumAVX2)
}
