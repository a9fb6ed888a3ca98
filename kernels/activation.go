package kernels

// actKernels are one implementation's transcendental kernels (exp, log,
// sigmoid, tanh, softmax, the losses); the exported functions check their
// arguments and run Default()'s.
type actKernels struct {
	// sigmoid and tanh set dst[i] = f(src[i]); len(dst) == len(src), and
	// dst may be src.
	sigmoid, tanh func(dst, src []float32)
}
