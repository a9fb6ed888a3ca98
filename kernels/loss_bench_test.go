package kernels

import "testing"

func BenchmarkBCEWithLogits(b *testing.B) {
	benchActivation(b, func(im *Impl, grad, z, y []float32) { im.loss.bce(grad, z, y, 0.5) }, 3)
}

func BenchmarkMSE(b *testing.B) {
	benchActivation(b, func(im *Impl, grad, p, y []float32) { im.loss.mse(grad, p, y, 0.5) }, 3)
}

func BenchmarkSoftmaxCrossEntropy(b *testing.B) {
	benchActivation(b, func(im *Impl, grad, x, y []float32) {
		im.loss.sxe(grad, x, y, len(x)/1000, 1000, 0.5)
	}, 3)
}
