package kernels

import "testing"

// Benchmarks of the optimizer updates, with the harness of
// vector_bench_test.go. The updates change their state: the values stay
// finite and in range over any number of steps with these small learning
// rates.

func BenchmarkSGD(b *testing.B) {
	benchVec(b, 2, 3, func(im *Impl, s [][]float32) { im.upd.sgd(s[0], s[0], s[1], 1e-9) })
}

func BenchmarkMomentum(b *testing.B) {
	benchVec(b, 3, 5, func(im *Impl, s [][]float32) { im.upd.momentum(s[0], s[0], s[1], s[2], 1e-9, 0.9) })
}

func BenchmarkAdaGrad(b *testing.B) {
	benchVec(b, 3, 5, func(im *Impl, s [][]float32) { im.upd.adagrad(s[0], s[0], s[1], s[2], 1e-9, 1e-7) })
}

func BenchmarkRMSProp(b *testing.B) {
	benchVec(b, 3, 5, func(im *Impl, s [][]float32) { im.upd.rmsprop(s[0], s[0], s[1], s[2], 1e-9, 0.9, 0.1, 1e-7) })
}

func BenchmarkAdam(b *testing.B) {
	p := newAdamParams(1e-9, 0.9, 0.999, 1e-7, 10)
	benchVec(b, 4, 7, func(im *Impl, s [][]float32) { im.upd.adam(s[0], s[0], s[1], s[2], s[3], p) })
}
