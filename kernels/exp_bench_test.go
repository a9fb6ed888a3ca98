package kernels

import "testing"

func BenchmarkExp(b *testing.B) {
	benchActivation(b, func(im *Impl, dst, src, _ []float32) { im.exp.exp(dst, src) }, 2)
}

func BenchmarkLog(b *testing.B) {
	benchActivation(b, func(im *Impl, dst, src, _ []float32) { im.exp.log(dst, src) }, 2)
}
