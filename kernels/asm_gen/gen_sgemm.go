package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// sgemmFamily emits the macro-kernels of the packed GEMM with their fused
// epilogue (zsgemm_amd64.s, wired in sgemm_amd64.go).
func sgemmFamily() {
	actConstants(activationConsts...) // the epilogue's sigmoid and tanh
	sgemmMacroKernel("sgemmKernel6x16", mr, 16)
	sgemmMacroKernel("sgemmKernel6x8", mr, 8)
	// The bottom edge of C, fewer than mr rows: only its rows, straight
	// into C, rather than a whole tile through scratch.
	for rows := 1; rows < mr; rows++ {
		sgemmMacroKernel(fmt.Sprintf("sgemmKernel%dx16", rows), rows, 16)
	}
}

// acc returns the accumulator for row r, half h (columns 8h..8h+7) of the tile.
func acc(r, h int) reg.VecPhysical {
	return ymm(2*r + h)
}

// sgemmMacroKernel emits a macro-kernel that multiplies a packed block of A
// (mt micro-panels of kc×6) by a packed block of B (nt micro-panels of
// kc×16) and stores the first rows (at most 6) rows and cols (16 or 8)
// columns of every 6×16 tile of C as alpha*acc (+ beta*C when accum != 0).
// The tiles are walked B-panel outer, A-panel inner, so the B micro-panel
// stays in L1 while the A block streams from L2. The 8-column form
// finishes a right edge of at most 8; the forms of fewer rows, with mt = 1,
// the bottom edge. Each row's sums are the same whatever the form.
func sgemmMacroKernel(name string, rows, cols int) {
	halves := cols / 8
	text(name, "func(a, b, c *float32, kc, mt, nt, ldc int, alpha, beta float32, accum int, bias *float32, epi int)", fmt.Sprintf("%s computes mt×nt full %d×%d tiles of C from packed panels; see sgemm_amd64.go.", name, rows, cols))

	pa := Load(Param("a"), GP64())
	pb := Load(Param("b"), GP64())
	pc := Load(Param("c"), GP64())
	kc := Load(Param("kc"), GP64())
	nt := Load(Param("nt"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc) // bytes
	ldc3 := GP64()
	LEAQ(Mem{Base: ldc, Index: ldc, Scale: 2}, ldc3)

	bB := []reg.VecPhysical{reg.Y12, reg.Y13}
	bc0, bc1 := reg.Y14, reg.Y15
	accs := func(f func(r, h int)) {
		for r := 0; r < rows; r++ {
			for h := 0; h < halves; h++ {
				f(r, h)
			}
		}
	}

	Label("ntloop")
	ap := GP64()
	MOVQ(pa, ap)
	ct := GP64()
	MOVQ(pc, ct)
	it := GP64()
	Load(Param("mt"), it)

	Label("mtloop")
	accs(func(r, h int) { VXORPS(acc(r, h), acc(r, h), acc(r, h)) })
	kb := GP64()
	MOVQ(pb, kb)
	kk := GP64()
	MOVQ(kc, kk)

	// Prefetch the C tile: it is read (or written) after the k loop.
	t := GP64()
	LEAQ(Mem{Base: ct, Index: ldc3, Scale: 1}, t)
	for r := 0; r < rows; r++ {
		PREFETCHT0(crow(ct, t, ldc, ldc3, r, 0))
		if cols == 16 {
			PREFETCHT0(crow(ct, t, ldc, ldc3, r, 60))
		}
	}

	step := func(u int) {
		bo := u * nr * 4
		ao := u * mr * 4
		for h := 0; h < halves; h++ {
			VMOVUPS(Mem{Base: kb, Disp: bo + 32*h}, bB[h])
		}
		for r := 0; r < rows; r++ {
			bc := bc0
			if r%2 == 1 {
				bc = bc1
			}
			VBROADCASTSS(Mem{Base: ap, Disp: ao + 4*r}, bc)
			for h := 0; h < halves; h++ {
				VFMADD231PS(bB[h], bc, acc(r, h))
			}
		}
	}

	const unroll = 4
	CMPQ(kk, U8(unroll))
	JL(LabelRef("k1"))
	Label("k4loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(unroll*mr*4), ap)
	ADDQ(U32(unroll*nr*4), kb)
	SUBQ(U8(unroll), kk)
	CMPQ(kk, U8(unroll))
	JGE(LabelRef("k4loop"))

	Label("k1")
	TESTQ(kk, kk)
	JE(LabelRef("store"))
	Label("k1loop")
	step(0)
	ADDQ(U8(mr*4), ap)
	ADDQ(U8(nr*4), kb)
	DECQ(kk)
	JNE(LabelRef("k1loop"))

	Label("store")
	VBROADCASTSS(paramAddr("alpha"), bB[0])
	accs(func(r, h int) { VMULPS(bB[0], acc(r, h), acc(r, h)) })
	mode := GP64()
	Load(Param("accum"), mode)
	TESTQ(mode, mode)
	JE(LabelRef("overwrite"))
	VBROADCASTSS(paramAddr("beta"), bB[1])
	accs(func(r, h int) { VFMADD231PS(crow(ct, t, ldc, ldc3, r, 32*h), bB[1], acc(r, h)) })
	Label("overwrite")
	tileEpilogue(rows, cols, ct, t, ldc, ldc3, it, nt)
	Label("plain")
	accs(func(r, h int) { VMOVUPS(acc(r, h), crow(ct, t, ldc, ldc3, r, 32*h)) })
	Label("stored")

	// Next A micro-panel: ap already points past this one.
	LEAQ(Mem{Base: ct, Index: ldc, Scale: 4}, ct)
	LEAQ(Mem{Base: ct, Index: ldc, Scale: 2}, ct)
	DECQ(it)
	JNE(LabelRef("mtloop"))

	// Next B micro-panel: kb points past the one just used.
	MOVQ(kb, pb)
	ADDQ(U8(cols*4), pc)
	DECQ(nt)
	JNE(LabelRef("ntloop"))

	VZEROUPPER()
	RET()
}

// tileEpilogue emits the fused epilogue on the accumulators of one tile,
// after alpha and beta and before the store at "plain": the bias from
// bias[(mt−it)·6 + r] per row or bias[(nt₀−nt)·cols + j] per column, then
// the activation in registers, with Y12–Y15 as scratch. Tanh needs one
// register more: a tile of 6×16 has none free, so the last accumulator
// goes to C first and comes back when the others are stored.
func tileEpilogue(rows, cols int, ct, t, ldc, ldc3, it, nt reg.Register) {
	halves := cols / 8
	accs := func(f func(r, h int)) {
		for r := 0; r < rows; r++ {
			for h := 0; h < halves; h++ {
				f(r, h)
			}
		}
	}
	e := GP64()
	Load(Param("epi"), e)
	TESTQ(e, e)
	JE(LabelRef("plain"))

	TESTQ(U32(epiRowBias), e)
	JE(LabelRef("norowbias"))
	p, off := GP64(), GP64()
	Load(Param("bias"), p)
	Load(Param("mt"), off)
	SUBQ(it, off)
	IMUL3Q(U32(mr*4), off, off)
	for r := 0; r < rows; r++ {
		VBROADCASTSS(Mem{Base: p, Index: off, Scale: 1, Disp: 4 * r}, reg.Y12)
		for h := 0; h < halves; h++ {
			VADDPS(reg.Y12, acc(r, h), acc(r, h))
		}
	}
	Label("norowbias")
	TESTQ(U32(epiColBias), e)
	JE(LabelRef("nocolbias"))
	Load(Param("bias"), p)
	Load(Param("nt"), off)
	SUBQ(nt, off)
	IMUL3Q(U32(cols*4), off, off)
	for h := 0; h < halves; h++ {
		VMOVUPS(Mem{Base: p, Index: off, Scale: 1, Disp: 32 * h}, ymm(12+h))
	}
	accs(func(r, h int) { VADDPS(ymm(12+h), acc(r, h), acc(r, h)) })
	Label("nocolbias")

	SHRQ(U8(epiActShift), e)
	CMPQ(e, U8(actSigmoid))
	JE(LabelRef("sigmoid"))
	CMPQ(e, U8(actTanh))
	JE(LabelRef("tanh"))
	CMPQ(e, U8(actReLU))
	JNE(LabelRef("plain"))
	VXORPS(reg.Y12, reg.Y12, reg.Y12)
	accs(func(r, h int) { VMAXPS(acc(r, h), reg.Y12, acc(r, h)) }) // NaN, the second operand, stays
	JMP(LabelRef("plain"))

	Label("sigmoid")
	accs(func(r, h int) { sigmoidBody([]reg.VecPhysical{acc(r, h), reg.Y12, reg.Y13, reg.Y14, reg.Y15}) })
	JMP(LabelRef("plain"))

	Label("tanh")
	spill := rows == mr && halves == 2 // no register free
	last := acc(rows-1, halves-1)
	lastMem := crow(ct, t, ldc, ldc3, rows-1, 32*(halves-1))
	spare := reg.Y11 // free unless the tile is 6×16 (accumulators Y0…Y11)
	if spill {
		VMOVUPS(last, lastMem)
		spare = last
	}
	accs(func(r, h int) {
		if spill && acc(r, h) == last {
			return
		}
		tanhBody([]reg.VecPhysical{acc(r, h), reg.Y12, reg.Y13, reg.Y14, reg.Y15, spare})
		VMOVUPS(acc(r, h), crow(ct, t, ldc, ldc3, r, 32*h))
	})
	if spill {
		VMOVUPS(lastMem, last)
		tanhBody([]reg.VecPhysical{last, reg.Y12, reg.Y13, reg.Y14, reg.Y15, acc(0, 0)})
		VMOVUPS(last, lastMem)
	}
	JMP(LabelRef("stored"))
}

// crow addresses row r of the C tile at byte offset off: rows 0–2 from ct,
// rows 3–5 from t = ct + 3*ldc.
func crow(ct, t, ldc, ldc3 reg.Register, r, off int) Mem {
	switch r {
	case 0:
		return Mem{Base: ct, Disp: off}
	case 1:
		return Mem{Base: ct, Index: ldc, Scale: 1, Disp: off}
	case 2:
		return Mem{Base: ct, Index: ldc, Scale: 2, Disp: off}
	case 3:
		return Mem{Base: t, Disp: off}
	case 4:
		return Mem{Base: t, Index: ldc, Scale: 1, Disp: off}
	case 5:
		return Mem{Base: t, Index: ldc, Scale: 2, Disp: off}
	}
	panic(fmt.Sprint("bad row ", r))
}
