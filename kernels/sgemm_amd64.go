//go:build amd64 && gc && !purego

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
