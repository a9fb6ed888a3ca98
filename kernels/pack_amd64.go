//go:build amd64 && gc && !purego

package kernels

import "fmt"

// The panel packers check that the panels lie inside src and dst, then run
// the assembly (zpack_amd64.s), with the Go twin on columns it does not
// handle.

func checkPanels(dst, src []float32, rows, cols, ld, dstLen int) {
	if rows <= 0 || cols <= 0 || ld < cols || len(dst) < dstLen || !holds(len(src), rows, cols, ld) {
		panic(fmt.Sprintf("kernels: internal error: packing rows=%d cols=%d ld=%d len(dst)=%d (need %d) len(src)=%d",
			rows, cols, ld, len(dst), dstLen, len(src)))
	}
}

func packANAVX2(dst, src []float32, ld, kc, n int) {
	packTransposing(dst, src, ld, kc, n, mr, packA6)
}

func packATAVX2(dst, src []float32, ld, kc, n int) {
	checkPanels(dst, src, kc, n*mr, ld, n*kc*mr)
	packA6T(&dst[0], &src[0], ld, kc, n)
}

func packBNAVX2(dst, src []float32, ld, kc, n int) {
	checkPanels(dst, src, kc, n*nr, ld, n*kc*nr)
	packB16(&dst[0], &src[0], ld, kc, n)
}

func packBTAVX2(dst, src []float32, ld, kc, n int) {
	packTransposing(dst, src, ld, kc, n, nr, packBT16)
}

// packTransposing packs n w-row panels, dst[t*kc*w + p*w + r] =
// src[(t*w+r)*ld + p], with asm on the first kc&^7 columns of each panel and
// Go on the rest.
func packTransposing(dst, src []float32, ld, kc, n, w int, asm func(dst, src *float32, ld, kc int)) {
	checkPanels(dst, src, n*w, kc, ld, n*kc*w)
	k8 := kc &^ 7
	for t := 0; t < n; t++ {
		d, s := dst[t*kc*w:], src[t*w*ld:]
		if k8 > 0 {
			asm(&d[0], &s[0], ld, k8)
		}
		for r := 0; r < w; r++ {
			for p := k8; p < kc; p++ {
				d[p*w+r] = s[r*ld+p]
			}
		}
	}
}
