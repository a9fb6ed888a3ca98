package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// unaryKernel emits name(dst, src *float32, n int), dst[i] = f(src[i]) for
// a positive multiple of 8 n, as many vectors per iteration as there are
// registers for (independent chains for the out-of-order core), then one
// at a time. body computes f of the 8 lanes in r[0] of each group r of gs
// into r[0], with r[1:] as scratch (eachGroup makes one from a body of one
// group); setup loads constants into the registers above the groups.
//
// It also emits nameNT, the same with non-temporal stores to a 32-byte
// aligned dst, for outputs too large for the caches: a normal store first
// reads the line it writes.
func unaryKernel(name, what string, regs, groups int, setup func(), body func(gs [][]reg.VecPhysical)) {
	unaryKernelStores(name, what, regs, groups, setup, body, false)
	unaryKernelStores(name+"NT", what, regs, groups, setup, body, true)
}

// eachGroup returns a body of unaryKernel that runs body on one group
// after the other.
func eachGroup(body func(r []reg.VecPhysical)) func(gs [][]reg.VecPhysical) {
	return func(gs [][]reg.VecPhysical) {
		for _, r := range gs {
			body(r)
		}
	}
}

func unaryKernelStores(name, what string, regs, groups int, setup func(), body func(gs [][]reg.VecPhysical), nt bool) {
	doc := fmt.Sprintf("%s sets dst[i] = %s for i < n, a positive multiple of 8.", name, what)
	if nt {
		doc = fmt.Sprintf("%s sets dst[i] = %s for i < n, a positive multiple of 8, with non-temporal stores; dst must be 32-byte aligned.", name, what)
	}
	text(name, "func(dst, src *float32, n int)", doc)
	store := func(r reg.VecPhysical, m Mem) {
		if nt {
			VMOVNTPS(r, m)
		} else {
			VMOVUPS(r, m)
		}
	}
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	clear(inReg)
	if setup != nil {
		setup()
	}
	gs := make([][]reg.VecPhysical, groups)
	for g := range gs {
		gs[g] = make([]reg.VecPhysical, regs)
		for i := range gs[g] {
			gs[g][i] = ymm(g*regs + i)
		}
	}
	CMPQ(n, U8(8*groups))
	JL(LabelRef("one"))
	Label("many")
	for g, r := range gs {
		VMOVUPS(Mem{Base: src, Disp: 32 * g}, r[0])
	}
	body(gs)
	for g, r := range gs {
		store(r[0], Mem{Base: dst, Disp: 32 * g})
	}
	ADDQ(U8(32*groups), src)
	ADDQ(U8(32*groups), dst)
	SUBQ(U8(8*groups), n)
	CMPQ(n, U8(8*groups))
	JGE(LabelRef("many"))
	Label("one")
	TESTQ(n, n)
	JE(LabelRef("done"))
	VMOVUPS(Mem{Base: src}, gs[0][0])
	body(gs[:1])
	store(gs[0][0], Mem{Base: dst})
	ADDQ(U8(32), src)
	ADDQ(U8(32), dst)
	SUBQ(U8(8), n)
	JMP(LabelRef("one"))
	Label("done")
	if nt {
		SFENCE()
	}
	VZEROUPPER()
	RET()
}
