//go:build amd64 && gc && !purego

package kernels

import "fmt"

// macroAVX2 wires the assembly macro-kernel sgemmKernel6x16 after checking
// that every panel, the C tiles and the bias lie inside their slices.
func macroAVX2(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	checkMacro(ap, bp, c, kc, mt, nt, ldc, mr, nt*nr, st)
	sgemmKernel6x16(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, st.alpha, st.beta, flag(st.accum), biasPtr(st), st.epi)
}

// macroAVX2x8 wires sgemmKernel6x8, which stores 8 columns of one B panel.
func macroAVX2x8(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	checkMacro(ap, bp, c, kc, mt, nt, ldc, mr, 8, st)
	if nt != 1 {
		panic("kernels: internal error: sgemmKernel6x8 takes one B panel")
	}
	sgemmKernel6x8(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, st.alpha, st.beta, flag(st.accum), biasPtr(st), st.epi)
}

// macroRowsAVX2 wires sgemmKernel1x16 … sgemmKernel5x16, with
// sgemmKernel1x64, 2x32 and 3x32 for as many B panels as they take: entry h
// stores the first h rows of one A panel's tiles (Impl.macroRows).
var macroRowsAVX2 = [mr]macroFunc{
	1: rowsAVX2(1, sgemmKernel1x16, sgemmKernel1x64, 4),
	2: rowsAVX2(2, sgemmKernel2x16, sgemmKernel2x32, 2),
	3: rowsAVX2(3, sgemmKernel3x16, sgemmKernel3x32, 2),
	4: rowsAVX2(4, sgemmKernel4x16, nil, 1),
	5: rowsAVX2(5, sgemmKernel5x16, nil, 1),
}

// asmMacro is the signature of the assembly macro-kernels.
type asmMacro = func(a, b, c *float32, kc, mt, nt, ldc int, alpha, beta float32, accum int, bias *float32, epi int)

// rowsAVX2 wires kernel, a macro-kernel that stores rows rows of one A
// panel's tiles, and wide, the same taking panels B panels a step (nil
// when panels is 1): wide takes the B panels it can, kernel the rest.
func rowsAVX2(rows int, kernel, wide asmMacro, panels int) macroFunc {
	return func(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
		checkMacro(ap, bp, c, kc, mt, nt, ldc, rows, nt*nr, st)
		if w := nt / panels * panels; wide != nil && w > 0 {
			wide(&ap[0], &bp[0], &c[0], kc, mt, w, ldc, st.alpha, st.beta, flag(st.accum), biasPtr(st), st.epi)
			if nt == w {
				return
			}
			bp, c, nt = bp[w*kc*nr:], c[w*nr:], nt-w
			if st.epi&epiColBias != 0 {
				st.bias = st.bias[w*nr:]
			}
		}
		kernel(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, st.alpha, st.beta, flag(st.accum), biasPtr(st), st.epi)
	}
}

// columnAVX2 wires sgemmColumn (Impl.column), after checking that the A
// panels, B's column and out lie inside their slices.
func columnAVX2(ap, b, out []float32, kc, mt, ldb int, st store) {
	if kc <= 0 || mt <= 0 || ldb <= 0 || len(ap) < mt*kc*mr || len(b) < (kc-1)*ldb+1 || len(out) < mt*mr {
		panic(fmt.Sprintf("kernels: internal error: column kernel kc=%d mt=%d ldb=%d len(ap)=%d len(b)=%d len(out)=%d",
			kc, mt, ldb, len(ap), len(b), len(out)))
	}
	sgemmColumn(&ap[0], &b[0], &out[0], kc, mt, ldb, st.alpha, st.beta, flag(st.accum), &tailMasks[8-mr])
}

// gemvAVX2 wires sgemv8 (Impl.gemv), after checking that B's 8·groups
// rows of kb, x, acc and c lie inside their slices.
func gemvAVX2(b []float32, ldb int, x, acc, c []float32, groups, kb int, st store) {
	if kb <= 0 || groups <= 0 || !holds(len(b), 8*groups, kb, ldb) || len(x) < kb || len(acc) < 8*groups || len(c) < 8*groups {
		panic(fmt.Sprintf("kernels: internal error: gemv kernel kb=%d groups=%d ldb=%d len(b)=%d len(x)=%d len(acc)=%d len(c)=%d",
			kb, groups, ldb, len(b), len(x), len(acc), len(c)))
	}
	sgemv8(&b[0], ldb, &x[0], &acc[0], &c[0], groups, kb, st.alpha, st.beta, flag(st.accum), &tailMasks[8-kb%8])
}

func biasPtr(st store) *float32 {
	if st.epi&(epiRowBias|epiColBias) == 0 {
		return nil
	}
	return &st.bias[0]
}

// checkMacro panics unless a macro-kernel storing rows rows of each A
// panel's tiles (mr, or fewer with mt = 1) and cols columns in all stays
// inside its slices.
func checkMacro(ap, bp, c []float32, kc, mt, nt, ldc, rows, cols int, st store) {
	height := mt * mr // rows of C stored
	if rows < mr {
		height = rows
	}
	need := 0 // bias elements the epilogue reads
	switch {
	case st.epi&epiRowBias != 0:
		need = height
	case st.epi&epiColBias != 0:
		need = cols
	}
	if kc <= 0 || mt <= 0 || nt <= 0 || rows <= 0 || rows > mr || (rows < mr && mt != 1) || ldc < cols || len(st.bias) < need || st.epi>>epiActShift > int(ActReLU) ||
		len(ap) < mt*kc*mr || len(bp) < nt*kc*nr || !holds(len(c), height, cols, ldc) {
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
