package main

import (
	"fmt"
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// sparseFamily emits the sparse × dense products (zsparse_amd64.s, wired in
// sparse_amd64.go): spmmN for column blocks of N whole vectors and spmmNm
// for N whole vectors and a partial one, row by row of a CSR matrix; and
// for the grouped form of a SparseA, spmmgRxN(m) (S·B, R rows at once) and
// spmmgtRxN(m) (Sᵀ·B into a tile).
func sparseFamily() {
	actConstants(activationConsts...) // the grouped forward's sigmoid
	for nv := 1; nv <= maxSparseVecs; nv++ {
		spmmAsm(nv, false)
	}
	for nv := 0; nv < maxSparseVecs; nv++ {
		spmmAsm(nv, true)
	}
	for _, g := range groupShapes {
		for nv := 1; nv <= g.vecs; nv++ {
			spmmGroupAsm(g, nv, false)
		}
		for nv := 0; nv < g.vecs; nv++ {
			spmmGroupAsm(g, nv, true)
		}
		for nv := 1; nv <= g.vecs; nv++ {
			spmmGroupTransAsm(g, nv, false)
		}
		for nv := 0; nv < g.vecs; nv++ {
			spmmGroupTransAsm(g, nv, true)
		}
	}
}

// sparseVariant returns the name, Go signature (params, then results),
// width text and vectors of a sparse kernel of nv whole vectors, or of its
// masked form: name + "m", a partial vector more whose lanes the argument
// mask marks.
func sparseVariant(name, params, results string, nv int, masked bool) (string, string, string, int) {
	if !masked {
		return name, params + results, fmt.Sprint(8 * nv), nv
	}
	return name + "m", params + ", mask *int32" + results, fmt.Sprint(8*nv) + "+(mask)", nv + 1
}

// groupRange turns a group's first and end column offsets, in cp and cend,
// into pointers into cols, and sets vp to the first one's r values in vals.
func groupRange(cp, cend, vp, cols, vals reg.Register, r int) {
	MOVQ(cp, vp)
	SHLQ(U8(bits.TrailingZeros(uint(4*r))), vp) // r floats a column
	ADDQ(vals, vp)
	SHLQ(U8(2), cp)
	ADDQ(cols, cp)
	SHLQ(U8(2), cend)
	ADDQ(cols, cend)
}

// spmmAsm emits spmmN (spmmNm when masked), which computes one column
// block of nv whole vectors (and, when masked, a last partial one whose
// lanes the mask marks) for rows rows of a CSR matrix S: for each row i
// (offs[i·ostride] to offs[i·ostride+1] its nonzeros: ostride 1 for a
// CSR's offsets, more for a table of them by blocks of columns),
// acc = Σ vals[p]·B[cols[p]] over the row's nonzeros in order, each a fused
// multiply-add, then by mode: spmmWrite C[i] = alpha·acc, spmmScale
// C[i] = alpha·acc + beta·C[i]; spmmAdd starts acc at C[i] rather than 0
// and stores it, and skips a row without nonzeros. c and b point at the
// block's first column; ldc and ldb are in floats. It returns -1, or the
// first p whose cols[p] is not in [0, k), having written the rows before.
// Masked lanes are neither read nor written.
func spmmAsm(nv int, masked bool) {
	name, sig, width, _ := sparseVariant(fmt.Sprintf("spmm%d", nv),
		"func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, mode int", ") int", nv, masked)
	text(name, sig, fmt.Sprintf("%s computes a %s-float column block of C = alpha·S·B (+ beta·C) for rows rows of a CSR matrix; see gen_sparse.go.", name, width))
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	offs := Load(Param("offs"), GP64())
	ostride := Load(Param("ostride"), GP64())
	SHLQ(U8(3), ostride)
	cols := Load(Param("cols"), GP64())
	vals := Load(Param("vals"), GP64())
	rows := Load(Param("rows"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	k := Load(Param("k"), GP64())
	mode := Load(Param("mode"), GP64())
	v := ymm(13)
	var mask, tmp reg.VecPhysical
	accs := nv
	if masked {
		mask, tmp = ymm(14), ymm(15)
		m := Load(Param("mask"), GP64())
		VMOVDQU(Mem{Base: m}, mask)
		accs++
	}
	last := Mem{Disp: 32 * nv} // the partial vector's offset
	p, end, col := GP64(), GP64(), GP64()
	l := func(s string) string { return name + "_" + s }
	TESTQ(rows, rows)
	JE(LabelRef(l("done")))
	Label(l("row"))
	MOVQ(Mem{Base: offs}, p)
	MOVQ(Mem{Base: offs, Disp: 8}, end)
	CMPQ(mode, U8(spmmAdd))
	JNE(LabelRef(l("zero")))
	CMPQ(p, end)
	JGE(LabelRef(l("next"))) // nothing to add: C's row stays as it is
	for j := 0; j < nv; j++ {
		VMOVUPS(Mem{Base: c, Disp: 32 * j}, ymm(j))
	}
	if masked {
		last.Base = c
		VMASKMOVPS(last, mask, ymm(nv))
	}
	JMP(LabelRef(l("nz")))
	Label(l("zero"))
	for j := 0; j < accs; j++ {
		VXORPS(ymm(j), ymm(j), ymm(j))
	}
	CMPQ(p, end)
	JGE(LabelRef(l("store")))
	Label(l("nz"))
	MOVLQSX(Mem{Base: cols, Index: p, Scale: 4}, col)
	CMPQ(col, k)
	JAE(LabelRef(l("bad"))) // unsigned: a negative index too
	IMULQ(ldb, col)
	ADDQ(b, col)
	VBROADCASTSS(Mem{Base: vals, Index: p, Scale: 4}, v)
	for j := 0; j < nv; j++ {
		VFMADD231PS(Mem{Base: col, Disp: 32 * j}, v, ymm(j))
	}
	if masked {
		last.Base = col
		VMASKMOVPS(last, mask, tmp)
		VFMADD231PS(tmp, v, ymm(nv))
	}
	INCQ(p)
	CMPQ(p, end)
	JL(LabelRef(l("nz")))
	Label(l("store"))
	CMPQ(mode, U8(spmmAdd))
	JE(LabelRef(l("write")))
	VBROADCASTSS(paramAddr("alpha"), v)
	for j := 0; j < accs; j++ {
		VMULPS(v, ymm(j), ymm(j))
	}
	CMPQ(mode, U8(spmmScale))
	JNE(LabelRef(l("write")))
	VBROADCASTSS(paramAddr("beta"), v)
	for j := 0; j < nv; j++ {
		VFMADD231PS(Mem{Base: c, Disp: 32 * j}, v, ymm(j))
	}
	last.Base = c
	if masked {
		VMASKMOVPS(last, mask, tmp)
		VFMADD231PS(tmp, v, ymm(nv))
	}
	Label(l("write"))
	for j := 0; j < nv; j++ {
		VMOVUPS(ymm(j), Mem{Base: c, Disp: 32 * j})
	}
	if masked {
		last.Base = c
		VMASKMOVPS(ymm(nv), mask, last)
	}
	Label(l("next"))
	ADDQ(ldc, c)
	ADDQ(ostride, offs)
	DECQ(rows)
	JNE(LabelRef(l("row")))
	Label(l("done"))
	MOVQ(I64(-1), p)
	Store(p, ReturnIndex(0))
	VZEROUPPER()
	RET()
	Label(l("bad"))
	Store(p, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// groupShape is a shape of the grouped products (spmmg, spmmgt): rows of
// S taken at once, and the widest column block, in 8-float vectors:
// rows·vecs accumulators (rows of B for spmmgt), a vector of B (of the
// tile) for each column and the broadcast value take the 16 registers.
// Package kernels names the routines by both numbers (spmmg4x3), so a
// shape here that it does not know fails to compile.
type groupShape struct{ rows, vecs int }

// groupShapes are the shapes generated: sparseGroup rows by
// sparseGroupVecs vectors (consts.go). (2 rows by 5 vectors, with fewer
// explicit zeros in the union and wider blocks, ran no faster on MNIST.)
var groupShapes = []groupShape{{sparseGroup, sparseGroupVecs}}

// The grouped form of a SparseA (sparse_prepared.go), which both grouped
// routines read: group g is rows rows[r·g+i] (i < r) of S, its columns
// the sorted union of theirs, cols[p] for p from offs[g·ostride] to
// offs[g·ostride+span] (span 1 for spmmgt), and vals[r·p+i] is row
// rows[r·g+i]'s value in column cols[p] (0 when it has none there). The
// column and row indices are not checked: PrepareSparse checked them, and
// the callers check B's and C's lengths against the largest.

// spmmGroupAsm emits spmmgRxN (spmmgRxNm when masked), which computes one
// column block of nv whole vectors (and, when masked, a last partial one
// whose lanes the mask marks) of C = alpha·S·B (+ beta·C) for groups
// groups: for each column p of a group's union in order, each row i's
// accumulators take vals[r·p+i]·B[cols[p]] (fused multiply-adds, the
// vectors of B's row loaded once for the r rows), then C's row rows[r·g+i]
// = act(alpha·acc (+ beta·C when readC is not 0) + bias) with the epilogue
// code epi (as the GEMM's macro-kernels take it; sigmoid and ReLU only:
// tanh needs a register more): bias at the block's first column, one a
// column, or bias[rows[r·g+i]], one a row. c and b point at the block's
// first column (of row 0); ldc and ldb are in floats. Masked lanes are
// neither read nor written.
func spmmGroupAsm(g groupShape, nv int, masked bool) {
	r, maxGroupVecs := g.rows, g.vecs
	name, sig, width, tv := sparseVariant(fmt.Sprintf("spmmg%dx%d", r, nv),
		"func(c *float32, ldc int, rows *int32, offs *int, ostride, span int, cols *int32, vals *float32, groups int, b *float32, ldb int, alpha, beta float32, readC int, bias *float32, epi int", ")", nv, masked)
	text(name, sig, fmt.Sprintf("%s computes a %s-float column block of C = alpha·S·B (+ beta·C) for groups of %d rows of a SparseA; see gen_sparse.go.", name, width, r))
	acc := func(i, j int) reg.VecPhysical { return ymm(i*tv + j) }
	bv := func(j int) reg.VecPhysical { return ymm(r*maxGroupVecs + j) }
	v := ymm(15)
	c := Load(Param("c"), GP64())
	rows := Load(Param("rows"), GP64())
	offs := Load(Param("offs"), GP64())
	cols := Load(Param("cols"), GP64())
	vals := Load(Param("vals"), GP64())
	groups := Load(Param("groups"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	var maskp reg.Register
	if masked {
		maskp = Load(Param("mask"), GP64())
	}
	cp, cend, vp, col := GP64(), GP64(), GP64(), GP64()
	l := func(s string) string { return name + "_" + s }
	last := 32 * nv // the partial vector's offset
	TESTQ(groups, groups)
	JE(LabelRef(l("done")))
	Label(l("group"))
	for i := 0; i < r; i++ {
		for j := 0; j < tv; j++ {
			VXORPS(acc(i, j), acc(i, j), acc(i, j))
		}
	}
	MOVQ(paramAddr("span"), cend)
	MOVQ(Mem{Base: offs, Index: cend, Scale: 8}, cend)
	MOVQ(Mem{Base: offs}, cp)
	groupRange(cp, cend, vp, cols, vals, r)
	CMPQ(cp, cend)
	JAE(LabelRef(l("store")))
	Label(l("nz"))
	MOVLQSX(Mem{Base: cp}, col)
	IMULQ(ldb, col)
	for j := 0; j < nv; j++ {
		VMOVUPS(Mem{Base: b, Index: col, Scale: 1, Disp: 32 * j}, bv(j))
	}
	if masked {
		VMOVDQU(Mem{Base: maskp}, v)
		VMASKMOVPS(Mem{Base: b, Index: col, Scale: 1, Disp: last}, v, bv(nv))
	}
	for i := 0; i < r; i++ {
		VBROADCASTSS(Mem{Base: vp, Disp: 4 * i}, v)
		for j := 0; j < tv; j++ {
			VFMADD231PS(bv(j), v, acc(i, j))
		}
	}
	ADDQ(U8(4), cp)
	ADDQ(U8(4*r), vp)
	CMPQ(cp, cend)
	JB(LabelRef(l("nz")))
	Label(l("store"))
	// The accumulators become C's rows, row i at c + rows[i]·ldc: alpha·acc
	// (+ beta·C), then the epilogue, then the stores. The vectors of B and
	// v are free now: Y12–Y15.
	rowAt := func(i int) { // col = the address of C's row rows[i]
		MOVLQSX(Mem{Base: rows, Disp: 4 * i}, col)
		IMULQ(paramAddr("ldc"), col)
		SHLQ(U8(2), col)
		ADDQ(c, col)
	}
	mask := func(y reg.VecPhysical) { // y = the partial vector's mask
		if masked {
			VMOVDQU(Mem{Base: maskp}, y)
		}
	}
	load := func(at Mem, j int, m, y reg.VecPhysical) { // y = the vector at, masked when j == nv
		if j == nv {
			VMASKMOVPS(at, m, y)
		} else {
			VMOVUPS(at, y)
		}
	}
	alpha, beta, cv, mk := ymm(15), ymm(14), ymm(13), ymm(12)
	VBROADCASTSS(paramAddr("alpha"), alpha)
	CMPQ(paramAddr("readC"), U8(0))
	JE(LabelRef(l("scale")))
	VBROADCASTSS(paramAddr("beta"), beta)
	mask(mk)
	for i := 0; i < r; i++ {
		rowAt(i)
		for j := 0; j < tv; j++ {
			VMULPS(alpha, acc(i, j), acc(i, j))
			load(Mem{Base: col, Disp: 32 * j}, j, mk, cv)
			VFMADD231PS(cv, beta, acc(i, j))
		}
	}
	JMP(LabelRef(l("epilogue")))
	Label(l("scale"))
	for i := 0; i < r; i++ {
		for j := 0; j < tv; j++ {
			VMULPS(alpha, acc(i, j), acc(i, j))
		}
	}
	// The epilogue (epi, as the GEMM's macro-kernels take it; no tanh,
	// which needs a register more): a bias per column (bias at the
	// block's first column) or per row (bias[rows[i]]), then sigmoid or
	// ReLU. cp and cend are free now.
	Label(l("epilogue"))
	e, bp := cp, cend
	Load(Param("epi"), e)
	TESTQ(e, e)
	JE(LabelRef(l("write")))
	Load(Param("bias"), bp)
	biasActs{
		rows: r, vecs: tv, acc: acc, e: e, label: l,
		rowBias: func() {},
		rowVec: func(i int, y reg.VecPhysical) {
			MOVLQSX(Mem{Base: rows, Disp: 4 * i}, col)
			VBROADCASTSS(Mem{Base: bp, Index: col, Scale: 4}, y)
		},
		colBias:  func() { mask(mk) },
		colVec:   func(j int, y reg.VecPhysical) { load(Mem{Base: bp, Disp: 32 * j}, j, mk, y) },
		scratch:  cv,
		done:     l("write"),
		doneNext: true,
	}.emit()
	Label(l("write"))
	mask(mk)
	for i := 0; i < r; i++ {
		rowAt(i)
		for j := 0; j < tv; j++ {
			at := Mem{Base: col, Disp: 32 * j}
			if j == nv {
				VMASKMOVPS(acc(i, j), mk, at)
			} else {
				VMOVUPS(acc(i, j), at)
			}
		}
	}
	Label(l("next"))
	ADDQ(U8(4*r), rows)
	MOVQ(paramAddr("ostride"), col)
	SHLQ(U8(3), col)
	ADDQ(col, offs)
	DECQ(groups)
	JNE(LabelRef(l("group")))
	Label(l("done"))
	VZEROUPPER()
	RET()
}

// spmmGroupTransAsm emits spmmgtRxN (spmmgtRxNm when masked), which adds
// Sᵀ·B to a tile of C for the columns of S in [p0, p0 + the tile's rows)
// over groups groups (their union columns in that block): for each group,
// its rows of B, rows[r·g+i], a column block of nv whole vectors and, when
// masked, a partial one whose lanes the mask marks (read as zeros
// elsewhere), are loaded once, then for each column p of the union in
// order, tile row p−p0 takes vals[r·q+i]·B[rows[r·g+i]] for i = 0..r−1 in
// turn (fused multiply-adds). t points at the tile's first row at the
// block's first column, b at B's row 0 at that column; ldt and ldb are in
// floats. The tile's rows are whole vectors (ldt and the block padded to
// a multiple of 8): its partial vector is read and written whole, and its
// masked lanes take zeros. rows holds groupPrefetch·r more entries than
// the groups take: the rows prefetched ahead.
func spmmGroupTransAsm(g groupShape, nv int, masked bool) {
	r, maxGroupVecs := g.rows, g.vecs
	name, sig, width, tv := sparseVariant(fmt.Sprintf("spmmgt%dx%d", r, nv),
		"func(t *float32, ldt, p0 int, rows *int32, offs *int, ostride int, cols *int32, vals *float32, groups int, b *float32, ldb int", ")", nv, masked)
	text(name, sig, fmt.Sprintf("%s adds a %s-float column block of Sᵀ·B to a tile for groups of %d rows of a SparseA; see gen_sparse.go.", name, width, r))
	brow := func(i, j int) reg.VecPhysical { return ymm(i*tv + j) }
	cv := func(j int) reg.VecPhysical { return ymm(r*maxGroupVecs + j) }
	v := ymm(15)
	t := Load(Param("t"), GP64())
	ldt := Load(Param("ldt"), GP64())
	SHLQ(U8(2), ldt)
	p0 := Load(Param("p0"), GP64())
	IMULQ(ldt, p0)
	SUBQ(p0, t) // t at the tile's row −p0: column p's row is t + p·ldt
	rows := p0
	Load(Param("rows"), rows)
	offs := Load(Param("offs"), GP64())
	cols := Load(Param("cols"), GP64())
	vals := Load(Param("vals"), GP64())
	groups := Load(Param("groups"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	cp, cend, vp, col := GP64(), GP64(), GP64(), GP64()
	l := func(s string) string { return name + "_" + s }
	last := 32 * nv
	rowAt := func(i int) { // col = the address of B's row rows[i]
		MOVLQSX(Mem{Base: rows, Disp: 4 * i}, col)
		IMULQ(ldb, col)
		ADDQ(b, col)
	}
	TESTQ(groups, groups)
	JE(LabelRef(l("done")))
	Label(l("group"))
	if masked {
		Load(Param("mask"), cp)
		VMOVDQU(Mem{Base: cp}, v)
	}
	for i := 0; i < r; i++ {
		rowAt(i)
		for j := 0; j < nv; j++ {
			VMOVUPS(Mem{Base: col, Disp: 32 * j}, brow(i, j))
		}
		if masked {
			VMASKMOVPS(Mem{Base: col, Disp: last}, v, brow(i, nv))
		}
	}
	// Prefetch the rows of B of the group groupPrefetch groups on: they
	// are read a few vectors each, a pattern that the hardware does not
	// foresee, and the group's loop cannot start before they arrive.
	for i := 0; i < r; i++ {
		rowAt(groupPrefetch*r + i)
		for off := 0; off < 32*tv; off += 64 {
			PREFETCHT0(Mem{Base: col, Disp: off})
		}
		PREFETCHT0(Mem{Base: col, Disp: 32*tv - 1})
	}
	MOVQ(Mem{Base: offs}, cp)
	MOVQ(Mem{Base: offs, Disp: 8}, cend)
	groupRange(cp, cend, vp, cols, vals, r)
	CMPQ(cp, cend)
	JAE(LabelRef(l("next")))
	Label(l("nz"))
	MOVLQSX(Mem{Base: cp}, col)
	IMULQ(ldt, col)
	ADDQ(t, col)
	for j := 0; j < tv; j++ {
		VMOVUPS(Mem{Base: col, Disp: 32 * j}, cv(j))
	}
	for i := 0; i < r; i++ {
		VBROADCASTSS(Mem{Base: vp, Disp: 4 * i}, v)
		for j := 0; j < tv; j++ {
			VFMADD231PS(brow(i, j), v, cv(j))
		}
	}
	for j := 0; j < tv; j++ {
		VMOVUPS(cv(j), Mem{Base: col, Disp: 32 * j})
	}
	ADDQ(U8(4), cp)
	ADDQ(U8(4*r), vp)
	CMPQ(cp, cend)
	JB(LabelRef(l("nz")))
	Label(l("next"))
	ADDQ(U8(4*r), rows)
	MOVQ(paramAddr("ostride"), col)
	SHLQ(U8(3), col)
	ADDQ(col, offs)
	DECQ(groups)
	JNE(LabelRef(l("group")))
	Label(l("done"))
	VZEROUPPER()
	RET()
}
