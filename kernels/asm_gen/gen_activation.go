package main

import (
	"fmt"
	"math"
	"slices"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The transcendental kernels work on 8 lanes at a time with the algorithms
// of their Go twins (activation_generic.go), whose comments explain them:
// e^z by range reduction (ln2 split in two) and XNNPACK's degree-5
// polynomial, 2^n from the bits of the rounding sum, a true VDIVPS for
// sigmoid and tanh, Cephes' polynomials for log and small tanh. Every
// routine takes a count n that is a positive multiple of 8; the Go wrapper
// finishes the tail with the twin, since masked stores are slow on Zen 3.
//
// Constants live in 32-byte read-only vectors, used as memory operands.
// NaN survives VMINPS/VMAXPS only as their second (Intel) operand, which is
// avo's first argument: every clamp passes the data there.

// Constants; they must equal those in activation_generic.go.
const (
	log2e        = 0x1.715476p+0
	ln2Hi        = 0x1.62E400p-1
	ln2Lo        = 0x1.7F7D1Cp-20
	expMagic     = 0x1.8p23
	expMagicBias = 0x1.8000FEp23
	expC5        = 0x1.0F9F9Cp-7
	expC4        = 0x1.573A1Ap-5
	expC3        = 0x1.555A80p-3
	expC2        = 0x1.FFFDC6p-2
	expC1        = 0x1.FFFFF6p-1
	expCutoff    = -0x1.5D589Ep+6
	expHi        = 89
	tanhSmall    = 0.625
	tanhC1       = -3.33332819422e-1
	tanhC2       = 1.33314422036e-1
	tanhC3       = -5.37397155531e-2
	tanhC4       = 2.06390887954e-2
	tanhC5       = -5.70498872745e-3
	logP0        = 7.0376836292e-2
	logP1        = -1.1514610310e-1
	logP2        = 1.1676998740e-1
	logP3        = -1.2420140846e-1
	logP4        = 1.4249322787e-1
	logP5        = -1.6668057665e-1
	logP6        = 2.0000714765e-1
	logP7        = -2.4999993993e-1
	logP8        = 3.3333331174e-1
	logQ1        = -2.12194440e-4
	logQ2        = 0.693359375
)

// Comparison predicates of VCMPPS.
const (
	cmpEQ  = 0x00 // EQ_OQ
	cmpLT  = 0x01 // LT_OS
	cmpNLT = 0x05 // NLT_US: true for NaN
)

// kc holds the constant vectors, declared before the first routine.
var kc = map[string]Mem{}

func constF(name string, v float32) { constBits(name, math.Float32bits(v)) }

func constBits(name string, bits uint32) {
	m := GLOBL("act_"+name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(bits))
	}
	kc[name] = m
}

// inReg holds the constants the current routine keeps in registers.
var inReg = map[string]reg.VecPhysical{}

// keep loads the named constants into the registers from Y(16−len(names))
// up, for the routine being emitted; k then returns them.
func keep(names ...string) {
	clear(inReg)
	for i, name := range names {
		r := ymm(16 - len(names) + i)
		VMOVUPS(k(name), r)
		inReg[name] = r
	}
}

// k returns the named constant: its register, or its memory.
func k(name string) Op {
	if r, ok := inReg[name]; ok {
		return r
	}
	m, ok := kc[name]
	if !ok {
		panic("no constant " + name)
	}
	return m
}

// actConstants declares the constant vectors, only those named in only
// when it names any (a routine asking for another one fails to generate).
func actConstants(only ...string) {
	want := func(name string) bool { return len(only) == 0 || slices.Contains(only, name) }
	for _, c := range []struct {
		name string
		v    float32
	}{
		{"log2e", log2e}, {"negLn2Hi", -ln2Hi}, {"negLn2Lo", -ln2Lo},
		{"magic", expMagic}, {"magicBias", expMagicBias},
		{"c5", expC5}, {"c4", expC4}, {"c3", expC3}, {"c2", expC2}, {"c1", expC1},
		{"one", 1}, {"cutoff", expCutoff}, {"hi", expHi}, {"minus2", -2}, {"minusHalf", -0.5},
		{"tanhSmall", tanhSmall}, {"t1", tanhC1}, {"t2", tanhC2}, {"t3", tanhC3}, {"t4", tanhC4}, {"t5", tanhC5},
		{"p0", logP0}, {"p1", logP1}, {"p2", logP2}, {"p3", logP3}, {"p4", logP4}, {"p5", logP5},
		{"p6", logP6}, {"p7", logP7}, {"p8", logP8}, {"q1", logQ1}, {"q2", logQ2},
		{"minNormal", 0x1p-126}, {"two23", 0x1p23}, {"f23", 23},
		{"posInf", float32(math.Inf(1))}, {"negInf", float32(math.Inf(-1))},
	} {
		if want(c.name) {
			constF(c.name, c.v)
		}
	}
	for _, c := range []struct {
		name string
		bits uint32
	}{
		{"sign", 0x80000000}, {"abs", 0x7fffffff}, {"nan", 0x7fc00000},
		{"i127", 127}, {"mant", 0x007fffff}, {"sqrtHalf", 0x3f3504f3},
	} {
		if want(c.name) {
			constBits(c.name, c.bits)
		}
	}
}

// activationFamily emits the transcendental kernels: exp, log, sigmoid,
// tanh, softmax and the losses built on them.
func activationFamily() {
	actConstants()
	unaryKernel("expKernel", "e^src[i]", 5, 2, func() {
		keep("one", "magic", "log2e", "c5", "cutoff", "hi")
	}, expBody)
	unaryKernel("logKernel", "ln src[i]", 7, 2, func() { keep("one", "p0") }, logBody)
	unaryKernel("sigmoidKernel", "1/(1+e^-src[i])", 5, 3, func() {
		keep("one")
	}, sigmoidBody)
	unaryKernel("tanhKernel", "tanh src[i]", 6, 2, func() {
		keep("one", "magicBias", "log2e", "c5")
	}, tanhBody)
	expShiftSumKernel()
	bceKernel(true)
	bceKernel(false)
	mseKernel(true)
	mseKernel(false)
}

// groupBodies holds the bodies that interleave the groups of a loop
// iteration themselves, by kernel name (with and without the NT suffix).
var groupBodies = map[string]func(gs [][]reg.VecPhysical){
	"sigmoidKernel":   sigmoidGroups,
	"sigmoidKernelNT": sigmoidGroups,
}

// unaryKernel emits name(dst, src *float32, n int), dst[i] = f(src[i]) for
// a positive multiple of 8 n, as many vectors per iteration as there are
// registers for (independent chains for the out-of-order core), then one
// at a time. body computes f of the 8 lanes in r[0] into r[0], with r[1:]
// as scratch; setup loads constants into the registers above the groups.
//
// It also emits nameNT, the same with non-temporal stores to a 32-byte
// aligned dst, for outputs too large for the caches: a normal store first
// reads the line it writes.
func unaryKernel(name, what string, regs, groups int, setup func(), body func(r []reg.VecPhysical)) {
	unaryKernelStores(name, what, regs, groups, setup, body, false)
	unaryKernelStores(name+"NT", what, regs, groups, setup, body, true)
}

func unaryKernelStores(name, what string, regs, groups int, setup func(), body func(r []reg.VecPhysical), nt bool) {
	bodyGroups := groupBodies[name]
	TEXT(name, NOSPLIT, "func(dst, src *float32, n int)")
	if nt {
		Doc(fmt.Sprintf("%s sets dst[i] = %s for i < n, a positive multiple of 8, with non-temporal stores; dst must be 32-byte aligned.", name, what))
	} else {
		Doc(fmt.Sprintf("%s sets dst[i] = %s for i < n, a positive multiple of 8.", name, what))
	}
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
	if bodyGroups != nil {
		bodyGroups(gs)
	} else {
		for _, r := range gs {
			body(r)
		}
	}
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
	body(gs[0])
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

// expNegBody sets out = e^z for z ≤ 0 (or NaN), flushed to 0 below
// expCutoff; t1 and t2 are scratch, z is kept.
func expNegBody(z, out, t1, t2 reg.VecPhysical) {
	VMOVUPS(k("magicBias"), t1)
	VFMADD231PS(k("log2e"), z, t1) // z·log2e + bias: n+127 in the low bits
	VPSLLD(U8(23), t1, out)        // s = 2^n
	VSUBPS(k("magicBias"), t1, t1) // n
	VMOVAPS(z, t2)
	VFMADD231PS(k("negLn2Hi"), t1, t2)
	VFMADD231PS(k("negLn2Lo"), t1, t2) // r
	poly5(t2, t1)
	VMULPS(t1, out, out)
	VCMPPS(U8(cmpLT), k("cutoff"), z, t1)
	VANDNPS(out, t1, out)
}

// poly5 sets q = 1 + r·(c1 + r·(c2 + … + r·c5)) ≈ e^r.
func poly5(r, q reg.VecPhysical) {
	VMOVUPS(k("c5"), q)
	for _, c := range []string{"c4", "c3", "c2", "c1", "one"} {
		VFMADD213PS(k(c), r, q)
	}
}

// expBody: r[0] = e^r[0] over the whole range; cutoff and hi must be in
// registers (keep).
func expBody(r []reg.VecPhysical) {
	x, xr, t1, t2, t3 := r[0], r[1], r[2], r[3], r[4]
	VMAXPS(x, k("cutoff"), xr) // x second: NaN stays
	VMINPS(xr, k("hi"), xr)
	VMOVUPS(k("magic"), t1)
	VFMADD231PS(k("log2e"), xr, t1)
	VPSUBD(k("magic"), t1, t2) // n as an integer
	VSUBPS(k("magic"), t1, t1) // n
	VFMADD231PS(k("negLn2Hi"), t1, xr)
	VFMADD231PS(k("negLn2Lo"), t1, xr)
	poly5(xr, t1)
	// 2^n = 2^n1 · 2^n2, n1 = n>>1: each half is normal even at n = 128.
	VPSRAD(U8(1), t2, t3)
	VPSUBD(t3, t2, t2)
	VPADDD(k("i127"), t3, t3)
	VPSLLD(U8(23), t3, t3)
	VPADDD(k("i127"), t2, t2)
	VPSLLD(U8(23), t2, t2)
	VMULPS(t3, t1, t1)
	VMULPS(t2, t1, t1)
	VCMPPS(U8(cmpLT), k("cutoff"), x, t3)
	VANDNPS(t1, t3, x)
}

// sigmoidBody: r[0] = σ(r[0]) from e = e^−|x|: e/(1+e) for negative x,
// 1 − e/(1+e) otherwise.
func sigmoidBody(r []reg.VecPhysical) { sigmoidGroups([][]reg.VecPhysical{r}) }

// sigmoidGroups is sigmoidBody on several groups of registers at once, one
// instruction for every group in turn: interleaved, the independent chains
// (about 60 cycles of latency each) overlap within the scheduler's window,
// where one chain after another did not.
func sigmoidGroups(gs [][]reg.VecPhysical) {
	each := func(f func(x, z, e, t1, t2 reg.VecPhysical)) {
		for _, r := range gs {
			f(r[0], r[1], r[2], r[3], r[4])
		}
	}
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VORPS(k("sign"), x, z) }) // −|x|
	// e = e^z as expNegBody.
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VMOVUPS(k("magicBias"), t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VFMADD231PS(k("log2e"), z, t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VPSLLD(U8(23), t1, e) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VSUBPS(k("magicBias"), t1, t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VMOVAPS(z, t2) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VFMADD231PS(k("negLn2Hi"), t1, t2) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VFMADD231PS(k("negLn2Lo"), t1, t2) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VMOVUPS(k("c5"), t1) })
	for _, c := range []string{"c4", "c3", "c2", "c1", "one"} {
		each(func(x, z, e, t1, t2 reg.VecPhysical) { VFMADD213PS(k(c), t2, t1) })
	}
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VMULPS(t1, e, e) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VCMPPS(U8(cmpLT), k("cutoff"), z, t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VANDNPS(e, t1, e) })
	// σ from e.
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VADDPS(k("one"), e, t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VDIVPS(t1, e, e) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VMOVUPS(k("one"), t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VSUBPS(e, t1, t1) })
	each(func(x, z, e, t1, t2 reg.VecPhysical) { VBLENDVPS(x, e, t1, x) }) // sign of x set: e/(1+e)
}

// tanhBody: r[0] = tanh r[0]: |tanh x| is Cephes' odd polynomial of |x|
// below tanhSmall, (1 − e)/(1 + e) with e = e^−2|x| above; then x's sign
// (which keeps tanh(−0) = −0).
func tanhBody(r []reg.VecPhysical) {
	x, a, m, e, t1, t2 := r[0], r[1], r[2], r[3], r[4], r[5]
	VANDPS(k("abs"), x, a)
	VCMPPS(U8(cmpLT), k("tanhSmall"), a, m)
	VMULPS(k("minus2"), a, a)
	expNegBody(a, e, t1, t2)
	VMOVUPS(k("one"), t1)
	VSUBPS(e, t1, t1)
	VADDPS(k("one"), e, e)
	VDIVPS(e, t1, t1)
	VMULPS(k("minusHalf"), a, a) // |x| again, exactly
	VMULPS(a, a, t2)
	VMOVUPS(k("t5"), e)
	for _, c := range []string{"t4", "t3", "t2", "t1"} {
		VFMADD213PS(k(c), t2, e)
	}
	VMULPS(t2, e, e)
	VFMADD213PS(a, a, e) // a + a·z·P(z)
	VBLENDVPS(m, e, t1, a)
	VANDPS(k("sign"), x, t2)
	VORPS(t2, a, x)
}

// logBody: r[0] = ln r[0] (Cephes logf): subnormals scaled by 2^23 first,
// then ±0 → −Inf, negative → NaN, +Inf and NaN → themselves.
func logBody(r []reg.VecPhysical) {
	x, sm, xb, e, f, z, y := r[0], r[1], r[2], r[3], r[4], r[5], r[6]
	VCMPPS(U8(cmpLT), k("minNormal"), x, sm)
	VMULPS(k("two23"), x, xb)
	VBLENDVPS(sm, xb, x, xb)
	VPSUBD(k("sqrtHalf"), xb, xb)
	VPSRAD(U8(23), xb, e)
	VCVTDQ2PS(e, e)
	VANDPS(k("f23"), sm, sm)
	VSUBPS(sm, e, e)
	VANDPS(k("mant"), xb, xb)
	VPADDD(k("sqrtHalf"), xb, xb)
	VSUBPS(k("one"), xb, f)
	VMULPS(f, f, z)
	VMOVUPS(k("p0"), y)
	for _, c := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"} {
		VFMADD213PS(k(c), f, y)
	}
	VMULPS(f, y, y)
	VMULPS(z, y, y)
	VFMADD231PS(k("q1"), e, y)
	VFMADD231PS(k("minusHalf"), z, y)
	VADDPS(y, f, y)
	VFMADD231PS(k("q2"), e, y)
	VCMPPS(U8(cmpNLT), k("posInf"), x, sm) // +Inf or NaN
	VBLENDVPS(sm, x, y, y)
	VXORPS(z, z, z)
	VCMPPS(U8(cmpEQ), z, x, sm)
	VBLENDVPS(sm, k("negInf"), y, y)
	VCMPPS(U8(cmpLT), z, x, sm)
	VBLENDVPS(sm, k("nan"), y, x)
}

// expShiftSumKernel emits expShiftSumKernel(dst, src, n, m) float32:
// dst[i] = e^(src[i]−m) for src[i] ≤ m, and returns their sum; the pass
// of softmax and softmax cross-entropy.
func expShiftSumKernel() {
	TEXT("expShiftSumKernel", NOSPLIT, "func(dst, src *float32, n int, m float32) float32")
	Doc("expShiftSumKernel sets dst[i] = e^(src[i]-m) for i < n, a positive multiple of 8, and returns their sum.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	clear(inReg)
	VBROADCASTSS(paramAddr("m"), reg.Y15)
	acc0, acc1 := reg.Y12, reg.Y13
	VXORPS(acc0, acc0, acc0)
	VXORPS(acc1, acc1, acc1)
	step := func(g int, acc reg.VecPhysical) {
		x, e, t1, t2 := ymm(4*g), ymm(4*g+1), ymm(4*g+2), ymm(4*g+3)
		VMOVUPS(Mem{Base: src, Disp: 32 * g}, x)
		VSUBPS(reg.Y15, x, x)
		expNegBody(x, e, t1, t2)
		VMOVUPS(e, Mem{Base: dst, Disp: 32 * g})
		VADDPS(e, acc, acc)
	}
	CMPQ(n, U8(16))
	JL(LabelRef("one"))
	Label("two")
	step(0, acc0)
	step(1, acc1)
	ADDQ(U8(64), src)
	ADDQ(U8(64), dst)
	SUBQ(U8(16), n)
	CMPQ(n, U8(16))
	JGE(LabelRef("two"))
	Label("one")
	TESTQ(n, n)
	JE(LabelRef("done"))
	step(0, acc0)
	Label("done")
	VADDPS(acc1, acc0, acc0)
	VEXTRACTF128(U8(1), acc0, reg.X1)
	VADDPS(reg.X1, reg.X12, reg.X0)
	VHADDPS(reg.X0, reg.X0, reg.X0)
	VHADDPS(reg.X0, reg.X0, reg.X0)
	VZEROUPPER()
	Store(reg.X0, ReturnIndex(0))
	RET()
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

// bceKernel emits bceKernel(grad, z, y *float32, n int, scale float32)
// float32, or with grad false bceLossKernel(z, y *float32, n int) float32:
// the loss of BCEWithLogits summed over a chunk, max(z,0) − z·y +
// log1p(e) with e = e^−|z|, log1p(e) = ln u + (e − (u−1))/u for u = 1+e
// (as log1pSmall), and grad[i] = scale·(σ(z)−y) with σ from e as in
// sigmoidBody (e·(1/u) for the e/(1+e) of the twin). Both variants
// compute the loss with the same instructions, so they return the same
// sum. Two groups of 8 lanes per iteration, one accumulator each; every
// read of z and y of a group precedes its grad store, so grad may be z
// or y.
func bceKernel(grad bool) {
	var g reg.Register
	if grad {
		TEXT("bceKernel", NOSPLIT, "func(grad, z, y *float32, n int, scale float32) float32")
		Doc("bceKernel sets grad[i] = scale*(sigmoid(z[i])-y[i]) for i < n, a positive multiple of 8,",
			"and returns the sum of max(z[i],0) - z[i]*y[i] + log(1+e^-|z[i]|).")
		g = Load(Param("grad"), GP64())
	} else {
		TEXT("bceLossKernel", NOSPLIT, "func(z, y *float32, n int) float32")
		Doc("bceLossKernel returns the sum of max(z[i],0) - z[i]*y[i] + log(1+e^-|z[i]|) for i < n, a positive multiple of 8.")
	}
	zp := Load(Param("z"), GP64())
	yp := Load(Param("y"), GP64())
	n := Load(Param("n"), GP64())
	keep("one")
	scale := reg.Y14
	if grad {
		VBROADCASTSS(paramAddr("scale"), scale)
	}
	accs := []reg.VecPhysical{reg.Y12, reg.Y13}
	for _, a := range accs {
		VXORPS(a, a, a)
	}
	step := func(grp int) {
		z, A, B, C, D, E := ymm(6*grp), ymm(6*grp+1), ymm(6*grp+2), ymm(6*grp+3), ymm(6*grp+4), ymm(6*grp+5)
		ym := Mem{Base: yp, Disp: 32 * grp}
		VMOVUPS(Mem{Base: zp, Disp: 32 * grp}, z)
		VORPS(k("sign"), z, A) // −|z|
		expNegBody(A, B, C, D) // e
		VXORPS(A, A, A)
		VMAXPS(z, A, A)        // max(z, 0), z second: NaN stays
		VFNMADD231PS(ym, z, A) // − z·y
		VMOVUPS(k("one"), C)
		VADDPS(k("one"), B, D) // u = 1+e
		VDIVPS(D, C, C)        // 1/u
		VSUBPS(k("one"), D, E)
		VSUBPS(E, B, E)
		VMULPS(C, E, E) // (e − (u−1))/u
		VADDPS(E, A, A)
		if grad {
			VMULPS(C, B, B) // e/(1+e)
			VMOVUPS(k("one"), E)
			VSUBPS(B, E, E)
			VBLENDVPS(z, B, E, B) // sign of z set: e/(1+e)
			VSUBPS(ym, B, B)
			VMULPS(scale, B, B)
			VMOVUPS(B, Mem{Base: g, Disp: 32 * grp})
		}
		// ln u for u in [1, 2] (logBody without its special cases: u is
		// normal and positive, or NaN with z NaN, when the loss is NaN
		// anyway).
		VPSUBD(k("sqrtHalf"), D, D)
		VPSRAD(U8(23), D, C)
		VCVTDQ2PS(C, C)
		VANDPS(k("mant"), D, D)
		VPADDD(k("sqrtHalf"), D, D)
		VSUBPS(k("one"), D, D) // f
		VMULPS(D, D, B)        // f²
		VMOVUPS(k("p0"), E)
		for _, c := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"} {
			VFMADD213PS(k(c), D, E)
		}
		VMULPS(D, E, E)
		VMULPS(B, E, E)
		VFMADD231PS(k("q1"), C, E)
		VFMADD231PS(k("minusHalf"), B, E)
		VADDPS(E, D, E)
		VFMADD231PS(k("q2"), C, E)
		VADDPS(E, A, A)
		VADDPS(A, accs[grp], accs[grp])
	}
	advance := func(elems int) {
		for _, p := range []reg.Register{zp, yp, g} {
			if p != nil {
				ADDQ(U32(4*elems), p)
			}
		}
	}
	CMPQ(n, U8(16))
	JL(LabelRef("one"))
	Label("two")
	step(0)
	step(1)
	advance(16)
	SUBQ(U8(16), n)
	CMPQ(n, U8(16))
	JGE(LabelRef("two"))
	Label("one")
	TESTQ(n, n)
	JE(LabelRef("done"))
	step(0)
	Label("done")
	reduceSum(accs...)
}

// mseKernel emits mseKernel(grad, pred, y *float32, n int, scale float32)
// float32, or with grad false mseLossKernel(pred, y *float32, n int)
// float32: the sum of d² for d = pred − y over a chunk (MSE halves it),
// and grad[i] = scale·d. Four groups of 8 lanes per iteration, one
// accumulator each, then 8 lanes at a time.
func mseKernel(grad bool) {
	var g reg.Register
	if grad {
		TEXT("mseKernel", NOSPLIT, "func(grad, pred, y *float32, n int, scale float32) float32")
		Doc("mseKernel sets grad[i] = scale*(pred[i]-y[i]) for i < n, a positive multiple of 8,",
			"and returns the sum of (pred[i]-y[i])^2.")
		g = Load(Param("grad"), GP64())
	} else {
		TEXT("mseLossKernel", NOSPLIT, "func(pred, y *float32, n int) float32")
		Doc("mseLossKernel returns the sum of (pred[i]-y[i])^2 for i < n, a positive multiple of 8.")
	}
	pp := Load(Param("pred"), GP64())
	yp := Load(Param("y"), GP64())
	n := Load(Param("n"), GP64())
	clear(inReg)
	scale := reg.Y8
	if grad {
		VBROADCASTSS(paramAddr("scale"), scale)
	}
	accs := []reg.VecPhysical{reg.Y4, reg.Y5, reg.Y6, reg.Y7}
	for _, a := range accs {
		VXORPS(a, a, a)
	}
	step := func(grp int) {
		d := ymm(grp)
		VMOVUPS(Mem{Base: pp, Disp: 32 * grp}, d)
		VSUBPS(Mem{Base: yp, Disp: 32 * grp}, d, d)
		VFMADD231PS(d, d, accs[grp])
		if grad {
			VMULPS(scale, d, d)
			VMOVUPS(d, Mem{Base: g, Disp: 32 * grp})
		}
	}
	advance := func(elems int) {
		for _, p := range []reg.Register{pp, yp, g} {
			if p != nil {
				ADDQ(U32(4*elems), p)
			}
		}
	}
	CMPQ(n, U8(32))
	JL(LabelRef("one"))
	Label("four")
	for grp := range 4 {
		step(grp)
	}
	advance(32)
	SUBQ(U8(32), n)
	CMPQ(n, U8(32))
	JGE(LabelRef("four"))
	Label("one")
	TESTQ(n, n)
	JE(LabelRef("done"))
	step(0)
	advance(8)
	SUBQ(U8(8), n)
	JMP(LabelRef("one"))
	Label("done")
	reduceSum(accs...)
}
