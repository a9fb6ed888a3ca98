//go:build amd64 && gc && !purego

package kernels

// avx2Exp wires the exponential and the logarithm to the assembly in
// zexp_amd64.s through unaryAVX2 (elementwise_amd64.go).
var avx2Exp = expKernels{exp: expAVX2, log: logAVX2}

func expAVX2(dst, src []float32) { unaryAVX2(dst, src, expKernel, expKernelNT, expGeneric) }

func logAVX2(dst, src []float32) { unaryAVX2(dst, src, logKernel, logKernelNT, logGeneric) }

// expShiftSumAVX2 sets dst[i] = e^(src[i]−m) and returns their sum.
func expShiftSumAVX2(dst, src []float32, m float32) float64 {
	dst = dst[:len(src)]
	head := len(src) &^ 7
	var s float64
	for i := 0; i < head; i += unaryChunk {
		n := min(unaryChunk, head-i)
		s += float64(expShiftSumKernel(&dst[i], &src[i], n, m))
	}
	return s + expShiftSumGeneric(dst[head:], src[head:], m)
}
