package kernels

// expKernels are one implementation's exponential and logarithm: they set
// dst[i] = f(src[i]); len(dst) == len(src), and dst may be src.
type expKernels struct {
	exp, log func(dst, src []float32)
}

// Exp sets dst[i] = e^src[i]. It is within 4 ULP of the exact value over
// the whole float32 range; results below the smallest normal float32
// (src[i] < -87.34) are 0, e^+Inf = +Inf, e^-Inf = 0 and NaN stays NaN.
// dst may be src; it panics unless len(dst) == len(src).
func Exp(dst, src []float32) {
	needLen("dst", dst, len(src))
	Default().exp.exp(dst, src)
}

// Log sets dst[i] = ln(src[i]), within 4 ULP for positive src[i]
// (subnormals included); ln(±0) = -Inf, ln(+Inf) = +Inf and ln of a
// negative number or NaN is NaN. dst may be src; it panics unless
// len(dst) == len(src).
func Log(dst, src []float32) {
	needLen("dst", dst, len(src))
	Default().exp.log(dst, src)
}
