//go:build amd64 && gc && !purego

package kernels

// avx2Loss wires the losses to the assembly in zloss_amd64.s; the softmax
// cross-entropy runs on the exponential pass of exp_amd64.go.
var avx2Loss = lossKernels{bce: bceAVX2, mse: mseAVX2, sxe: sxeAVX2}

// lossChunk is the most elements one call of a loss kernel sums: its
// float32 partial sum then rounds over a bounded number of terms (the
// wrapper adds the chunk sums in float64), and the call stays short.
const lossChunk = 4096

// lossAVX2 runs a loss kernel (with grad) or lossKernel (grad nil) on the
// multiple-of-8 head of x in chunks and returns the sum of the chunk sums
// and the length of the head, which the caller finishes with the Go twin.
// A chunk whose float32 sum is not finite is summed again by twin, in
// float64: its terms may be finite and their sum not, or a term may be a
// limit the kernel does not take (an infinite logit).
func lossAVX2(grad, x, y []float32, scale float32,
	kernel func(grad, x, y *float32, n int, scale float32) float32,
	lossKernel func(x, y *float32, n int) float32,
	twin func(x, y []float32) float64) (sum float64, head int) {
	y = y[:len(x)] // panics unless len(y) >= len(x)
	if grad != nil {
		grad = grad[:len(x)]
	}
	head = len(x) &^ 7
	for i := 0; i < head; i += lossChunk {
		n := min(lossChunk, head-i)
		var s float32
		if grad != nil {
			s = kernel(&grad[i], &x[i], &y[i], n, scale)
		} else {
			s = lossKernel(&x[i], &y[i], n)
		}
		if s-s != 0 { // ±Inf or NaN
			sum += twin(x[i:i+n], y[i:i+n])
		} else {
			sum += float64(s)
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
	s, h := lossAVX2(grad, z, y, scale, bceKernel, bceLossKernel,
		func(z, y []float32) float64 { return bceGeneric(nil, z, y, 0) })
	return s + bceGeneric(tailOf(grad, h), z[h:], y[h:], scale)
}

// mseAVX2: the kernels sum d², MSE halves it.
func mseAVX2(grad, pred, y []float32, scale float32) float64 {
	s, h := lossAVX2(grad, pred, y, scale, mseKernel, mseLossKernel,
		func(p, y []float32) float64 { return 2 * mseGeneric(nil, p, y, 0) })
	return s/2 + mseGeneric(tailOf(grad, h), pred[h:], y[h:], scale)
}

func sxeAVX2(grad, logits, y []float32, rows, cols int, scale float32) float64 {
	return sxeWith(grad, logits, y, rows, cols, scale, expShiftSumAVX2)
}
