package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The elementwise routines take pointer streams and a count n that is a
// multiple of 8 (the Go wrappers finish tails with the Go twins) and
// perform exactly the float32 operations of their twins, in the same order
// and without fusing, so the two agree bit for bit. Each is described by an
// ewKernel; emitElementwise writes its loop.

// emitElementwiseKernels emits each of ks, and its non-temporal form where
// it has one.
func emitElementwiseKernels(ks []ewKernel) {
	for _, ew := range ks {
		emitElementwise(ew, false)
		if ew.nt {
			emitElementwise(ew, true)
		}
	}
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
	nt bool
	// finite: the routine returns an int, nonzero when a value it stored to
	// stream 0 is not finite. Such a store must be the stored register's
	// last use: the check overwrites it with v − v, which is +0 for finite v
	// and NaN otherwise, and ORs that into one more register.
	finite bool
	body   func(l lanes)
}

// signature is the Go signature of an elementwise routine: the pointers,
// the count n, then the float32 scalars.
func (ew ewKernel) signature() string {
	s := "func("
	for i, p := range ew.ptrs {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	s += " *float32, n int"
	if len(ew.scalars) > 0 {
		s += ", "
		for i, p := range ew.scalars {
			if i > 0 {
				s += ", "
			}
			s += p
		}
		s += " float32"
	}
	if ew.finite {
		return s + ") int"
	}
	return s + ")"
}

// emitElementwise emits one elementwise routine: a loop over unroll groups
// of 8 elements, then single groups. Temporaries are Y0.., constants follow.
// The nt form (name + "NT") stores with non-temporal VMOVNTPS, which needs
// every output 32-byte aligned, and ends with SFENCE; it is for working
// sets larger than the last-level cache, where ordinary stores would first
// read every output line (and evict the cache for nothing).
func emitElementwise(ew ewKernel, nt bool) {
	name := ew.name
	doc := fmt.Sprintf("%s sets, for i < n (a multiple of 8): %s", name, ew.doc)
	if nt {
		name += "NT"
		doc = fmt.Sprintf("%s is %s with non-temporal stores; outputs must be 32-byte aligned.", name, ew.name)
	}
	text(name, ew.signature(), doc)
	ptrs := make([]reg.GPVirtual, len(ew.ptrs))
	for i, p := range ew.ptrs {
		ptrs[i] = Load(Param(p), GP64()).(reg.GPVirtual)
	}
	n := Load(Param("n"), GP64())
	base := ew.temps * ew.unroll
	nc := len(ew.scalars)
	if ew.one {
		nc++
	}
	if ew.zero {
		nc++
	}
	if ew.finite {
		nc++ // the OR of every v − v stored to stream 0
	}
	if base+nc > 16 {
		panic(ew.name + ": more than 16 vector registers")
	}
	c := func(i int) reg.VecPhysical {
		if i >= nc {
			panic(fmt.Sprintf("%s: constant %d of %d", ew.name, i, nc))
		}
		return ymm(base + i)
	}
	for i, s := range ew.scalars {
		VBROADCASTSS(paramAddr(s), c(i))
	}
	ci := len(ew.scalars)
	if ew.one {
		one := GP32()
		MOVL(U32(0x3f800000), one)
		VMOVD(one, ymm(base+ci).AsX())
		VBROADCASTSS(ymm(base+ci).AsX(), c(ci))
		ci++
	}
	if ew.zero {
		VXORPS(c(ci), c(ci), c(ci))
		ci++
	}
	var bad reg.VecPhysical // finite: not all zero bits when a stored value was not finite
	if ew.finite {
		bad = c(ci)
		VXORPS(bad, bad, bad)
	}
	group := func(g int) lanes {
		return lanes{
			t: func(i int) reg.VecPhysical {
				if i >= ew.temps {
					panic(ew.name + ": too many temporaries")
				}
				return ymm(g*ew.temps + i)
			},
			c:    c,
			addr: func(s int) Mem { return Mem{Base: ptrs[s], Disp: 32 * g} },
			store: func(v reg.VecPhysical, s int) {
				if nt {
					VMOVNTPS(v, Mem{Base: ptrs[s], Disp: 32 * g})
				} else {
					VMOVUPS(v, Mem{Base: ptrs[s], Disp: 32 * g})
				}
				if ew.finite && s == 0 {
					VSUBPS(v, v, v)
					VORPS(v, bad, bad)
				}
			},
		}
	}
	u := ew.unroll
	CMPQ(n, U8(8*u))
	JL(LabelRef(name + "_one"))
	Label(name + "_loop")
	for g := 0; g < u; g++ {
		ew.body(group(g))
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
	ew.body(group(0))
	for _, p := range ptrs {
		ADDQ(U8(32), p)
	}
	SUBQ(U8(8), n)
	JMP(LabelRef(name + "_one"))
	Label(name + "_done")
	if nt {
		SFENCE()
	}
	if ew.finite {
		r := GP64()
		XORQ(r, r)
		VPTEST(bad, bad) // any bit: a NaN's sign may be clear
		SETNE(r.As8())
		Store(r, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}
