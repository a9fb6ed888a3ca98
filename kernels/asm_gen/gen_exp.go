package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The transcendental kernels work on 8 lanes at a time with the algorithms
// of their Go twins (exp_generic.go, activation_generic.go), whose comments
// explain them: e^z by range reduction (ln2 split in two) and XNNPACK's
// degree-5 polynomial, 2^n from the bits of the rounding sum, a true VDIVPS
// for sigmoid and tanh, Cephes' polynomials for log and small tanh. Every
// routine takes a count n that is a positive multiple of 8; the Go wrapper
// finishes the tail with the twin, since masked stores are slow on Zen 3.
//
// Constants live in 32-byte read-only vectors, used as memory operands
// (consts.go). NaN survives VMINPS/VMAXPS only as their second (Intel)
// operand, which is avo's first argument: every clamp passes the data there.

// expFamily emits e^x and ln x and the exponential pass of softmax
// (zexp_amd64.s, wired in exp_amd64.go).
func expFamily() {
	actConstants("log2e", "negLn2Hi", "negLn2Lo", "magic", "magicBias",
		"c5", "c4", "c3", "c2", "c1", "one", "cutoff", "hi", "minusHalf",
		"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "q1", "q2",
		"minNormal", "two23", "f23", "posInf", "negInf", "nan", "i127", "mant", "sqrtHalf")
	unaryKernel("expKernel", "e^src[i]", 5, 2, func() {
		keep("one", "magic", "log2e", "c5", "cutoff", "hi")
	}, eachGroup(expBody))
	unaryKernel("logKernel", "ln src[i]", 7, 2, func() { keep("one", "p0") }, eachGroup(logBody))
	expShiftSumKernel()
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

// logBody: r[0] = ln r[0] (Cephes logf): subnormals scaled by 2^23 first,
// then ±0 → −Inf, negative → NaN, +Inf and NaN → themselves.
func logBody(r []reg.VecPhysical) {
	x, sm, xb, e, f, z, y := r[0], r[1], r[2], r[3], r[4], r[5], r[6]
	VCMPPS(U8(cmpLT), k("minNormal"), x, sm)
	VMULPS(k("two23"), x, xb)
	VBLENDVPS(sm, xb, x, xb)
	logExponent(xb, e)
	VANDPS(k("f23"), sm, sm)
	VSUBPS(sm, e, e)
	logMantissa(xb, f, z, y, e)
	VCMPPS(U8(cmpNLT), k("posInf"), x, sm) // +Inf or NaN
	VBLENDVPS(sm, x, y, y)
	VXORPS(z, z, z)
	VCMPPS(U8(cmpEQ), z, x, sm)
	VBLENDVPS(sm, k("negInf"), y, y)
	VCMPPS(U8(cmpLT), z, x, sm)
	VBLENDVPS(sm, k("nan"), y, x)
}

// logExponent starts ln x for the bits of a positive normal x in xb: it
// sets e to the exponent of x = 2^e · m, m in [√½, √2), as a float, and xb
// to the bits of x less those of √½.
func logExponent(xb, e reg.VecPhysical) {
	VPSUBD(k("sqrtHalf"), xb, xb)
	VPSRAD(U8(23), xb, e)
	VCVTDQ2PS(e, e)
}

// logMantissa finishes ln x from xb and e of logExponent: it sets
// y = e·ln2 + ln(1+f) with f = m − 1 by Cephes' polynomial, z = f² (f may
// be xb).
func logMantissa(xb, f, z, y, e reg.VecPhysical) {
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
}

// expShiftSumKernel emits expShiftSumKernel(dst, src, n, m) float32:
// dst[i] = e^(src[i]−m) for src[i] ≤ m, and returns their sum; the pass
// of softmax and softmax cross-entropy.
func expShiftSumKernel() {
	text("expShiftSumKernel", "func(dst, src *float32, n int, m float32) float32", "expShiftSumKernel sets dst[i] = e^(src[i]-m) for i < n, a positive multiple of 8, and returns their sum.")
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
	pairLoop(n, func(g int) { step(g, []reg.VecPhysical{acc0, acc1}[g]) }, func() {
		ADDQ(U8(64), src)
		ADDQ(U8(64), dst)
	})
	reduceSum(acc0, acc1)
}
