package kernels

// vecKernels are one implementation's elementwise and reduction kernels
// (ReLU, backward forms, bias adds, sums, axpy, scale, product, optimizer
// updates); the exported functions check their arguments and run
// Default()'s.
type vecKernels struct {
	// relu sets dst[i] = max(src[i], 0); len(dst) == len(src), dst may be src.
	relu func(dst, src []float32)
}
