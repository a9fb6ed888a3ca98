//go:build !purego

package kernels

import "fmt"

// macroAVX2 wires the assembly macro-kernel sgemmKernel6x16 after checking
// that every panel, the C tiles and the bias lie inside their slices.
func macroAVX2(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	checkMacro(ap, bp, c, kc, mt, nt, ldc, nt*nr, st)
	sgemmKernel6x16(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, st.alpha, st.beta, flag(st.accum), biasPtr(st), st.epi)
}

// macroAVX2x8 wires sgemmKernel6x8, which stores 8 columns of one B panel.
func macroAVX2x8(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	checkMacro(ap, bp, c, kc, mt, nt, ldc, 8, st)
	if nt != 1 {
		panic("kernels: internal error: sgemmKernel6x8 takes one B panel")
	}
	sgemmKernel6x8(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, st.alpha, st.beta, flag(st.accum), biasPtr(st), st.epi)
}

func biasPtr(st store) *float32 {
	if st.epi&(epiRowBias|epiColBias) == 0 {
		return nil
	}
	return &st.bias[0]
}

func checkMacro(ap, bp, c []float32, kc, mt, nt, ldc, cols int, st store) {
	need := 0 // bias elements the epilogue reads
	switch {
	case st.epi&epiRowBias != 0:
		need = mt * mr
	case st.epi&epiColBias != 0:
		need = cols
	}
	if kc <= 0 || mt <= 0 || nt <= 0 || ldc < cols || len(st.bias) < need || st.epi>>epiActShift > int(ActReLU) ||
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
