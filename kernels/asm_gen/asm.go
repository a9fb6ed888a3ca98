package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The helpers every family uses: routine headers, registers, parameters,
// comparison predicates and the common loop and reduction shapes.

// text starts the routine name with Go signature sig and doc comment doc
// (lines) in the stub file. Every routine is a leaf that keeps no pointer,
// hence NOSPLIT and //go:noescape.
func text(name, sig string, doc ...string) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc...)
}

// ymm returns the vector register Yi, i < 16: the registers are assigned
// by hand, since avo's allocator may hand out Y16–Y31 (AVX-512 only).
func ymm(i int) reg.VecPhysical {
	return []reg.VecPhysical{
		reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15,
	}[i]
}

// strided addresses row i (< 8) of rows s bytes apart, at byte disp: from
// base for rows 0–3 and base4 = base + 4·s for rows 4–7, with s3 = 3·s in a
// register (an index scales by 1, 2, 4 or 8 only). base4 and s3 may be
// nil when no row needs them.
func strided(base, base4, s, s3 reg.Register, i, disp int) Mem {
	if i >= 4 {
		base, i = base4, i-4
	}
	m := Mem{Base: base, Disp: disp}
	switch i {
	case 1:
		m.Index, m.Scale = s, 1
	case 2:
		m.Index, m.Scale = s, 2
	case 3:
		m.Index, m.Scale = s3, 1
	}
	return m
}

// paramAddr is the stack address of a scalar parameter.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// Comparison predicates of VCMPPS.
const (
	cmpEQ  = 0x00 // EQ_OQ
	cmpLT  = 0x01 // LT_OS
	cmpNLT = 0x05 // NLT_US: true for NaN
	cmpGT  = 0x1e // GT_OQ: false for NaN
)

// pairLoop emits the loop of a routine over a positive multiple of 8
// elements n, two groups of 8 lanes per iteration while n ≥ 16, then one:
// step(g) handles group g at the current pointers, advance moves them on
// by 16 elements. It ends at label "done".
func pairLoop(n reg.Register, step func(g int), advance func()) {
	CMPQ(n, U8(16))
	JL(LabelRef("one"))
	Label("two")
	step(0)
	step(1)
	advance()
	SUBQ(U8(16), n)
	CMPQ(n, U8(16))
	JGE(LabelRef("two"))
	Label("one")
	TESTQ(n, n)
	JE(LabelRef("done"))
	step(0)
	Label("done")
}

// reduceSum sets X0 to the sum of the 8 lanes of the accumulators (which
// it overwrites) and returns it as the routine's float32 result, after
// VZEROUPPER.
func reduceSum(accs ...reg.VecPhysical) {
	for len(accs) > 1 {
		for i := 0; i < len(accs)/2; i++ {
			VADDPS(accs[len(accs)/2+i], accs[i], accs[i])
		}
		accs = accs[:len(accs)/2]
	}
	acc := accs[0]
	VEXTRACTF128(U8(1), acc, reg.X1)
	VADDPS(reg.X1, acc.AsX(), reg.X0)
	VHADDPS(reg.X0, reg.X0, reg.X0)
	VHADDPS(reg.X0, reg.X0, reg.X0)
	VZEROUPPER()
	Store(reg.X0, ReturnIndex(0))
	RET()
}
