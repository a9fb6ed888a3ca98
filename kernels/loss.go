package kernels

// lossKernels are one implementation's losses; the exported functions check
// their arguments and run Default()'s.
type lossKernels struct {
	// bce and mse are BCEWithLogits and MSE: len(z) == len(y), and grad
	// is nil or of the same length.
	bce, mse func(grad, z, y []float32, scale float32) float64
	// sxe is SoftmaxCrossEntropy: rows×cols, len(logits) == len(y) ==
	// rows*cols; grad is nil or of the same length.
	sxe func(grad, logits, y []float32, rows, cols int, scale float32) float64
}

// BCEWithLogits is binary cross-entropy taken from logits z against
// targets y (usually 0 or 1), with its gradient in the same pass. It
// returns Σ_i max(z_i,0) − z_i·y_i + log(1 + e^−|z_i|), the sum of
// −y·log σ(z) − (1−y)·log(1−σ(z)) computed stably for any z (it never
// takes log 0; an infinite z_i gives the limit, 0 for z_i = +∞ and y_i = 1
// or z_i = −∞ and y_i = 0) and summed in float64, and, unless grad is nil,
// sets grad[i] = scale·(σ(z_i) − y_i).
// grad may be z or y. It panics unless len(y) == len(z) and grad is nil or
// as long.
func BCEWithLogits(grad, z, y []float32, scale float32) float64 {
	needLen("y", y, len(z))
	needGradLen(grad, len(z))
	return Default().loss.bce(grad, z, y, scale)
}

// MSE returns ½ Σ_i (pred_i − y_i)² and, unless grad is nil, sets grad[i] =
// scale·(pred_i − y_i). The lecture's E = 1/(2N) Σ‖d − y‖² over N samples
// is MSE(grad, d, y, 1/N)/N, with grad then ∂E/∂d. grad may be pred or y.
// It panics unless len(y) == len(pred) and grad is nil or as long.
func MSE(grad, pred, y []float32, scale float32) float64 {
	needLen("y", y, len(pred))
	needGradLen(grad, len(pred))
	return Default().loss.mse(grad, pred, y, scale)
}

// SoftmaxCrossEntropy is the cross-entropy of the row-wise softmax of
// logits (rows contiguous rows of cols) against target distributions y
// (usually one-hot rows), with its gradient in the same pass. It returns
// −Σ y·log softmax(logits), computed as Σ y·(logsumexp − logit) so that it
// is finite for any finite logits (0 when cols is 0), and, unless grad is
// nil, sets grad = scale·(softmax(logits) − y). grad may be logits, not y. It panics unless
// rows, cols ≥ 0, len(logits) == len(y) == rows*cols and grad is nil or as
// long.
func SoftmaxCrossEntropy(grad, logits, y []float32, rows, cols int, scale float32) float64 {
	n := matrixLen(rows, cols)
	needLen("logits", logits, n)
	needLen("y", y, n)
	needGradLen(grad, n)
	return Default().loss.sxe(grad, logits, y, rows, cols, scale)
}
