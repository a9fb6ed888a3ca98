package main

import (
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// vectorFamily emits the vector kernels (zvector_amd64.s, wired in
// vector_amd64.go): axpy, scale, product, bias adds and sums.
func vectorFamily() {
	emitElementwiseKernels(vectorKernels)
	addRowAsm()
	addColAsm()
	colSumsAsm()
	rowSumsAsm()
	countNonzeroAsm()
	compressAsm()
}

// vectorKernels are the elementwise kernels of vector.go.
var vectorKernels = []ewKernel{
	{
		name: "axpyKernel", doc: "y[i] += alpha * x[i].",
		ptrs: []string{"x", "y"}, scalars: []string{"alpha"}, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMULPS(l.addr(0), l.c(0), l.t(0))
			VADDPS(l.addr(1), l.t(0), l.t(0))
			l.store(l.t(0), 1)
		},
	},
	{
		name: "scaleKernel", doc: "x[i] *= alpha.",
		ptrs: []string{"x"}, scalars: []string{"alpha"}, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMULPS(l.addr(0), l.c(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "mulKernel", doc: "dst[i] = x[i] * y[i].",
		ptrs: []string{"dst", "x", "y"}, nt: true, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMOVUPS(l.addr(1), l.t(0))
			VMULPS(l.addr(2), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
}

// addRowAsm emits addRowKernel: x[i*cols+j] += v[j] for i < rows and
// j < cols8 (a multiple of 8, at most cols).
func addRowAsm() {
	text("addRowKernel", "func(x, v *float32, rows, cols, cols8 int)", "addRowKernel adds v[j] to x[i*cols+j] for i < rows, j < cols8 (a multiple of 8, cols8 <= cols).")
	x := Load(Param("x"), GP64())
	v := Load(Param("v"), GP64())
	rows := Load(Param("rows"), GP64())
	stride := Load(Param("cols"), GP64())
	SHLQ(U8(2), stride)
	c8 := Load(Param("cols8"), GP64())
	TESTQ(rows, rows)
	JE(LabelRef("arv_done"))
	TESTQ(c8, c8)
	JE(LabelRef("arv_done"))
	Label("arv_row")
	px, pv, n := GP64(), GP64(), GP64()
	MOVQ(x, px)
	MOVQ(v, pv)
	MOVQ(c8, n)
	CMPQ(n, U8(32))
	JL(LabelRef("arv_one"))
	Label("arv_loop")
	for g := 0; g < 4; g++ {
		VMOVUPS(Mem{Base: pv, Disp: 32 * g}, ymm(g))
		VADDPS(Mem{Base: px, Disp: 32 * g}, ymm(g), ymm(g))
		VMOVUPS(ymm(g), Mem{Base: px, Disp: 32 * g})
	}
	ADDQ(U8(128), px)
	ADDQ(U8(128), pv)
	SUBQ(U8(32), n)
	CMPQ(n, U8(32))
	JGE(LabelRef("arv_loop"))
	Label("arv_one")
	TESTQ(n, n)
	JE(LabelRef("arv_next"))
	VMOVUPS(Mem{Base: pv}, reg.Y0)
	VADDPS(Mem{Base: px}, reg.Y0, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: px})
	ADDQ(U8(32), px)
	ADDQ(U8(32), pv)
	SUBQ(U8(8), n)
	JMP(LabelRef("arv_one"))
	Label("arv_next")
	ADDQ(stride, x)
	DECQ(rows)
	JNE(LabelRef("arv_row"))
	Label("arv_done")
	VZEROUPPER()
	RET()
}

// addColAsm emits addColKernel: x[i*cols+j] += v[i] for i < rows and
// j < cols8.
func addColAsm() {
	text("addColKernel", "func(x, v *float32, rows, cols, cols8 int)", "addColKernel adds v[i] to x[i*cols+j] for i < rows, j < cols8 (a multiple of 8, cols8 <= cols).")
	x := Load(Param("x"), GP64())
	v := Load(Param("v"), GP64())
	rows := Load(Param("rows"), GP64())
	stride := Load(Param("cols"), GP64())
	SHLQ(U8(2), stride)
	c8 := Load(Param("cols8"), GP64())
	TESTQ(rows, rows)
	JE(LabelRef("acv_done"))
	TESTQ(c8, c8)
	JE(LabelRef("acv_done"))
	Label("acv_row")
	px, n := GP64(), GP64()
	MOVQ(x, px)
	MOVQ(c8, n)
	VBROADCASTSS(Mem{Base: v}, reg.Y8)
	CMPQ(n, U8(32))
	JL(LabelRef("acv_one"))
	Label("acv_loop")
	for g := 0; g < 4; g++ {
		VADDPS(Mem{Base: px, Disp: 32 * g}, reg.Y8, ymm(g))
		VMOVUPS(ymm(g), Mem{Base: px, Disp: 32 * g})
	}
	ADDQ(U8(128), px)
	SUBQ(U8(32), n)
	CMPQ(n, U8(32))
	JGE(LabelRef("acv_loop"))
	Label("acv_one")
	TESTQ(n, n)
	JE(LabelRef("acv_next"))
	VADDPS(Mem{Base: px}, reg.Y8, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: px})
	ADDQ(U8(32), px)
	SUBQ(U8(8), n)
	JMP(LabelRef("acv_one"))
	Label("acv_next")
	ADDQ(stride, x)
	ADDQ(U8(4), v)
	DECQ(rows)
	JNE(LabelRef("acv_row"))
	Label("acv_done")
	VZEROUPPER()
	RET()
}

// colSumsAsm emits colSumsKernel: dst[j] = Σ_{i<rows} x[i*cols+j] for
// j < cols, rows >= 1. The rows are taken in blocks of sumBlock: within a
// block each strip of columns (32, then 8, then single columns) is summed
// down the block's rows in registers and added into dst, so x is read
// block by block, in order, and no sum takes more than about
// sumBlock + rows/sumBlock rounding steps.
func colSumsAsm() {
	text("colSumsKernel", "func(dst, x *float32, rows, cols int)", "colSumsKernel sets dst[j] to the sum of x[i*cols+j] over i < rows (rows >= 1), j < cols, in blocks of 16 rows.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	rows := Load(Param("rows"), GP64())
	cols := Load(Param("cols"), GP64())
	stride := GP64()
	MOVQ(cols, stride)
	SHLQ(U8(2), stride)
	p, pd, c, k, blk, q := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	// The rows are read strip by strip, a few cache lines per row at a time:
	// too many short streams for the hardware prefetcher. Each row step
	// prefetches the same columns of the row one block further down, the
	// lines the next block will read (prefetches never fault).
	ahead := GP64()
	IMUL3Q(U32(sumBlock), stride, ahead)
	prefetch := func(bytes int) {
		for off := 0; off < bytes; off += 64 {
			PREFETCHT0(Mem{Base: p, Index: ahead, Scale: 1, Disp: off})
		}
		PREFETCHT0(Mem{Base: p, Index: ahead, Scale: 1, Disp: bytes - 1})
	}

	// dst = 0
	VXORPS(reg.Y0, reg.Y0, reg.Y0)
	MOVQ(dst, pd)
	MOVQ(cols, c)
	Label("cs_zero8")
	CMPQ(c, U8(8))
	JL(LabelRef("cs_zero1"))
	VMOVUPS(reg.Y0, Mem{Base: pd})
	ADDQ(U8(32), pd)
	SUBQ(U8(8), c)
	JMP(LabelRef("cs_zero8"))
	Label("cs_zero1")
	TESTQ(c, c)
	JE(LabelRef("cs_block"))
	VMOVSS(reg.X0, Mem{Base: pd})
	ADDQ(U8(4), pd)
	DECQ(c)
	JMP(LabelRef("cs_zero1"))

	Label("cs_block")
	MOVQ(U32(sumBlock), blk)
	CMPQ(rows, blk)
	CMOVQLT(rows, blk)
	SUBQ(blk, rows)
	MOVQ(x, q) // q: top of the current strip in this block
	MOVQ(dst, pd)
	MOVQ(cols, c)

	strip := func(name string, w int) {
		CMPQ(c, U8(8*w))
		JL(LabelRef(name + "_end"))
		Label(name + "_strip")
		MOVQ(q, p)
		MOVQ(blk, k)
		prefetch(32 * w)
		for i := 0; i < w; i++ {
			VMOVUPS(Mem{Base: p, Disp: 32 * i}, ymm(i))
		}
		ADDQ(stride, p)
		DECQ(k)
		JE(LabelRef(name + "_flush"))
		Label(name + "_row")
		prefetch(32 * w)
		for i := 0; i < w; i++ {
			VADDPS(Mem{Base: p, Disp: 32 * i}, ymm(i), ymm(i))
		}
		ADDQ(stride, p)
		DECQ(k)
		JNE(LabelRef(name + "_row"))
		Label(name + "_flush")
		for i := 0; i < w; i++ {
			VADDPS(Mem{Base: pd, Disp: 32 * i}, ymm(i), ymm(i))
			VMOVUPS(ymm(i), Mem{Base: pd, Disp: 32 * i})
		}
		ADDQ(U8(32*w), q)
		ADDQ(U8(32*w), pd)
		SUBQ(U8(8*w), c)
		CMPQ(c, U8(8*w))
		JGE(LabelRef(name + "_strip"))
		Label(name + "_end")
	}
	strip("cs4", 4)
	strip("cs1", 1)
	// The last cols%8 columns one at a time.
	Label("cs_col")
	TESTQ(c, c)
	JE(LabelRef("cs_next"))
	MOVQ(q, p)
	MOVQ(blk, k)
	VMOVSS(Mem{Base: p}, reg.X0)
	ADDQ(stride, p)
	DECQ(k)
	JE(LabelRef("cs_colflush"))
	Label("cs_colrow")
	VADDSS(Mem{Base: p}, reg.X0, reg.X0)
	ADDQ(stride, p)
	DECQ(k)
	JNE(LabelRef("cs_colrow"))
	Label("cs_colflush")
	VADDSS(Mem{Base: pd}, reg.X0, reg.X0)
	VMOVSS(reg.X0, Mem{Base: pd})
	ADDQ(U8(4), q)
	ADDQ(U8(4), pd)
	DECQ(c)
	JMP(LabelRef("cs_col"))

	Label("cs_next")
	IMULQ(stride, blk)
	ADDQ(blk, x)
	TESTQ(rows, rows)
	JNE(LabelRef("cs_block"))
	VZEROUPPER()
	RET()
}

// rowSumsAsm emits rowSumsKernel: dst[i] = Σ_{j<cols} x[i*cols+j]. Each row
// is summed by four 8-wide accumulators over 32-column steps, flushed into
// four outer accumulators every sumBlock steps, then 8-column steps, a
// horizontal sum, and the last cols%8 elements one by one.
func rowSumsAsm() {
	text("rowSumsKernel", "func(dst, x *float32, rows, cols int)", "rowSumsKernel sets dst[i] to the sum of x[i*cols+j] over j < cols, for i < rows.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	rows := Load(Param("rows"), GP64())
	cols := Load(Param("cols"), GP64())
	n, k := GP64(), GP64()
	inner := func(i int) reg.VecPhysical { return ymm(i) }
	outer := func(i int) reg.VecPhysical { return ymm(4 + i) }
	TESTQ(rows, rows)
	JE(LabelRef("rs_done"))
	Label("rs_row")
	MOVQ(cols, n)
	for i := 0; i < 4; i++ {
		VXORPS(outer(i), outer(i), outer(i))
	}
	Label("rs_block")
	CMPQ(n, U8(32))
	JL(LabelRef("rs_eight"))
	for i := 0; i < 4; i++ {
		VMOVUPS(Mem{Base: x, Disp: 32 * i}, inner(i))
	}
	ADDQ(U32(128), x)
	SUBQ(U8(32), n)
	MOVQ(U32(sumBlock-1), k)
	Label("rs_step")
	CMPQ(n, U8(32))
	JL(LabelRef("rs_flush"))
	for i := 0; i < 4; i++ {
		VADDPS(Mem{Base: x, Disp: 32 * i}, inner(i), inner(i))
	}
	ADDQ(U32(128), x)
	SUBQ(U8(32), n)
	DECQ(k)
	JNE(LabelRef("rs_step"))
	Label("rs_flush")
	for i := 0; i < 4; i++ {
		VADDPS(inner(i), outer(i), outer(i))
	}
	JMP(LabelRef("rs_block"))
	Label("rs_eight")
	CMPQ(n, U8(8))
	JL(LabelRef("rs_hsum"))
	VADDPS(Mem{Base: x}, outer(0), outer(0))
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("rs_eight"))
	Label("rs_hsum")
	VADDPS(outer(1), outer(0), outer(0))
	VADDPS(outer(3), outer(2), outer(2))
	VADDPS(outer(2), outer(0), outer(0))
	VEXTRACTF128(U8(1), outer(0), reg.X1)
	VADDPS(reg.X1, outer(0).AsX(), reg.X0)
	VMOVHLPS(reg.X0, reg.X0, reg.X1)
	VADDPS(reg.X1, reg.X0, reg.X0)
	VMOVSHDUP(reg.X0, reg.X1)
	VADDSS(reg.X1, reg.X0, reg.X0)
	// The last cols%8 elements, in order, into a separate sum.
	VXORPS(reg.X2, reg.X2, reg.X2)
	Label("rs_tail")
	TESTQ(n, n)
	JE(LabelRef("rs_store"))
	VADDSS(Mem{Base: x}, reg.X2, reg.X2)
	ADDQ(U8(4), x)
	DECQ(n)
	JMP(LabelRef("rs_tail"))
	Label("rs_store")
	VADDSS(reg.X2, reg.X0, reg.X0)
	VMOVSS(reg.X0, Mem{Base: dst})
	ADDQ(U8(4), dst)
	DECQ(rows)
	JNE(LabelRef("rs_row"))
	Label("rs_done")
	VZEROUPPER()
	RET()
}

// countNonzeroAsm emits countNonzeroKernel: for i < n (a multiple of 32),
// the number of x[i] whose bits are zero but for the sign (+0 and -0), and
// whether any x[i] has an exponent of all ones (NaN or infinity). Each
// lane of a vector counts its zeros down by one (a compare's -1); n is at
// most maxCall, so a lane's count stays far inside int32.
func countNonzeroAsm() {
	text("countNonzeroKernel", "func(x *float32, n int) (zeros, bad int)",
		"countNonzeroKernel counts the x[i] that are +0 or -0 for i < n (a multiple of 32), and sets bad to 1 when any is NaN or infinite.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	abs, exp, zero, cnt, bad := ymm(8), ymm(9), ymm(10), ymm(11), ymm(12)
	splat(abs, 0x7fffffff) // all but the sign
	splat(exp, 0x7f800000) // the exponent
	VPXOR(zero, zero, zero)
	VPXOR(cnt, cnt, cnt)
	VPXOR(bad, bad, bad)
	TESTQ(n, n)
	JE(LabelRef("countNonzero_sum"))
	Label("countNonzero_loop")
	for g := 0; g < 4; g++ {
		v, e := ymm(g), ymm(4+g)
		VMOVDQU(Mem{Base: x, Disp: 32 * g}, v)
		VPAND(exp, v, e)
		VPAND(abs, v, v)
		VPCMPEQD(zero, v, v) // -1 where ±0
		VPCMPEQD(exp, e, e)  // -1 where NaN or infinite
		VPADDD(v, cnt, cnt)
		VPOR(e, bad, bad)
	}
	ADDQ(U32(128), x)
	SUBQ(U8(32), n)
	JNE(LabelRef("countNonzero_loop"))
	Label("countNonzero_sum")
	VEXTRACTI128(U8(1), cnt, reg.X1)
	VPADDD(reg.X1, cnt.AsX(), reg.X0)
	VPSHUFD(U8(0x4e), reg.X0, reg.X1) // lanes 2, 3, 0, 1
	VPADDD(reg.X1, reg.X0, reg.X0)
	VPSHUFD(U8(0xb1), reg.X0, reg.X1) // lanes 1, 0, 3, 2
	VPADDD(reg.X1, reg.X0, reg.X0)
	z := GP64()
	VMOVD(reg.X0, z.As32())
	MOVLQSX(z.As32(), z)
	NEGQ(z)
	Store(z, ReturnIndex(0))
	r := GP64()
	XORQ(r, r)
	VPTEST(bad, bad)
	SETNE(r.As8())
	Store(r, ReturnIndex(1))
	VZEROUPPER()
	RET()
}

// compressAsm emits compressKernel: the elements of x[0:n] (n a multiple
// of 8) whose bits are not zero apart from the sign go to vals from slot
// 0 on, and their indices, first + their place in x, to idx, in order; it
// returns how many. Each group of 8 is moved with one permutation from
// compress_perm (by the mask of the group's nonzeros: their lanes in
// order) and stored whole, so the stores reach 7 slots past the last one
// kept; compress_count holds each mask's number of lanes.
func compressAsm() {
	perm := GLOBL("compress_perm", RODATA|NOPTR)
	for m := 0; m < 256; m++ {
		k := 0
		for b := 0; b < 8; b++ {
			if m>>b&1 == 1 {
				DATA(32*m+4*k, U32(b))
				k++
			}
		}
		for ; k < 8; k++ {
			DATA(32*m+4*k, U32(0))
		}
	}
	count := GLOBL("compress_count", RODATA|NOPTR)
	for m := 0; m < 256; m++ {
		DATA(m, U8(bits.OnesCount8(uint8(m))))
	}
	iota := GLOBL("compress_iota", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}
	text("compressKernel", "func(x *float32, n int, idx *int32, vals *float32, first int32) (kept int)",
		"compressKernel writes the x[i] (i < n, a multiple of 8) that are not ±0 to vals and first+i to idx, in order, and returns how many; it stores up to 7 slots past them.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	idx := Load(Param("idx"), GP64())
	vals := Load(Param("vals"), GP64())
	abs, zero, at, eight := ymm(8), ymm(9), ymm(10), ymm(11)
	splat(abs, 0x7fffffff)
	splat(eight, 8)
	VPXOR(zero, zero, zero)
	f := Load(Param("first"), GP32())
	VMOVD(f, at.AsX())
	VPBROADCASTD(at.AsX(), at)
	VPADDD(iota, at, at) // first + 0 … 7
	permBase, countBase := GP64(), GP64()
	LEAQ(perm, permBase)
	LEAQ(count, countBase)
	p, m, c := GP64(), GP64(), GP64()
	XORQ(p, p)
	TESTQ(n, n)
	JE(LabelRef("compress_done"))
	Label("compress_loop")
	v, z, pm := ymm(0), ymm(1), ymm(2)
	VMOVUPS(Mem{Base: x}, v)
	VPAND(abs, v, z)
	VPCMPEQD(zero, z, z) // -1 where ±0
	VMOVMSKPS(z, m.As32())
	XORL(U32(0xff), m.As32()) // the nonzeros' lanes
	MOVQ(m, c)
	SHLQ(U8(5), c)
	VMOVDQU(Mem{Base: permBase, Index: c, Scale: 1}, pm)
	VPERMPS(v, pm, v)
	VPERMD(at, pm, z)
	VMOVUPS(v, Mem{Base: vals, Index: p, Scale: 4})
	VMOVDQU(z, Mem{Base: idx, Index: p, Scale: 4})
	MOVBQZX(Mem{Base: countBase, Index: m, Scale: 1}, c)
	ADDQ(c, p)
	VPADDD(eight, at, at)
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JNE(LabelRef("compress_loop"))
	Label("compress_done")
	Store(p, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// splat sets every 32-bit lane of v to bits.
func splat(v reg.VecPhysical, bits uint32) {
	t := GP32()
	MOVL(U32(bits), t)
	VMOVD(t, v.AsX())
	VPBROADCASTD(v.AsX(), v)
}
