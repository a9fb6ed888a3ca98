//go:build amd64 && gc && !purego

package kernels

import "fmt"

// transposeAVX2 is Impl.transpose: transpose8 on the whole 8×8 blocks, a
// tile at a time, after checking that they lie inside src and dst, and the
// Go twin on the last rows and columns.
func transposeAVX2(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	r8, c8 := rows&^7, cols&^7
	if r8 > 0 && c8 > 0 {
		if !holds(len(src), r8, c8, lds) || !holds(len(dst), c8, r8, ldd) {
			panic(fmt.Sprintf("kernels: internal error: transpose rows=%d cols=%d lds=%d ldd=%d len(src)=%d len(dst)=%d",
				rows, cols, lds, ldd, len(src), len(dst)))
		}
		// Tiles of tr rows of src by tc columns, whose src and dst rows
		// stay in L1d together.
		tr, tc := 64, 32
		if crowded(lds) {
			tr = 16
		}
		if crowded(ldd) {
			tc = 16
		}
		for i := 0; i < r8; i += tr {
			for j := 0; j < c8; j += tc {
				transpose8(&dst[j*ldd+i], ldd, &src[i*lds+j], lds, min(tr, r8-i), min(tc, c8-j))
			}
		}
	}
	if c8 < cols && r8 > 0 { // the last columns of the first r8 rows
		transposeGeneric(dst[c8*ldd:], ldd, src[c8:], lds, r8, cols-c8)
	}
	if r8 < rows { // the last rows
		transposeGeneric(dst[r8:], ldd, src[r8*lds:], lds, rows-r8, cols)
	}
}
