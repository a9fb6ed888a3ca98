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
	sgemmMacroKernel("sgemmKernel6x16", kernelShape{mr, 16, 1})
	sgemmMacroKernel("sgemmKernel6x8", kernelShape{mr, 8, 1})
	// The bottom edge of C, fewer than mr rows: only its rows, straight
	// into C, rather than a whole tile through scratch.
	for rows := 1; rows < mr; rows++ {
		sgemmMacroKernel(fmt.Sprintf("sgemmKernel%dx16", rows), kernelShape{rows, 16, 1})
	}
	// One to three rows hold too few accumulators to hide the latency of
	// their fused multiply-adds (each sum is one chain, in k's order):
	// these take several B panels at once.
	for _, s := range wideShapes {
		sgemmMacroKernel(fmt.Sprintf("sgemmKernel%dx%d", s.rows, s.cols*s.panels), s)
	}
	sgemmColumnKernel()
	sgemvTransKernel()
}

// sgemvTransKernel emits sgemv8, the product of one row x with Bᵀ for B
// row-major (a layer's W: one output a row), or of A with one column x
// (A's rows as B's), reading B in place rather than packed: 8 rows of B by 8 of its columns at a time go through
// transpose8x8, which gives, for each of the 8 k, the 8 outputs' elements in
// one vector, times x's k-th element broadcast. Each output's sum is one
// chain of fused multiply-adds in k's order, the same as the tile kernels'
// (and the same store: alpha·sum, plus beta·C fused when accum != 0), so
// one row's result has the bits of the same row in a batch. The sums of a
// k block go through acc (groups·8 floats, zero on entry) between blocks
// of 8 k, since the transpose takes all 16 registers. The last kb%8 k
// load their 8 rows with mask (the first kb%8 lanes) and add only those
// k: no element past a row's kb is read.
func sgemvTransKernel() {
	text("sgemv8", "func(b *float32, ldb int, x, acc, c *float32, groups, kb int, alpha, beta float32, accum int, mask *int32)",
		"sgemv8 computes c[j] = alpha·Σ x[p]·b[j·ldb+p] (+ beta·c[j]) over p < kb for j < 8·groups, kb > 0, mask the first kb%8 lanes; see sgemm_amd64.go.")
	pb := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	ldb3 := GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	px := Load(Param("x"), GP64())
	kb := Load(Param("kb"), GP64())
	ANDQ(I32(-8), kb) // whole blocks of 8 k
	JE(LabelRef("ktail"))

	bg, ag, gg := GP64(), GP64(), GP64()
	Label("kloop")
	MOVQ(pb, bg)
	Load(Param("acc"), ag)
	Load(Param("groups"), gg)
	Label("gloop")
	loadTransposed(bg, ldb, ldb3)
	VMOVUPS(Mem{Base: ag}, reg.Y0)
	for q := 0; q < 8; q++ {
		VBROADCASTSS(Mem{Base: px, Disp: 4 * q}, reg.Y1)
		VFMADD231PS(ymm(8+q), reg.Y1, reg.Y0)
	}
	VMOVUPS(reg.Y0, Mem{Base: ag})
	LEAQ(Mem{Base: bg, Index: ldb, Scale: 8}, bg)
	ADDQ(U8(32), ag)
	DECQ(gg)
	JNE(LabelRef("gloop"))
	ADDQ(U8(32), pb)
	ADDQ(U8(32), px)
	SUBQ(U8(8), kb)
	JNE(LabelRef("kloop"))

	// The last t = kb%8 k, if any: rows loaded with mask, t multiply-adds.
	Label("ktail")
	t := Load(Param("kb"), kb)
	ANDQ(U8(7), t)
	JE(LabelRef("stores"))
	MOVQ(pb, bg)
	Load(Param("acc"), ag)
	Load(Param("groups"), gg)
	Label("tloop")
	pm := GP64()
	Load(Param("mask"), pm)
	VMOVDQU(Mem{Base: pm}, reg.Y8) // Y8 is free until the transpose
	base4 := pm
	LEAQ(Mem{Base: bg, Index: ldb, Scale: 4}, base4)
	for r := 0; r < 8; r++ {
		VMASKMOVPS(strided(bg, base4, ldb, ldb3, r, 0), reg.Y8, ymm(r))
	}
	transpose8x8()
	VMOVUPS(Mem{Base: ag}, reg.Y0)
	for q := 0; q < 7; q++ {
		VBROADCASTSS(Mem{Base: px, Disp: 4 * q}, reg.Y1)
		VFMADD231PS(ymm(8+q), reg.Y1, reg.Y0)
		CMPQ(t, U8(q+1))
		JE(LabelRef("tdone"))
	}
	Label("tdone")
	VMOVUPS(reg.Y0, Mem{Base: ag})
	LEAQ(Mem{Base: bg, Index: ldb, Scale: 8}, bg)
	ADDQ(U8(32), ag)
	DECQ(gg)
	JNE(LabelRef("tloop"))

	// C = alpha·acc (+ beta·C), as the tile kernels store.
	Label("stores")
	Load(Param("acc"), ag)
	pc := Load(Param("c"), GP64())
	Load(Param("groups"), gg)
	alpha, beta := reg.Y14, reg.Y15
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	mode := Load(Param("accum"), GP64())
	Label("store")
	VMOVUPS(Mem{Base: ag}, reg.Y0)
	VMULPS(alpha, reg.Y0, reg.Y0)
	TESTQ(mode, mode)
	JE(LabelRef("plain"))
	VFMADD231PS(Mem{Base: pc}, beta, reg.Y0)
	Label("plain")
	VMOVUPS(reg.Y0, Mem{Base: pc})
	ADDQ(U8(32), ag)
	ADDQ(U8(32), pc)
	DECQ(gg)
	JNE(LabelRef("store"))
	VZEROUPPER()
	RET()
}

// columnTiles is how many A panels sgemmColumn sums at once: 8 chains of
// fused multiply-adds hide their latency.
const columnTiles = 8

// sgemmColumnKernel emits sgemmColumn, for a right edge of C narrower than
// 8 columns: one column of C for mt A panels, with the 6 rows of a panel in
// the lanes of one vector (the panel's k-th row of 6 is A's k-th column
// there), times a broadcast element of B's column, so that a multiply-add
// does 6 rows' work where the 6×8 kernel's does one. Each lane's sum is
// the same chain, in k's order, as the tile kernels' for that element.
// out[6·it + r] takes row r of panel it: alpha·sum, plus beta·out when
// accum != 0 (loaded and stored 6 lanes at a time, mask the first 6).
func sgemmColumnKernel() {
	text("sgemmColumn", "func(a, b, out *float32, kc, mt, ldb int, alpha, beta float32, accum int, mask *int32)",
		"sgemmColumn computes one column of mt 6-row tiles of C from packed A panels and a strided column of B; see sgemm_amd64.go.")
	pa := Load(Param("a"), GP64())
	pout := Load(Param("out"), GP64())
	kc := Load(Param("kc"), GP64())
	mt := Load(Param("mt"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb) // bytes
	pm := Load(Param("mask"), GP64())
	mask := reg.Y15
	VMOVDQU(Mem{Base: pm}, mask)
	ts := GP64() // bytes between A panels: kc·6·4
	IMUL3Q(U32(mr*4), kc, ts)
	ts3 := GP64()
	LEAQ(Mem{Base: ts, Index: ts, Scale: 2}, ts3)
	alpha, beta := reg.Y13, reg.Y14
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	mode := GP64()
	Load(Param("accum"), mode)
	bc := reg.Y12

	// sum emits the sums of n panels (from cur, panels 4–7 from cur4 =
	// cur + 4·ts, both stepping a row of 6 at a time) into Y0…Y(n−1), then
	// stores them to out.
	sum := func(n int, name string) {
		cur, cur4 := GP64(), GP64()
		MOVQ(pa, cur)
		LEAQ(Mem{Base: pa, Index: ts, Scale: 4}, cur4)
		panel := func(t int) Mem { return strided(cur, cur4, ts, ts3, t, 0) }
		for t := 0; t < n; t++ {
			VXORPS(ymm(t), ymm(t), ymm(t))
		}
		pb := Load(Param("b"), GP64())
		kk := GP64()
		MOVQ(kc, kk)
		DECQ(kk) // the last row of a panel is loaded masked: it ends the panel
		JE(LabelRef(name + "last"))
		Label(name + "k")
		VBROADCASTSS(Mem{Base: pb}, bc)
		for t := 0; t < n; t++ {
			VFMADD231PS(panel(t), bc, ymm(t))
		}
		ADDQ(U8(mr*4), cur)
		ADDQ(U8(mr*4), cur4)
		ADDQ(ldb, pb)
		DECQ(kk)
		JNE(LabelRef(name + "k"))
		Label(name + "last")
		VBROADCASTSS(Mem{Base: pb}, bc)
		for t := 0; t < n; t++ {
			tmp := ymm(8 + t%4)
			VMASKMOVPS(panel(t), mask, tmp)
			VFMADD231PS(tmp, bc, ymm(t))
		}
		for t := 0; t < n; t++ {
			VMULPS(alpha, ymm(t), ymm(t))
		}
		TESTQ(mode, mode)
		JE(LabelRef(name + "store"))
		for t := 0; t < n; t++ {
			tmp := ymm(8 + t%4)
			VMASKMOVPS(Mem{Base: pout, Disp: t * mr * 4}, mask, tmp)
			VFMADD231PS(tmp, beta, ymm(t))
		}
		Label(name + "store")
		for t := 0; t < n; t++ {
			VMASKMOVPS(ymm(t), mask, Mem{Base: pout, Disp: t * mr * 4})
		}
		// Next panels.
		for range n {
			ADDQ(ts, pa)
		}
		ADDQ(U8(n*mr*4), pout)
		SUBQ(U8(n), mt)
	}

	CMPQ(mt, U8(columnTiles))
	JL(LabelRef("one"))
	Label("eight")
	sum(columnTiles, "eight")
	CMPQ(mt, U8(columnTiles))
	JGE(LabelRef("eight"))
	Label("one")
	TESTQ(mt, mt)
	JE(LabelRef("done"))
	sum(1, "one")
	JMP(LabelRef("one"))
	Label("done")
	VZEROUPPER()
	RET()
}

// wideShapes are the bottom-edge kernels that take several B panels a
// step: at least 8 accumulators (4 cycles of latency at two fused
// multiply-adds a cycle), at most 12.
var wideShapes = []kernelShape{{1, 16, 4}, {2, 16, 2}, {3, 16, 2}}

// kernelShape is the tile of C a macro-kernel computes per step: rows rows
// (at most mr) by panels B panels of cols columns (16, or 8 for a right
// edge) each.
type kernelShape struct{ rows, cols, panels int }

// vecs returns the vectors of a row of the tile.
func (s kernelShape) vecs() int { return s.cols / 8 * s.panels }

// acc returns the accumulator for row r, vector v (columns 8v..8v+7) of
// the tile.
func (s kernelShape) acc(r, v int) reg.VecPhysical { return ymm(r*s.vecs() + v) }

// accs calls f for every accumulator, row by row.
func (s kernelShape) accs(f func(r, v int)) {
	for r := 0; r < s.rows; r++ {
		for v := 0; v < s.vecs(); v++ {
			f(r, v)
		}
	}
}

// sgemmMacroKernel emits a macro-kernel that multiplies a packed block of A
// (mt micro-panels of kc×6) by a packed block of B (nt micro-panels of
// kc×16) and stores the first s.rows rows and s.cols (16 or 8) columns of
// every 6×16 tile of C as alpha*acc (+ beta*C when accum != 0). The tiles
// are walked B-panel outer, A-panel inner, so the B micro-panel stays in L1
// while the A block streams from L2. The 8-column form finishes a right
// edge of at most 8; the forms of fewer rows, with mt = 1, the bottom edge,
// s.panels B panels a step (nt a multiple of it). Each row's sums are the
// same whatever the form.
func sgemmMacroKernel(name string, s kernelShape) {
	rows, vecs, width := s.rows, s.vecs(), s.cols*s.panels
	text(name, "func(a, b, c *float32, kc, mt, nt, ldc int, alpha, beta float32, accum int, bias *float32, epi int)",
		fmt.Sprintf("%s computes mt×nt full %d×%d tiles of C from packed panels, %d a step; see sgemm_amd64.go.", name, rows, s.cols, s.panels))

	pa := Load(Param("a"), GP64())
	pb := Load(Param("b"), GP64())
	pc := Load(Param("c"), GP64())
	kc := Load(Param("kc"), GP64())
	nt := Load(Param("nt"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)         // bytes
	var ldc3, t reg.Register // rows 3–5 of C: from t = ct + 3·ldc
	if rows > 3 {
		ldc3 = GP64()
		LEAQ(Mem{Base: ldc, Index: ldc, Scale: 2}, ldc3)
	}
	var ps, ps3 reg.Register // bytes between B panels, and 3 times that
	if s.panels > 1 {
		ps = GP64()
		MOVQ(kc, ps)
		SHLQ(U8(6), ps) // kc·nr·4
		if s.panels > 3 {
			ps3 = GP64()
			LEAQ(Mem{Base: ps, Index: ps, Scale: 2}, ps3)
		}
	}

	bB := []reg.VecPhysical{reg.Y12, reg.Y13}
	bc0, bc1 := reg.Y14, reg.Y15

	Label("ntloop")
	ap := GP64()
	MOVQ(pa, ap)
	ct := GP64()
	MOVQ(pc, ct)
	it := GP64()
	Load(Param("mt"), it)

	Label("mtloop")
	s.accs(func(r, v int) { VXORPS(s.acc(r, v), s.acc(r, v), s.acc(r, v)) })
	kb := GP64()
	MOVQ(pb, kb)
	kk := GP64()
	MOVQ(kc, kk)

	// Prefetch the C tile: it is read (or written) after the k loop.
	if rows > 3 {
		t = GP64()
		LEAQ(Mem{Base: ct, Index: ldc3, Scale: 1}, t)
	}
	prefetch := []int{0}
	switch {
	case width == 16:
		prefetch = append(prefetch, 60)
	case width > 16:
		for off := 64; off < width*4; off += 64 {
			prefetch = append(prefetch, off)
		}
		prefetch = append(prefetch, width*4-4)
	}
	for r := 0; r < rows; r++ {
		for _, off := range prefetch {
			PREFETCHT0(crow(ct, t, ldc, ldc3, r, off))
		}
	}

	// bvec addresses vector v of the tile's row p+u of B: panel v/2.
	bvec := func(u, v int) Mem { return strided(kb, nil, ps, ps3, v/2, u*nr*4+32*(v%2)) }
	step := func(u int) {
		ao := u * mr * 4
		if vecs <= 2 { // B's vectors in registers, A broadcast row by row
			for v := 0; v < vecs; v++ {
				VMOVUPS(bvec(u, v), bB[v])
			}
			for r := 0; r < rows; r++ {
				bc := bc0
				if r%2 == 1 {
					bc = bc1
				}
				VBROADCASTSS(Mem{Base: ap, Disp: ao + 4*r}, bc)
				for v := 0; v < vecs; v++ {
					VFMADD231PS(bB[v], bc, s.acc(r, v))
				}
			}
			return
		}
		// Wide: A's rows broadcast (Y13–Y15), B vector by vector (Y12).
		for r := 0; r < rows; r++ {
			VBROADCASTSS(Mem{Base: ap, Disp: ao + 4*r}, ymm(13+r))
		}
		for v := 0; v < vecs; v++ {
			VMOVUPS(bvec(u, v), bB[0])
			for r := 0; r < rows; r++ {
				VFMADD231PS(bB[0], ymm(13+r), s.acc(r, v))
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
	s.accs(func(r, v int) { VMULPS(bB[0], s.acc(r, v), s.acc(r, v)) })
	mode := GP64()
	Load(Param("accum"), mode)
	TESTQ(mode, mode)
	JE(LabelRef("overwrite"))
	VBROADCASTSS(paramAddr("beta"), bB[1])
	s.accs(func(r, v int) { VFMADD231PS(crow(ct, t, ldc, ldc3, r, 32*v), bB[1], s.acc(r, v)) })
	Label("overwrite")
	tileEpilogue(s, ct, t, ldc, ldc3, it, nt)
	Label("plain")
	s.accs(func(r, v int) { VMOVUPS(s.acc(r, v), crow(ct, t, ldc, ldc3, r, 32*v)) })
	Label("stored")

	// Next A micro-panel: ap already points past this one.
	LEAQ(Mem{Base: ct, Index: ldc, Scale: 4}, ct)
	LEAQ(Mem{Base: ct, Index: ldc, Scale: 2}, ct)
	DECQ(it)
	JNE(LabelRef("mtloop"))

	// Next B micro-panels: kb points past the first one just used.
	switch s.panels {
	case 1:
		MOVQ(kb, pb)
	case 2:
		LEAQ(Mem{Base: kb, Index: ps, Scale: 1}, pb)
	case 4:
		LEAQ(Mem{Base: kb, Index: ps3, Scale: 1}, pb)
	default:
		panic(fmt.Sprint("no kernel of ", s.panels, " panels"))
	}
	if width*4 < 128 {
		ADDQ(U8(width*4), pc)
	} else {
		ADDQ(U32(width*4), pc)
	}
	if s.panels == 1 {
		DECQ(nt)
	} else {
		SUBQ(U8(s.panels), nt)
	}
	JNE(LabelRef("ntloop"))

	VZEROUPPER()
	RET()
}

// tileEpilogue emits the fused epilogue on the accumulators of one tile,
// after alpha and beta and before the store at "plain": the bias from
// bias[(mt−it)·6 + r] per row or bias[(nt₀−nt)·cols + j] per column, then
// the activation in registers, with Y12–Y15 as scratch. Tanh needs one
// register more: a tile of 12 accumulators has none free, so the last
// accumulator goes to C first and comes back when the others are stored.
func tileEpilogue(s kernelShape, ct, t, ldc, ldc3, it, nt reg.Register) {
	rows, vecs := s.rows, s.vecs()
	e := GP64()
	Load(Param("epi"), e)
	TESTQ(e, e)
	JE(LabelRef("plain"))
	p, off := GP64(), GP64()
	biasActs{
		rows: rows, vecs: vecs, acc: s.acc, e: e, label: func(l string) string { return l },
		rowBias: func() {
			Load(Param("bias"), p)
			Load(Param("mt"), off)
			SUBQ(it, off)
			IMUL3Q(U32(mr*4), off, off)
		},
		rowVec: func(r int, y reg.VecPhysical) { VBROADCASTSS(Mem{Base: p, Index: off, Scale: 1, Disp: 4 * r}, y) },
		colBias: func() {
			Load(Param("bias"), p)
			Load(Param("nt"), off)
			SUBQ(nt, off)
			IMUL3Q(U32(s.cols*4), off, off)
		},
		colVec: func(v int, y reg.VecPhysical) { VMOVUPS(Mem{Base: p, Index: off, Scale: 1, Disp: 32 * v}, y) },
		tanh:   true,
		done:   "plain",
	}.emit()

	Label("tanh")
	spill := rows*vecs == 12 // no register free
	last := s.acc(rows-1, vecs-1)
	lastMem := crow(ct, t, ldc, ldc3, rows-1, 32*(vecs-1))
	spare := reg.Y11 // free unless there are 12 accumulators (Y0…Y11)
	if spill {
		VMOVUPS(last, lastMem)
		spare = last
	}
	s.accs(func(r, v int) {
		if spill && s.acc(r, v) == last {
			return
		}
		tanhBody([]reg.VecPhysical{s.acc(r, v), reg.Y12, reg.Y13, reg.Y14, reg.Y15, spare})
		VMOVUPS(s.acc(r, v), crow(ct, t, ldc, ldc3, r, 32*v))
	})
	if spill {
		VMOVUPS(lastMem, last)
		tanhBody([]reg.VecPhysical{last, reg.Y12, reg.Y13, reg.Y14, reg.Y15, s.acc(0, 0)})
		VMOVUPS(last, lastMem)
	}
	JMP(LabelRef("stored"))
}

// crow addresses row r of the C tile at byte offset off: rows 0–2 from ct,
// rows 3–5 from t = ct + 3*ldc.
func crow(ct, t, ldc, ldc3 reg.Register, r, off int) Mem {
	if r >= mr {
		panic(fmt.Sprint("bad row ", r))
	}
	if r >= 3 {
		ct, r = t, r-3
	}
	return strided(ct, nil, ldc, ldc3, r, off)
}
