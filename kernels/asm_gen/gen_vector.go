package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// vectorFamily emits the elementwise and reduction kernels: ReLU, the
// activation backward forms, bias adds, sums, axpy, scale, product and the
// optimizer updates.
//
// The elementwise routines take a count n that is a multiple of 8 (the Go
// wrappers in vector_amd64.go finish tails with the Go twins) and perform
// exactly the float32 operations of their twins in vector_generic.go, in the
// same order and without fusing, so the two agree bit for bit.
func vectorFamily() {
	for _, k := range elementwiseKernels {
		emitElementwise(k, false)
		if k.nt {
			emitElementwise(k, true)
		}
	}
	addRowVec()
	addColVec()
	colSumsAsm()
	rowSumsAsm()
}

// lanes gives the body of an elementwise kernel its registers and
// addresses for one 8-wide lane group of the unrolled loop.
type lanes struct {
	t     func(i int) reg.VecPhysical         // temporaries of this lane group
	c     func(i int) reg.VecPhysical         // broadcast constants (shared)
	addr  func(stream int) Mem                // this group's 32 bytes of a stream
	store func(v reg.VecPhysical, stream int) // v to this group's 32 bytes of a stream
}

// ewKernel describes an elementwise routine over pointer streams.
type ewKernel struct {
	name, doc string
	ptrs      []string // pointer parameters, one stream each
	scalars   []string // float32 parameters broadcast into constants, in order
	one       bool     // also broadcast 1.0 (after the scalars)
	zero      bool     // also a zero constant (after one)
	temps     int      // temporaries per lane group
	unroll    int      // lane groups per iteration
	// nt: also emit the non-temporal form, for kernels whose output is not
	// also an input (an update in place reads its lines anyway, and a
	// non-temporal store to a cached line is slow).
	nt   bool
	body func(l lanes)
}

var elementwiseKernels = []ewKernel{
	{
		name: "reluAVX2", doc: "dst[i] = max(src[i], 0) with NaN kept; see reluGeneric.",
		ptrs: []string{"dst", "src"}, zero: true, nt: true, temps: 1, unroll: 4,
		body: func(l lanes) {
			// VMAXPS returns its second source operand (here the memory
			// operand) when either is NaN: 0 > x ? 0 : x.
			VMAXPS(l.addr(1), l.c(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "sigmoidBackwardAVX2", doc: "dz[i] = da[i] * (a[i] * (1 - a[i])).",
		ptrs: []string{"dz", "da", "a"}, one: true, nt: true, temps: 2, unroll: 4,
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))
			VSUBPS(l.t(0), l.c(0), l.t(1))
			VMULPS(l.t(1), l.t(0), l.t(0))
			VMULPS(l.addr(1), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "tanhBackwardAVX2", doc: "dz[i] = da[i] * ((1 - a[i]) * (1 + a[i])).",
		ptrs: []string{"dz", "da", "a"}, one: true, nt: true, temps: 2, unroll: 4,
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))
			VSUBPS(l.t(0), l.c(0), l.t(1))
			VADDPS(l.c(0), l.t(0), l.t(0))
			VMULPS(l.t(0), l.t(1), l.t(1))
			VMULPS(l.addr(1), l.t(1), l.t(1))
			l.store(l.t(1), 0)
		},
	},
	{
		name: "reluBackwardAVX2", doc: "dz[i] = da[i] where a[i] > 0, else 0.",
		ptrs: []string{"dz", "da", "a"}, zero: true, nt: true, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))
			VCMPPS(U8(0x1e), l.c(0), l.t(0), l.t(0)) // a > 0, ordered: NaN gives 0
			VANDPS(l.addr(1), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "axpyAVX2", doc: "y[i] += alpha * x[i].",
		ptrs: []string{"x", "y"}, scalars: []string{"alpha"}, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMULPS(l.addr(0), l.c(0), l.t(0))
			VADDPS(l.addr(1), l.t(0), l.t(0))
			l.store(l.t(0), 1)
		},
	},
	{
		name: "scaleAVX2", doc: "x[i] *= alpha.",
		ptrs: []string{"x"}, scalars: []string{"alpha"}, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMULPS(l.addr(0), l.c(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "mulAVX2", doc: "dst[i] = x[i] * y[i].",
		ptrs: []string{"dst", "x", "y"}, nt: true, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMOVUPS(l.addr(1), l.t(0))
			VMULPS(l.addr(2), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "sgdAVX2", doc: "w[i] -= lr * g[i].",
		ptrs: []string{"w", "grad"}, scalars: []string{"lr"}, temps: 2, unroll: 4,
		body: func(l lanes) {
			VMULPS(l.addr(1), l.c(0), l.t(0))
			VMOVUPS(l.addr(0), l.t(1))
			VSUBPS(l.t(0), l.t(1), l.t(1))
			l.store(l.t(1), 0)
		},
	},
	{
		name: "momentumAVX2", doc: "v[i] = mu*v[i] - lr*g[i]; w[i] += v[i].",
		ptrs: []string{"w", "grad", "v"}, scalars: []string{"lr", "mu"}, temps: 2, unroll: 4,
		body: func(l lanes) {
			VMULPS(l.addr(2), l.c(1), l.t(0))
			VMULPS(l.addr(1), l.c(0), l.t(1))
			VSUBPS(l.t(1), l.t(0), l.t(0))
			l.store(l.t(0), 2)
			VADDPS(l.addr(0), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "adagradAVX2", doc: "h[i] += g[i]*g[i]; w[i] -= lr*g[i] / (sqrt(h[i]) + eps).",
		ptrs: []string{"w", "grad", "h"}, scalars: []string{"lr", "eps"}, temps: 3, unroll: 3,
		body: func(l lanes) {
			VMOVUPS(l.addr(1), l.t(0))
			VMULPS(l.t(0), l.t(0), l.t(1))
			VADDPS(l.addr(2), l.t(1), l.t(1))
			l.store(l.t(1), 2)
			VSQRTPS(l.t(1), l.t(1))
			VADDPS(l.c(1), l.t(1), l.t(1))
			VMULPS(l.c(0), l.t(0), l.t(0))
			VDIVPS(l.t(1), l.t(0), l.t(0))
			VMOVUPS(l.addr(0), l.t(2))
			VSUBPS(l.t(0), l.t(2), l.t(2))
			l.store(l.t(2), 0)
		},
	},
	{
		name: "rmspropAVX2", doc: "h[i] = rho*h[i] + omr*g[i]*g[i]; w[i] -= lr*g[i] / (sqrt(h[i]) + eps).",
		ptrs: []string{"w", "grad", "h"}, scalars: []string{"lr", "rho", "omr", "eps"}, temps: 3, unroll: 3,
		body: func(l lanes) {
			VMOVUPS(l.addr(1), l.t(0))
			VMULPS(l.c(2), l.t(0), l.t(1)) // omr*g
			VMULPS(l.t(0), l.t(1), l.t(1)) // (omr*g)*g
			VMULPS(l.addr(2), l.c(1), l.t(2))
			VADDPS(l.t(1), l.t(2), l.t(1)) // rho*h + omr*g*g
			l.store(l.t(1), 2)
			VSQRTPS(l.t(1), l.t(1))
			VADDPS(l.c(3), l.t(1), l.t(1))
			VMULPS(l.c(0), l.t(0), l.t(0))
			VDIVPS(l.t(1), l.t(0), l.t(0))
			VMOVUPS(l.addr(0), l.t(2))
			VSUBPS(l.t(0), l.t(2), l.t(2))
			l.store(l.t(2), 0)
		},
	},
	{
		name: "adamAVX2",
		doc:  "m[i] = b1*m[i] + omb1*g[i]; v[i] = b2*v[i] + omb2*g[i]*g[i]; w[i] -= lrc*m[i] / (sqrt(v[i]*c2) + eps).",
		ptrs: []string{"w", "grad", "m", "v"}, scalars: []string{"b1", "omb1", "b2", "omb2", "lrc", "c2", "eps"},
		temps: 3, unroll: 3,
		body: func(l lanes) {
			VMOVUPS(l.addr(1), l.t(0))        // g
			VMULPS(l.addr(2), l.c(0), l.t(1)) // b1*m
			VMULPS(l.t(0), l.c(1), l.t(2))    // omb1*g
			VADDPS(l.t(2), l.t(1), l.t(1))    // m'
			l.store(l.t(1), 2)                //
			VMULPS(l.t(0), l.c(3), l.t(2))    // omb2*g
			VMULPS(l.t(0), l.t(2), l.t(2))    // (omb2*g)*g
			VMULPS(l.addr(3), l.c(2), l.t(0)) // b2*v
			VADDPS(l.t(2), l.t(0), l.t(0))    // v'
			l.store(l.t(0), 3)                //
			VMULPS(l.c(5), l.t(0), l.t(0))    // v'*c2
			VSQRTPS(l.t(0), l.t(0))           //
			VADDPS(l.c(6), l.t(0), l.t(0))    // + eps
			VMULPS(l.c(4), l.t(1), l.t(1))    // lrc*m'
			VDIVPS(l.t(0), l.t(1), l.t(1))    //
			VMOVUPS(l.addr(0), l.t(2))        //
			VSUBPS(l.t(1), l.t(2), l.t(2))    //
			l.store(l.t(2), 0)                //
		},
	},
}

// signature is the Go signature of an elementwise routine: the pointers,
// the count n, then the float32 scalars.
func (k ewKernel) signature() string {
	s := "func("
	for i, p := range k.ptrs {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	s += " *float32, n int"
	if len(k.scalars) > 0 {
		s += ", "
		for i, p := range k.scalars {
			if i > 0 {
				s += ", "
			}
			s += p
		}
		s += " float32"
	}
	return s + ")"
}

// emitElementwise emits one elementwise routine: a loop over unroll groups
// of 8 elements, then single groups. Temporaries are Y0.., constants follow.
// The nt form (name + "NT") stores with non-temporal VMOVNTPS, which needs
// every output 32-byte aligned, and ends with SFENCE; it is for working
// sets larger than the last-level cache, where ordinary stores would first
// read every output line (and evict the cache for nothing).
func emitElementwise(k ewKernel, nt bool) {
	name := k.name
	doc := fmt.Sprintf("%s sets, for i < n (a multiple of 8): %s", name, k.doc)
	if nt {
		name += "NT"
		doc = fmt.Sprintf("%s is %s with non-temporal stores; outputs must be 32-byte aligned.", name, k.name)
	}
	TEXT(name, NOSPLIT, k.signature())
	Doc(doc)
	ptrs := make([]reg.GPVirtual, len(k.ptrs))
	for i, p := range k.ptrs {
		ptrs[i] = Load(Param(p), GP64()).(reg.GPVirtual)
	}
	n := Load(Param("n"), GP64())
	base := k.temps * k.unroll
	nc := len(k.scalars)
	if k.one {
		nc++
	}
	if k.zero {
		nc++
	}
	if base+nc > 16 {
		panic(k.name + ": more than 16 vector registers")
	}
	c := func(i int) reg.VecPhysical {
		if i >= nc {
			panic(fmt.Sprintf("%s: constant %d of %d", k.name, i, nc))
		}
		return ymm(base + i)
	}
	for i, s := range k.scalars {
		VBROADCASTSS(paramAddr(s), c(i))
	}
	ci := len(k.scalars)
	if k.one {
		one := GP32()
		MOVL(U32(0x3f800000), one)
		VMOVD(one, ymm(base+ci).AsX())
		VBROADCASTSS(ymm(base+ci).AsX(), c(ci))
		ci++
	}
	if k.zero {
		VXORPS(c(ci), c(ci), c(ci))
	}
	group := func(g int) lanes {
		return lanes{
			t: func(i int) reg.VecPhysical {
				if i >= k.temps {
					panic(k.name + ": too many temporaries")
				}
				return ymm(g*k.temps + i)
			},
			c:    c,
			addr: func(s int) Mem { return Mem{Base: ptrs[s], Disp: 32 * g} },
			store: func(v reg.VecPhysical, s int) {
				if nt {
					VMOVNTPS(v, Mem{Base: ptrs[s], Disp: 32 * g})
				} else {
					VMOVUPS(v, Mem{Base: ptrs[s], Disp: 32 * g})
				}
			},
		}
	}
	u := k.unroll
	CMPQ(n, U8(8*u))
	JL(LabelRef(name + "_one"))
	Label(name + "_loop")
	for g := 0; g < u; g++ {
		k.body(group(g))
	}
	for _, p := range ptrs {
		ADDQ(U8(32*u), p)
	}
	SUBQ(U8(8*u), n)
	CMPQ(n, U8(8*u))
	JGE(LabelRef(name + "_loop"))
	Label(name + "_one")
	TESTQ(n, n)
	JE(LabelRef(name + "_done"))
	k.body(group(0))
	for _, p := range ptrs {
		ADDQ(U8(32), p)
	}
	SUBQ(U8(8), n)
	JMP(LabelRef(name + "_one"))
	Label(name + "_done")
	if nt {
		SFENCE()
	}
	VZEROUPPER()
	RET()
}

// addRowVec emits addRowVecAVX2: x[i*cols+j] += v[j] for i < rows and
// j < cols8 (a multiple of 8, at most cols).
func addRowVec() {
	TEXT("addRowVecAVX2", NOSPLIT, "func(x, v *float32, rows, cols, cols8 int)")
	Doc("addRowVecAVX2 adds v[j] to x[i*cols+j] for i < rows, j < cols8 (a multiple of 8, cols8 <= cols).")
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

// addColVec emits addColVecAVX2: x[i*cols+j] += v[i] for i < rows and
// j < cols8.
func addColVec() {
	TEXT("addColVecAVX2", NOSPLIT, "func(x, v *float32, rows, cols, cols8 int)")
	Doc("addColVecAVX2 adds v[i] to x[i*cols+j] for i < rows, j < cols8 (a multiple of 8, cols8 <= cols).")
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

// sumBlock is how many terms the inner accumulators of the sums take before
// they are added into the outer ones; see colSumsGeneric.
const sumBlock = 16

// colSumsAsm emits colSumsAVX2: dst[j] = Σ_{i<rows} x[i*cols+j] for
// j < cols, rows >= 1. The rows are taken in blocks of sumBlock: within a
// block each strip of columns (32, then 8, then single columns) is summed
// down the block's rows in registers and added into dst, so x is read
// block by block, in order, and no sum takes more than about
// sumBlock + rows/sumBlock rounding steps.
func colSumsAsm() {
	TEXT("colSumsAVX2", NOSPLIT, "func(dst, x *float32, rows, cols int)")
	Doc("colSumsAVX2 sets dst[j] to the sum of x[i*cols+j] over i < rows (rows >= 1), j < cols, in blocks of 16 rows.")
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

// rowSumsAsm emits rowSumsAVX2: dst[i] = Σ_{j<cols} x[i*cols+j]. Each row
// is summed by four 8-wide accumulators over 32-column steps, flushed into
// four outer accumulators every sumBlock steps, then 8-column steps, a
// horizontal sum, and the last cols%8 elements one by one.
func rowSumsAsm() {
	TEXT("rowSumsAVX2", NOSPLIT, "func(dst, x *float32, rows, cols int)")
	Doc("rowSumsAVX2 sets dst[i] to the sum of x[i*cols+j] over j < cols, for i < rows.")
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
