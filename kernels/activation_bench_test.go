package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the activations (and, with the same harness, of exp.go and
// loss.go) at a size in L1, in L2 and out of cache, for every
// implementation; GB/s counts the bytes read and written.

var actSizes = []struct {
	name  string
	bytes int // of the source
}{{"L1", 4 << 10}, {"L2", 256 << 10}, {"mem", 64 << 20}}

// benchInputs caches the random inputs (and outputs) of each size.
var benchInputs = map[int][3][]float32{}

func benchData(n int) (a, b, c []float32) {
	d, ok := benchInputs[n]
	if !ok {
		rng := rand.New(rand.NewPCG(21, uint64(n)))
		d = [3][]float32{make([]float32, n), make([]float32, n), make([]float32, n)}
		for i := range d[0] {
			d[0][i] = float32(rng.NormFloat64() * 4)
			d[1][i] = float32(rng.IntN(2))
		}
		benchInputs[n] = d
	}
	return d[0], d[1], d[2]
}

func benchActivation(b *testing.B, f func(im *Impl, dst, src, y []float32), streams int) {
	for _, sz := range actSizes {
		n := sz.bytes / 4
		for _, im := range Impls() {
			b.Run(fmt.Sprintf("size=%s/impl=%s", sz.name, im.Name()), func(b *testing.B) {
				src, y, dst := benchData(n)
				b.SetBytes(int64(streams * 4 * n))
				for b.Loop() {
					f(im, dst, src, y)
				}
				b.ReportMetric(float64(streams*4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

func BenchmarkSigmoid(b *testing.B) {
	benchActivation(b, func(im *Impl, dst, src, _ []float32) { im.act.sigmoid(dst, src) }, 2)
}

func BenchmarkTanh(b *testing.B) {
	benchActivation(b, func(im *Impl, dst, src, _ []float32) { im.act.tanh(dst, src) }, 2)
}

// BenchmarkSoftmax runs rows of 1000 (MNIST-sized outputs would be 10).
func BenchmarkSoftmax(b *testing.B) {
	benchActivation(b, func(im *Impl, dst, src, _ []float32) { im.act.softmax(dst, src, len(src)/1000, 1000) }, 2)
}

// ReLU and the backward forms stream memory like the vector kernels and use
// their harness (vector_bench_test.go): GB/s of all bytes read and written.

func BenchmarkReLU(b *testing.B) {
	benchVec(b, 2, 2, func(im *Impl, s [][]float32) { im.act.relu(s[0], s[1]) })
}

func BenchmarkSigmoidBackward(b *testing.B) {
	benchVec(b, 3, 3, func(im *Impl, s [][]float32) { im.act.sigmoidBackward(s[0], s[1], s[2]) })
}

func BenchmarkTanhBackward(b *testing.B) {
	benchVec(b, 3, 3, func(im *Impl, s [][]float32) { im.act.tanhBackward(s[0], s[1], s[2]) })
}

func BenchmarkReLUBackward(b *testing.B) {
	benchVec(b, 3, 3, func(im *Impl, s [][]float32) { im.act.reluBackward(s[0], s[1], s[2]) })
}
