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

// The panel packers check that the panel lies inside src and dst, run the
// assembly on the columns it handles and the Go twin on the rest.

func checkPanel(dst, src []float32, rows, cols, ld, kc, dstLen int) {
	if kc < 0 || ld < cols || len(dst) < dstLen || !holds(len(src), rows, cols, ld) {
		panic(fmt.Sprintf("kernels: internal error: panel rows=%d cols=%d ld=%d kc=%d len(dst)=%d len(src)=%d",
			rows, cols, ld, kc, len(dst), len(src)))
	}
}

func packANAVX2(dst, src []float32, ld, kc int) {
	checkPanel(dst, src, mr, kc, ld, kc, kc*mr)
	k8 := kc &^ 7
	if k8 > 0 {
		packA6(&dst[0], &src[0], ld, k8)
	}
	if k8 < kc {
		for r := 0; r < mr; r++ {
			for p := k8; p < kc; p++ {
				dst[p*mr+r] = src[r*ld+p]
			}
		}
	}
}

func packATAVX2(dst, src []float32, ld, kc int) {
	checkPanel(dst, src, kc, mr, ld, kc, kc*mr)
	if kc > 0 {
		packA6T(&dst[0], &src[0], ld, kc)
	}
}

func packBNAVX2(dst, src []float32, ld, kc int) {
	checkPanel(dst, src, kc, nr, ld, kc, kc*nr)
	if kc > 0 {
		packB16(&dst[0], &src[0], ld, kc)
	}
}

func packBTAVX2(dst, src []float32, ld, kc int) {
	checkPanel(dst, src, nr, kc, ld, kc, kc*nr)
	k8 := kc &^ 7
	if k8 > 0 {
		packBT16(&dst[0], &src[0], ld, k8)
	}
	if k8 < kc {
		for j := 0; j < nr; j++ {
			for p := k8; p < kc; p++ {
				dst[p*nr+j] = src[j*ld+p]
			}
		}
	}
}
