package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// pfRows is how many rows ahead the row-copying packers prefetch.
const pfRows = 4

// packFamily emits the panel packers of the packed GEMM whose Go versions
// measured too slow (zpack_amd64.s, wired in pack_amd64.go).
func packFamily() {
	packBTrans()
	packRows("packB16", nr)
	packRows("packA6T", mr)
	packANormal()
	transposeBlocks()
}

// packRows emits a packer of n micro-panels w (16 or 6) floats wide from
// whole rows: dst[t*kc*w + p*w + j] = src[p*ld + t*w + j], p < kc, j < w.
// It walks the source row by row, so reads stream through memory in order;
// packB16 packs op(B) = B, packA6T op(A) = Aᵀ.
func packRows(name string, w int) {
	text(name, "func(dst, src *float32, ld, kc, n int)", fmt.Sprintf("%s packs n %d-wide micro-panels of kc rows (row stride ld), reading each row once, in order.", name, w))
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
	text("packA6", "func(dst, src *float32, ld, kc int)", "packA6 interleaves kc columns of 6 rows (row stride ld) into a kc×6 micro-panel; kc must be a multiple of 8.")
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
	text("packBT16", "func(dst, src *float32, ld, kc int)", "packBT16 packs kc columns of 16 rows of src (row stride ld) as kc rows of 16; kc must be a multiple of 8.")
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

	row := func(base0, base4 reg.Register, r int) Mem { return strided(base0, base4, ld, ld3, r, 0) }

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

// transposeBlocks emits transpose8, Transpose's kernel on whole 8×8
// blocks: each 8 rows of src, 8 columns at a time, go through transpose8x8
// to 8 rows of dst.
func transposeBlocks() {
	text("transpose8", "func(dst *float32, ldd int, src *float32, lds, rows, cols int)",
		"transpose8 sets dst[j*ldd+i] = src[i*lds+j] for i < rows and j < cols, both positive multiples of 8.")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	rows := Load(Param("rows"), GP64())
	lds3, ldd3 := GP64(), GP64()
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	Label("tr_rows")
	s0, d0 := GP64(), GP64() // the block: src rows i…i+7 at column j, dst rows j…j+7 at column i
	MOVQ(src, s0)
	MOVQ(dst, d0)
	cols := Load(Param("cols"), GP64())
	Label("tr_cols")
	loadTransposed(s0, lds, lds3)
	d4 := GP64()
	LEAQ(Mem{Base: d0, Index: ldd, Scale: 4}, d4)
	for r := 0; r < 8; r++ {
		VMOVUPS(ymm(8+r), strided(d0, d4, ldd, ldd3, r, 0))
	}
	ADDQ(U8(32), s0)
	LEAQ(Mem{Base: d4, Index: ldd, Scale: 4}, d0)
	SUBQ(U8(8), cols)
	JNE(LabelRef("tr_cols"))
	LEAQ(Mem{Base: src, Index: lds, Scale: 8}, src)
	ADDQ(U8(32), dst)
	SUBQ(U8(8), rows)
	JNE(LabelRef("tr_rows"))
	VZEROUPPER()
	RET()
}

// loadTransposed loads 8 rows of 8 floats from base, rows ld bytes apart
// (ld3 = 3·ld), into Y0–Y7 and transposes them into Y8–Y15 (column j of the
// block in Y8+j).
func loadTransposed(base, ld, ld3 reg.Register) {
	base4 := GP64()
	LEAQ(Mem{Base: base, Index: ld, Scale: 4}, base4)
	for r := 0; r < 8; r++ {
		VMOVUPS(strided(base, base4, ld, ld3, r, 0), ymm(r))
	}
	transpose8x8()
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
