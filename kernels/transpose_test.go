package kernels

import "testing"

// TestTranspose checks Transpose on every shape around its 4×4 blocks,
// with padded leading dimensions and guard values in the padding.
func TestTranspose(t *testing.T) {
	for rows := range 11 {
		for cols := range 11 {
			lds, ldd := max(1, cols+3), max(1, rows+2)
			src := make([]float32, max(0, (rows-1)*lds+cols))
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, max(0, (cols-1)*ldd+rows))
			for i := range dst {
				dst[i] = -1
			}
			Transpose(dst, ldd, src, lds, rows, cols)
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
					if dst[at] != want {
						t.Fatalf("%d×%d: dst[%d,%d] = %v, want %v", rows, cols, j, i, dst[at], want)
					}
				}
			}
		}
	}
	x := make([]float32, 16)
	wantPanics(t, []panicCase{
		{func() { Transpose(x, 4, x[:15], 4, 4, 4) }, []string{"len(src) = 15"}},
		{func() { Transpose(x[:3], 4, x, 4, 2, 2) }, []string{"len(dst) = 3"}},
		{func() { Transpose(x[2:], 2, x, 2, 2, 2) }, []string{"dst shares memory with src"}},
	})
}
