package kernels

// actKernels are one implementation's activations; the exported functions
// check their arguments and run Default()'s. The kernels may assume the
// lengths the exported functions check. Elementwise kernels process element
// by element, so an output may be the very same slice as an input; any
// other overlap is not allowed.
type actKernels struct {
	// sigmoid, tanh and relu set dst[i] = f(src[i]); len(dst) == len(src).
	// relu keeps NaN (and -0).
	sigmoid, tanh, relu func(dst, src []float32)
	// The backward forms from the saved output a: len(dz) == len(da) ==
	// len(a).
	sigmoidBackward, tanhBackward, reluBackward func(dz, da, a []float32)
	// softmax is Softmax: rows×cols, len(dst) == len(src) == rows*cols.
	softmax func(dst, src []float32, rows, cols int)
}

// Sigmoid sets dst[i] = 1/(1+e^-src[i]), within 4 ULP; it is exactly 1
// for large inputs, 0 (never NaN) for inputs below -87.34, where the
// exact value is below the normal range, and NaN for NaN. dst may be src;
// it panics unless len(dst) == len(src).
func Sigmoid(dst, src []float32) {
	needLen("dst", dst, len(src))
	Default().act.sigmoid(dst, src)
}

// SigmoidBackward sets dz[i] = da[i]·a[i]·(1−a[i]), the gradient through a
// sigmoid from its saved output a = σ(z) and the incoming gradient da, in
// one pass. All three slices have the same length; dz may be da or a.
func SigmoidBackward(dz, da, a []float32) {
	needLen("da", da, len(a))
	needLen("dz", dz, len(a))
	Default().act.sigmoidBackward(dz, da, a)
}

// Tanh sets dst[i] = tanh(src[i]), within 4 ULP (accurate for tiny
// inputs too: it is not computed as 2σ(2x)−1); tanh(±Inf) = ±1 and NaN
// stays NaN. dst may be src; it panics unless len(dst) == len(src).
func Tanh(dst, src []float32) {
	needLen("dst", dst, len(src))
	Default().act.tanh(dst, src)
}

// TanhBackward sets dz[i] = da[i]·(1−a[i]²), the gradient through tanh from
// its saved output a = tanh(z), computed as da·((1−a)(1+a)) so that it stays
// accurate where a is near ±1. All three slices have the same length; dz
// may be da or a.
func TanhBackward(dz, da, a []float32) {
	needLen("da", da, len(a))
	needLen("dz", dz, len(a))
	Default().act.tanhBackward(dz, da, a)
}

// ReLU sets dst[i] = max(src[i], 0). A NaN stays NaN (so does -0, which
// compares equal to 0). dst may be src; len(dst) must equal len(src).
func ReLU(dst, src []float32) {
	needLen("dst", dst, len(src))
	Default().act.relu(dst, src)
}

// ReLUBackward sets dz[i] = da[i] where a[i] > 0 and 0 elsewhere (also where
// a[i] is NaN), the gradient through a ReLU from its saved output a. All
// three slices have the same length; dz may be da or a.
func ReLUBackward(dz, da, a []float32) {
	needLen("da", da, len(a))
	needLen("dz", dz, len(a))
	Default().act.reluBackward(dz, da, a)
}

// Softmax sets each of the rows contiguous rows of dst (cols elements each)
// to the softmax of the same row of src: e^(x_j − max) / Σ_k e^(x_k − max).
// Subtracting the row's maximum keeps it finite for any finite logits. dst
// may be src; it panics unless rows, cols ≥ 0 and len(dst) == len(src) ==
// rows*cols.
func Softmax(dst, src []float32, rows, cols int) {
	n := matrixLen(rows, cols)
	needLen("dst", dst, n)
	needLen("src", src, n)
	Default().act.softmax(dst, src, rows, cols)
}
