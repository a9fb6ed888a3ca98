package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// lossFamily emits the losses with their gradients (zloss_amd64.s, wired
// in loss_amd64.go). They are built from the bodies of the exponential and
// the logarithm (gen_exp.go) but are routines of their own.
func lossFamily() {
	actConstants("log2e", "negLn2Hi", "negLn2Lo", "magicBias",
		"c5", "c4", "c3", "c2", "c1", "one", "cutoff", "minusHalf",
		"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "q1", "q2",
		"sign", "mant", "sqrtHalf")
	bceKernel(true)
	bceKernel(false)
	mseKernel(true)
	mseKernel(false)
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
		text("bceKernel", "func(grad, z, y *float32, n int, scale float32) float32", "bceKernel sets grad[i] = scale*(sigmoid(z[i])-y[i]) for i < n, a positive multiple of 8,",
			"and returns the sum of max(z[i],0) - z[i]*y[i] + log(1+e^-|z[i]|).")
		g = Load(Param("grad"), GP64())
	} else {
		text("bceLossKernel", "func(z, y *float32, n int) float32", "bceLossKernel returns the sum of max(z[i],0) - z[i]*y[i] + log(1+e^-|z[i]|) for i < n, a positive multiple of 8.")
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
		logExponent(D, C)
		logMantissa(D, D, B, E, C) // f in D, f² in B, ln u in E
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
	pairLoop(n, step, func() { advance(16) })
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
		text("mseKernel", "func(grad, pred, y *float32, n int, scale float32) float32", "mseKernel sets grad[i] = scale*(pred[i]-y[i]) for i < n, a positive multiple of 8,",
			"and returns the sum of (pred[i]-y[i])^2.")
		g = Load(Param("grad"), GP64())
	} else {
		text("mseLossKernel", "func(pred, y *float32, n int) float32", "mseLossKernel returns the sum of (pred[i]-y[i])^2 for i < n, a positive multiple of 8.")
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
