//go:build amd64 && gc && !purego

package kernels

var avx2Act = actKernels{
	sigmoid: sigmoidAVX2, tanh: tanhAVX2, relu: reluVec,
	sigmoidBackward: sigmoidBackwardVec, tanhBackward: tanhBackwardVec, reluBackward: reluBackwardVec,
	softmax: softmaxAVX2,
}

func sigmoidAVX2(dst, src []float32) {
	unaryAVX2(dst, src, sigmoidKernel, sigmoidKernelNT, sigmoidGeneric)
}

func tanhAVX2(dst, src []float32) { unaryAVX2(dst, src, tanhKernel, tanhKernelNT, tanhGeneric) }

func reluVec(dst, src []float32) {
	checkVec(len(src), dst)
	t := runNT(len(src), dst, [][]float32{src},
		func(lo, hi int) { reluAVX2(&dst[lo], &src[lo], hi-lo) },
		func(lo, hi int) { reluAVX2NT(&dst[lo], &src[lo], hi-lo) },
		func(h int) { reluGeneric(dst[:h], src[:h]) })
	reluGeneric(dst[t:], src[t:])
}

func sigmoidBackwardVec(dz, da, a []float32) {
	checkVec(len(a), dz, da)
	t := runNT(len(a), dz, [][]float32{da, a},
		func(lo, hi int) { sigmoidBackwardAVX2(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(lo, hi int) { sigmoidBackwardAVX2NT(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(h int) { sigmoidBackwardGeneric(dz[:h], da[:h], a[:h]) })
	sigmoidBackwardGeneric(dz[t:], da[t:], a[t:])
}

func tanhBackwardVec(dz, da, a []float32) {
	checkVec(len(a), dz, da)
	t := runNT(len(a), dz, [][]float32{da, a},
		func(lo, hi int) { tanhBackwardAVX2(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(lo, hi int) { tanhBackwardAVX2NT(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(h int) { tanhBackwardGeneric(dz[:h], da[:h], a[:h]) })
	tanhBackwardGeneric(dz[t:], da[t:], a[t:])
}

func reluBackwardVec(dz, da, a []float32) {
	checkVec(len(a), dz, da)
	t := runNT(len(a), dz, [][]float32{da, a},
		func(lo, hi int) { reluBackwardAVX2(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(lo, hi int) { reluBackwardAVX2NT(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(h int) { reluBackwardGeneric(dz[:h], da[:h], a[:h]) })
	reluBackwardGeneric(dz[t:], da[t:], a[t:])
}

func softmaxAVX2(dst, src []float32, rows, cols int) {
	softmaxWith(dst, src, rows, cols, expShiftSumAVX2)
}
