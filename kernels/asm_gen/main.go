// Command asm_gen writes the AVX2/FMA assembly of package kernels with avo.
//
// Run it through `make generate` (or `go generate ./kernels`); it writes one
// ../zFAMILY_amd64.s and ../zFAMILY_stubs_amd64.go per family. Vector
// registers are assigned by hand: avo's allocator may hand out Y16–Y31,
// which exist only with AVX-512.
package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Micro-tile shape of the AVX2 SGEMM kernel: mr rows by nr columns of C, held
// in 12 YMM accumulators (two per row).
const (
	mr = 6
	nr = 16
)

// families are the groups of routines, each generated into its own file
// (`-family NAME -out ../zNAME_amd64.s -stubs ../zNAME_stubs_amd64.go`), so
// that each stays readable and is regenerated on its own.
var families = map[string]func(){
	"sgemm": func() {
		// The constants of the epilogue's sigmoid and tanh (gen_activation.go).
		actConstants("sign", "abs", "one", "magicBias", "log2e", "negLn2Hi", "negLn2Lo",
			"c5", "c4", "c3", "c2", "c1", "cutoff", "minus2", "minusHalf",
			"tanhSmall", "t1", "t2", "t3", "t4", "t5")
		sgemmMacroKernel("sgemmKernel6x16", 16)
		sgemmMacroKernel("sgemmKernel6x8", 8)
		packKernels()
		fmaPeak()
	},
	"activation": activationFamily, // gen_activation.go
	"vector":     vectorFamily,     // gen_vector.go
}

func main() {
	family := flag.String("family", "", "routines to generate: sgemm, activation or vector")
	flag.Parse()
	emit, ok := families[*family]
	if !ok {
		fmt.Fprintf(os.Stderr, "asm_gen: unknown -family %q\n", *family)
		os.Exit(2)
	}
	ConstraintExpr("!purego")
	emit()
	Generate()
}

// acc returns the accumulator for row r, half h (columns 8h..8h+7) of the tile.
func acc(r, h int) reg.VecPhysical {
	return ymm(2*r + h)
}

func ymm(i int) reg.VecPhysical {
	return []reg.VecPhysical{
		reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15,
	}[i]
}

// sgemmMacroKernel emits a macro-kernel that multiplies a packed block of A
// (mt micro-panels of kc×6) by a packed block of B (nt micro-panels of
// kc×16) and stores the first cols (16 or 8) columns of every 6×16 tile of C
// as alpha*acc (+ beta*C when accum != 0). The tiles are walked B-panel
// outer, A-panel inner, so the B micro-panel stays in L1 while the A block
// streams from L2. The 8-column form finishes a right edge of at most 8.
func sgemmMacroKernel(name string, cols int) {
	halves := cols / 8
	TEXT(name, NOSPLIT, "func(a, b, c *float32, kc, mt, nt, ldc int, alpha, beta float32, accum int, bias *float32, epi int)")
	Doc(fmt.Sprintf("%s computes mt×nt full 6×%d tiles of C from packed panels; see sgemm_amd64.go.", name, cols))

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
		for r := 0; r < mr; r++ {
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
	for r := 0; r < mr; r++ {
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
		for r := 0; r < mr; r++ {
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
	tileEpilogue(cols, ct, t, ldc, ldc3, it, nt)
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

// Epilogue codes of the macro-kernels' epi argument (store in sgemm.go):
// bit 0 adds a bias per row of C, bit 1 a bias per column, and the bits
// from 2 up select the activation (1 sigmoid, 2 tanh, 3 ReLU).
const (
	epiRowBias  = 1
	epiColBias  = 2
	epiActShift = 2
)

// tileEpilogue emits the fused epilogue on the accumulators of one tile,
// after alpha and beta and before the store at "plain": the bias from
// bias[(mt−it)·6 + r] per row or bias[(nt₀−nt)·cols + j] per column, then
// the activation in registers, with Y12–Y15 as scratch. Tanh needs one
// register more: a tile of 16 columns has none free, so the last
// accumulator goes to C first and comes back when the others are stored.
func tileEpilogue(cols int, ct, t, ldc, ldc3, it, nt reg.Register) {
	halves := cols / 8
	accs := func(f func(r, h int)) {
		for r := 0; r < mr; r++ {
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
	for r := 0; r < mr; r++ {
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
	CMPQ(e, U8(1))
	JE(LabelRef("sigmoid"))
	CMPQ(e, U8(2))
	JE(LabelRef("tanh"))
	CMPQ(e, U8(3))
	JNE(LabelRef("plain"))
	VXORPS(reg.Y12, reg.Y12, reg.Y12)
	accs(func(r, h int) { VMAXPS(acc(r, h), reg.Y12, acc(r, h)) }) // NaN, the second operand, stays
	JMP(LabelRef("plain"))

	Label("sigmoid")
	accs(func(r, h int) { sigmoidBody([]reg.VecPhysical{acc(r, h), reg.Y12, reg.Y13, reg.Y14, reg.Y15}) })
	JMP(LabelRef("plain"))

	Label("tanh")
	last := acc(mr-1, halves-1)
	lastMem := crow(ct, t, ldc, ldc3, mr-1, 32*(halves-1))
	spare := reg.Y11 // free when the tile has 8 columns (accumulators are Y0, Y2, …)
	if halves == 2 {
		VMOVUPS(last, lastMem)
		spare = last
	}
	accs(func(r, h int) {
		if halves == 2 && acc(r, h) == last {
			return
		}
		tanhBody([]reg.VecPhysical{acc(r, h), reg.Y12, reg.Y13, reg.Y14, reg.Y15, spare})
		VMOVUPS(acc(r, h), crow(ct, t, ldc, ldc3, r, 32*h))
	})
	if halves == 2 {
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

// pfRows is how many rows ahead the row-copying packers prefetch.
const pfRows = 4

// packKernels emits the packing routines whose Go versions measured too slow.
func packKernels() {
	packBTrans()
	packRows("packB16", nr)
	packRows("packA6T", mr)
	packANormal()
}

// packRows emits a packer of n micro-panels w (16 or 6) floats wide from
// whole rows: dst[t*kc*w + p*w + j] = src[p*ld + t*w + j], p < kc, j < w.
// It walks the source row by row, so reads stream through memory in order;
// packB16 packs op(B) = B, packA6T op(A) = Aᵀ.
func packRows(name string, w int) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, ld, kc, n int)")
	Doc(fmt.Sprintf("%s packs n %d-wide micro-panels of kc rows (row stride ld), reading each row once, in order.", name, w))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	kc := Load(Param("kc"), GP64())
	SHLQ(U8(2), ld)
	stride := GP64() // kc*w*4 bytes between panels in dst
	IMUL3Q(U32(w*4), kc, stride)
	ahead := GP64() // prefetch distance: pfRows rows
	IMUL3Q(U32(pfRows), ld, ahead)
	Label("row")
	s, d, t := GP64(), GP64(), GP64()
	MOVQ(src, s)
	MOVQ(dst, d)
	Load(Param("n"), t)
	Label("panel")
	PREFETCHT0(Mem{Base: s, Index: ahead, Scale: 1})
	if w == nr {
		VMOVUPS(Mem{Base: s}, reg.Y0)
		VMOVUPS(Mem{Base: s, Disp: 32}, reg.Y1)
		VMOVUPS(reg.Y0, Mem{Base: d})
		VMOVUPS(reg.Y1, Mem{Base: d, Disp: 32})
	} else { // 6 = 4 + 2
		VMOVUPS(Mem{Base: s}, reg.X0)
		VMOVQ(Mem{Base: s, Disp: 16}, reg.X1)
		VMOVUPS(reg.X0, Mem{Base: d})
		VMOVQ(reg.X1, Mem{Base: d, Disp: 16})
	}
	ADDQ(U8(w*4), s)
	ADDQ(stride, d)
	DECQ(t)
	JNE(LabelRef("panel"))
	ADDQ(ld, src)
	ADDQ(U8(w*4), dst)
	DECQ(kc)
	JNE(LabelRef("row"))
	VZEROUPPER()
	RET()
}

// packANormal emits packA6: dst[p*6+r] = src[r*ld+p] for r < 6, p < kc,
// the micro-panel of op(A) = A, transposing 8×8 blocks (rows 6 and 7 are
// copies of 4 and 5 and are dropped).
func packANormal() {
	TEXT("packA6", NOSPLIT, "func(dst, src *float32, ld, kc int)")
	Doc("packA6 interleaves kc columns of 6 rows (row stride ld) into a kc×6 micro-panel; kc must be a multiple of 8.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	kc := Load(Param("kc"), GP64())
	SHLQ(U8(2), ld)
	s3 := GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, s3)
	ADDQ(src, s3)
	n6, n9 := GP64(), GP64() // rows 6 and 9: the next panel
	LEAQ(Mem{Base: s3, Index: ld, Scale: 2}, n6)
	ADDQ(ld, n6)
	LEAQ(Mem{Base: n6, Index: ld, Scale: 2}, n9)
	ADDQ(ld, n9)
	Label("pan_loop")
	rows := []Mem{
		{Base: src}, {Base: src, Index: ld, Scale: 1}, {Base: src, Index: ld, Scale: 2},
		{Base: s3}, {Base: s3, Index: ld, Scale: 1}, {Base: s3, Index: ld, Scale: 2},
	}
	for r, m := range rows {
		VMOVUPS(m, ymm(r))
		// The same columns of the next panel's rows (the caller packs
		// panels in order): short row segments of 6 rows are too many
		// streams for the hardware prefetcher. Prefetches never fault.
		m.Base = n6
		if r >= 3 {
			m.Base = n9
		}
		PREFETCHT0(m)
	}
	VMOVAPS(reg.Y4, reg.Y6)
	VMOVAPS(reg.Y5, reg.Y7)
	transpose8x8()
	// Column p is Y8+p; its first 6 floats go to dst[p*6]. The 32-byte stores
	// spill 2 floats into the next column's slot, which the next store
	// rewrites; the last column is stored as 4+2.
	for p := 0; p < 7; p++ {
		VMOVUPS(ymm(8+p), Mem{Base: dst, Disp: p * mr * 4})
	}
	VMOVUPS(reg.X15, Mem{Base: dst, Disp: 7 * mr * 4})
	VEXTRACTF128(U8(1), reg.Y15, reg.X0)
	VMOVQ(reg.X0, Mem{Base: dst, Disp: 7*mr*4 + 16})
	ADDQ(U8(32), src)
	ADDQ(U8(32), s3)
	ADDQ(U8(32), n6)
	ADDQ(U8(32), n9)
	ADDQ(U8(8*mr*4), dst)
	SUBQ(U8(8), kc)
	JNE(LabelRef("pan_loop"))
	VZEROUPPER()
	RET()
}

// packBTrans emits packBT16: it packs 16 rows of a row-major matrix (the
// columns of op(B) = Bᵀ) into one kc×16 micro-panel, dst[p*16+j] =
// src[j*ld+p], transposing 8×8 blocks in registers.
func packBTrans() {
	TEXT("packBT16", NOSPLIT, "func(dst, src *float32, ld, kc int)")
	Doc("packBT16 packs kc columns of 16 rows of src (row stride ld) as kc rows of 16; kc must be a multiple of 8.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	kc := Load(Param("kc"), GP64())
	SHLQ(U8(2), ld)
	ld3 := GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	// Row pointers for rows 0 and 8; rows r and r+8 share offsets.
	s0 := GP64()
	MOVQ(src, s0)
	s4 := GP64()
	LEAQ(Mem{Base: s0, Index: ld, Scale: 4}, s4)
	s8 := GP64()
	LEAQ(Mem{Base: s4, Index: ld, Scale: 4}, s8)
	s12 := GP64()
	LEAQ(Mem{Base: s8, Index: ld, Scale: 4}, s12)
	// Rows 16, 20, 24, 28: the next panel, for prefetching.
	next := []reg.GPVirtual{GP64(), GP64(), GP64(), GP64()}
	LEAQ(Mem{Base: s12, Index: ld, Scale: 4}, next[0])
	for i := 1; i < 4; i++ {
		LEAQ(Mem{Base: next[i-1], Index: ld, Scale: 4}, next[i])
	}

	row := func(base0, base4 reg.Register, r int) Mem {
		b := base0
		if r >= 4 {
			b = base4
			r -= 4
		}
		switch r {
		case 0:
			return Mem{Base: b}
		case 1:
			return Mem{Base: b, Index: ld, Scale: 1}
		case 2:
			return Mem{Base: b, Index: ld, Scale: 2}
		}
		return Mem{Base: b, Index: ld3, Scale: 1}
	}

	Label("pbt_loop")
	for half := 0; half < 2; half++ {
		b0, b4 := s0, s4
		if half == 1 {
			b0, b4 = s8, s12
		}
		// Load an 8×8 block: 8 rows, 8 consecutive p, and prefetch the same
		// columns of the next panel's rows (16 short row segments are too
		// many streams for the hardware prefetcher).
		for r := 0; r < 8; r++ {
			m := row(b0, b4, r)
			VMOVUPS(m, ymm(r))
			m.Base = next[half*2+r/4]
			PREFETCHT0(m)
		}
		transpose8x8()
		// Row p of the block (Y8+p after transpose) goes to dst[p*16 + half*8].
		for p := 0; p < 8; p++ {
			VMOVUPS(ymm(8+p), Mem{Base: dst, Disp: p*nr*4 + half*32})
		}
	}
	ADDQ(U8(32), s0)
	ADDQ(U8(32), s4)
	ADDQ(U8(32), s8)
	ADDQ(U8(32), s12)
	for _, r := range next {
		ADDQ(U8(32), r)
	}
	ADDQ(U32(8*nr*4), dst)
	SUBQ(U8(8), kc)
	JNE(LabelRef("pbt_loop"))
	VZEROUPPER()
	RET()
}

// transpose8x8 transposes the 8×8 float32 block in Y0–Y7 (row i in Yi) into
// Y8–Y15 (column j in Y8+j), using Y0–Y7 as scratch.
func transpose8x8() {
	// Stage 1: interleave pairs of rows.
	for i := 0; i < 4; i++ {
		VUNPCKLPS(ymm(2*i+1), ymm(2*i), ymm(8+2*i))
		VUNPCKHPS(ymm(2*i+1), ymm(2*i), ymm(9+2*i))
	}
	// Y8 = r0r1 lo, Y9 = r0r1 hi, Y10 = r2r3 lo, Y11 = r2r3 hi, ...
	// Stage 2: combine 64-bit pairs.
	VSHUFPS(U8(0x44), ymm(10), ymm(8), ymm(0))
	VSHUFPS(U8(0xEE), ymm(10), ymm(8), ymm(1))
	VSHUFPS(U8(0x44), ymm(11), ymm(9), ymm(2))
	VSHUFPS(U8(0xEE), ymm(11), ymm(9), ymm(3))
	VSHUFPS(U8(0x44), ymm(14), ymm(12), ymm(4))
	VSHUFPS(U8(0xEE), ymm(14), ymm(12), ymm(5))
	VSHUFPS(U8(0x44), ymm(15), ymm(13), ymm(6))
	VSHUFPS(U8(0xEE), ymm(15), ymm(13), ymm(7))
	// Stage 3: swap 128-bit lanes.
	VPERM2F128(U8(0x20), ymm(4), ymm(0), ymm(8))
	VPERM2F128(U8(0x20), ymm(5), ymm(1), ymm(9))
	VPERM2F128(U8(0x20), ymm(6), ymm(2), ymm(10))
	VPERM2F128(U8(0x20), ymm(7), ymm(3), ymm(11))
	VPERM2F128(U8(0x31), ymm(4), ymm(0), ymm(12))
	VPERM2F128(U8(0x31), ymm(5), ymm(1), ymm(13))
	VPERM2F128(U8(0x31), ymm(6), ymm(2), ymm(14))
	VPERM2F128(U8(0x31), ymm(7), ymm(3), ymm(15))
}

// fmaPeak emits fmaPeak, a loop of 12 independent VFMADD231PS chains (192
// FLOP per iteration) that measures the core's float32 FMA throughput.
func fmaPeak() {
	TEXT("fmaPeak", NOSPLIT, "func(iters int)")
	Doc("fmaPeak runs iters iterations of 12 independent 8-wide FMAs (192 FLOP each).")
	n := Load(Param("iters"), GP64())
	for i := 0; i < 14; i++ {
		VXORPS(ymm(i), ymm(i), ymm(i))
	}
	TESTQ(n, n)
	JLE(LabelRef("done"))
	Label("loop")
	for i := 0; i < 12; i++ {
		VFMADD231PS(reg.Y12, reg.Y13, ymm(i))
	}
	DECQ(n)
	JNE(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// paramAddr is the stack address of a scalar parameter.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
