//go:build !purego

package kernels

import "fmt"

// macroAVX2 wires the assembly macro-kernel sgemmKernel6x16 after checking
// that every panel and the C tiles lie inside their slices.
func macroAVX2(ap, bp, c []float32, kc, mt, nt, ldc int, alpha, beta float32, accum bool) {
	checkMacro(ap, bp, c, kc, mt, nt, ldc, nt*nr)
	sgemmKernel6x16(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, alpha, beta, flag(accum))
}

// macroAVX2x8 wires sgemmKernel6x8, which stores 8 columns of one B panel.
func macroAVX2x8(ap, bp, c []float32, kc, mt, nt, ldc int, alpha, beta float32, accum bool) {
	checkMacro(ap, bp, c, kc, mt, nt, ldc, 8)
	if nt != 1 {
		panic("kernels: internal error: sgemmKernel6x8 takes one B panel")
	}
	sgemmKernel6x8(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, alpha, beta, flag(accum))
}

func checkMacro(ap, bp, c []float32, kc, mt, nt, ldc, cols int) {
	if kc <= 0 || mt <= 0 || nt <= 0 || ldc < cols ||
		len(ap) < mt*kc*mr || len(bp) < nt*kc*nr || !holds(len(c), mt*mr, cols, ldc) {
		panic(fmt.Sprintf("kernels: internal error: macro-kernel kc=%d mt=%d nt=%d ldc=%d len(ap)=%d len(bp)=%d len(c)=%d",
			kc, mt, nt, ldc, len(ap), len(bp), len(c)))
	}
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The panel packers check that the panels lie inside src and dst, then run
// the assembly (with the Go twin on columns it does not handle).

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
