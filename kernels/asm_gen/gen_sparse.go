package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// maxSparseVecs is the widest column block of a sparse product, in 8-float
// vectors: its accumulators and the broadcast value take 14 registers; a
// block that ends in a partial vector has at most maxSparseVecs-1 whole
// ones, and a mask and a temporary besides.
const maxSparseVecs = 13

// sparseFamily emits the sparse × dense products (zsparse_amd64.s, wired in
// sparse_amd64.go): spmmN for column blocks of N whole vectors and spmmNm
// for N whole vectors and a partial one.
func sparseFamily() {
	for nv := 1; nv <= maxSparseVecs; nv++ {
		spmmAsm(nv, false)
	}
	for nv := 0; nv < maxSparseVecs; nv++ {
		spmmAsm(nv, true)
	}
}

// spmmAsm emits spmmN (spmmNm when masked), which computes one column
// block of nv whole vectors (and, when masked, a last partial one whose
// lanes the mask marks) for rows rows of a CSR matrix S: for each row i
// (offs[i·ostride] to offs[i·ostride+1] its nonzeros: ostride 1 for a
// CSR's offsets, more for a table of them by blocks of columns),
// acc = Σ vals[p]·B[cols[p]] over the row's nonzeros in order, each a fused
// multiply-add, then C[i] = alpha·acc (+ beta·C[i] when readC is not 0). c
// and b point at the block's first column; ldc and ldb are in floats. It
// returns -1, or the first p whose cols[p] is not in [0, k), having
// written the rows before. Masked lanes are neither read nor written.
func spmmAsm(nv int, masked bool) {
	name := fmt.Sprintf("spmm%d", nv)
	sig := "func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, readC int) int"
	width := fmt.Sprint(8 * nv)
	if masked {
		name += "m"
		sig = "func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, readC int, mask *int32) int"
		width += "+" + "(mask)"
	}
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
	readC := Load(Param("readC"), GP64())
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
	for j := 0; j < accs; j++ {
		VXORPS(ymm(j), ymm(j), ymm(j))
	}
	MOVQ(Mem{Base: offs}, p)
	MOVQ(Mem{Base: offs, Disp: 8}, end)
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
	VBROADCASTSS(paramAddr("alpha"), v)
	for j := 0; j < accs; j++ {
		VMULPS(v, ymm(j), ymm(j))
	}
	TESTQ(readC, readC)
	JE(LabelRef(l("write")))
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
		VMASKMOVPS(ymm(nv), mask, last)
	}
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
