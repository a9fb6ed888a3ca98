package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestTranspose checks Transpose's kernel on every implementation, on every
// shape up to two 8×8 blocks and their edges (the 4×4 blocks of the Go
// twin included), with padded leading dimensions and guard values in the
// padding. Elements are distinct bit patterns, NaN payloads among them,
// which must arrive unchanged; src and dst end where their last element
// does.
func TestTranspose(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for rows := range 20 {
			for cols := range 20 {
				lds, ldd := max(1, cols+3), max(1, rows+2)
				src := make([]float32, max(0, (rows-1)*lds+cols))
				for i := range src {
					src[i] = math.Float32frombits(0x7f800001 + uint32(i)*0x10001) // NaNs, then other values
				}
				dst := make([]float32, max(0, (cols-1)*ldd+rows))
				for i := range dst {
					dst[i] = -1
				}
				im.transpose(dst, ldd, src, lds, rows, cols)
				for j := range cols {
					for i := range ldd {
						at := j*ldd + i
						if at >= len(dst) {
							break
						}
						want := float32(-1)
						if i < rows {
							want = src[i*lds+j]
						}
						if math.Float32bits(dst[at]) != math.Float32bits(want) {
							t.Fatalf("%d×%d: dst[%d,%d] = %#x, want %#x", rows, cols, j, i, math.Float32bits(dst[at]), math.Float32bits(want))
						}
					}
				}
			}
		}
	})
	x := make([]float32, 16)
	wantPanics(t, []panicCase{
		{func() { Transpose(x, 4, x[:15], 4, 4, 4) }, []string{"len(src) = 15"}},
		{func() { Transpose(x[:3], 4, x, 4, 2, 2) }, []string{"len(dst) = 3"}},
		{func() { Transpose(x[2:], 2, x, 2, 2, 2) }, []string{"dst shares memory with src"}},
	})
}

// BenchmarkTranspose transposes a first layer's weights as the sparse path
// does each step (W₁, 256×784 and 196×784, into W₁ᵀ), per implementation,
// in GB/s of elements read.
func BenchmarkTranspose(b *testing.B) {
	for _, s := range [][2]int{{256, 784}, {784, 256}, {196, 784}} {
		rows, cols := s[0], s[1]
		src, dst := make([]float32, rows*cols), make([]float32, rows*cols)
		for _, im := range Impls() {
			b.Run(fmt.Sprintf("shape=%dx%d/impl=%s", rows, cols, im.Name()), func(b *testing.B) {
				for b.Loop() {
					im.transpose(dst, rows, src, cols, rows, cols)
				}
				b.ReportMetric(float64(4*rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// TestLeadingDim checks which widths LeadingDim pads: those whose rows a
// multiple of 512 bytes apart crowd L1d's sets, and nothing else.
func TestLeadingDim(t *testing.T) {
	for n, want := range map[int]int{256: 264, 128: 136, 1024: 1032, 196: 196, 264: 264, 1: 1, 0: 0, -128: -128} {
		if got := LeadingDim(n); got != want {
			t.Errorf("LeadingDim(%d) = %d, want %d", n, got, want)
		}
	}
}
