package kernels

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks of the vector kernels (and, with the same harness, of ReLU,
// the backward forms and the optimizer updates) at three working-set sizes
// (all slices together): L1 (4 KiB), L2 (256 KiB) and out of cache
// (64 MiB), each reporting GB/s of bytes read plus written, next to a plain
// copy of the same working set as the memory-bandwidth reference. Compare
// with
//
//	go test -run XXX -bench 'Copy|Backward|Adam|ColSums' -count 10 ./kernels > out.txt
//	benchstat -col /impl out.txt

var vecBenchSizes = []struct {
	name  string
	bytes int
}{
	{"L1", 4 << 10},
	{"L2", 256 << 10},
	{"mem", 64 << 20},
}

// vecBenchData returns k slices of n values in (0, 1) (valid as saved
// sigmoid outputs and optimizer states).
func vecBenchData(k, n int) [][]float32 {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	s := make([][]float32, k)
	for i := range s {
		s[i] = make([]float32, n)
		for j := range s[i] {
			s[i][j] = 0.01 + 0.98*rng.Float32()
		}
	}
	return s
}

// BenchmarkCopy copies src to dst (the working set is both): the
// memory-bandwidth reference for the other kernels, reported as bytes read
// plus written.
func BenchmarkCopy(b *testing.B) {
	for _, sz := range vecBenchSizes {
		b.Run("size="+sz.name, func(b *testing.B) {
			s := vecBenchData(2, sz.bytes/8)
			b.SetBytes(int64(sz.bytes))
			for b.Loop() {
				copy(s[0], s[1])
			}
		})
	}
}

// benchVec runs one kernel over k slices that together take each benchmark
// size; moved is how many of the k streams are read plus written per
// element (e.g. 3 for dz = f(da, a)).
func benchVec(b *testing.B, k, moved int, f func(im *Impl, s [][]float32)) {
	for _, sz := range vecBenchSizes {
		for _, im := range Impls() {
			b.Run("size="+sz.name+"/impl="+im.Name(), func(b *testing.B) {
				n := sz.bytes / (4 * k)
				s := vecBenchData(k, n)
				b.SetBytes(int64(4 * n * moved))
				for b.Loop() {
					f(im, s)
				}
			})
		}
	}
}

func BenchmarkAxpy(b *testing.B) {
	benchVec(b, 2, 3, func(im *Impl, s [][]float32) { im.vec.axpy(1e-3, s[0], s[1]) })
}

func BenchmarkScale(b *testing.B) {
	benchVec(b, 1, 2, func(im *Impl, s [][]float32) { im.vec.scale(1, s[0]) })
}

func BenchmarkMul(b *testing.B) {
	benchVec(b, 3, 3, func(im *Impl, s [][]float32) { im.vec.mul(s[0], s[1], s[2]) })
}

// vecBenchCols is the width of the matrices of the bias and sum benchmarks:
// the hidden layer of the reference network.
const vecBenchCols = 196

// benchMatrix runs a matrix kernel on a rows×196 matrix of the benchmark
// size (plus a vector); moved counts the matrix's bytes read plus written.
func benchMatrix(b *testing.B, moved int, f func(im *Impl, x, vec []float32, rows, cols int)) {
	for _, sz := range vecBenchSizes {
		for _, im := range Impls() {
			b.Run("size="+sz.name+"/impl="+im.Name(), func(b *testing.B) {
				cols := vecBenchCols
				rows := max(1, sz.bytes/(4*cols))
				x := vecBenchData(1, rows*cols)[0]
				vec := vecBenchData(1, max(rows, cols))[0]
				b.SetBytes(int64(4 * rows * cols * moved))
				for b.Loop() {
					f(im, x, vec, rows, cols)
				}
			})
		}
	}
}

func BenchmarkAddRowVector(b *testing.B) {
	benchMatrix(b, 2, func(im *Impl, x, vec []float32, rows, cols int) { im.vec.addRow(x, rows, cols, vec[:cols]) })
}

func BenchmarkAddColVector(b *testing.B) {
	benchMatrix(b, 2, func(im *Impl, x, vec []float32, rows, cols int) { im.vec.addCol(x, rows, cols, vec[:rows]) })
}

func BenchmarkColSums(b *testing.B) {
	benchMatrix(b, 1, func(im *Impl, x, vec []float32, rows, cols int) { im.vec.colSums(vec[:cols], x, rows, cols) })
}

func BenchmarkRowSums(b *testing.B) {
	benchMatrix(b, 1, func(im *Impl, x, vec []float32, rows, cols int) { im.vec.rowSums(vec[:rows], x, rows, cols) })
}

func BenchmarkCountNonzero(b *testing.B) {
	benchVec(b, 1, 1, func(im *Impl, s [][]float32) { im.vec.count(s[0]) })
}

// BenchmarkCompressNonzero compresses one element in five (MNIST's
// density) of x, of the sizes of benchVec; bytes are those of x.
func BenchmarkCompressNonzero(b *testing.B) {
	for _, sz := range vecBenchSizes {
		n := sz.bytes / 12 // x, idx and vals
		x := vecBenchData(1, n)[0]
		for i := range x {
			if i%5 != 0 {
				x[i] = 0
			}
		}
		idx, vals := make([]int32, n), make([]float32, n)
		for _, im := range Impls() {
			b.Run("size="+sz.name+"/impl="+im.Name(), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					im.vec.compress(idx, vals, x, 0)
				}
			})
		}
	}
}
