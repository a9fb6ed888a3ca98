package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// activationConsts are the constants sigmoidBody and tanhBody use.
var activationConsts = []string{"log2e", "negLn2Hi", "negLn2Lo", "magicBias",
	"c5", "c4", "c3", "c2", "c1", "one", "cutoff", "minus2", "minusHalf",
	"tanhSmall", "t1", "t2", "t3", "t4", "t5", "sign", "abs"}

// activationFamily emits the activations and their backward forms
// (zactivation_amd64.s, wired in activation_amd64.go): sigmoid and tanh,
// ReLU, and the backward forms from the saved outputs.
func activationFamily() {
	actConstants(activationConsts...)
	unaryKernel("sigmoidKernel", "1/(1+e^-src[i])", 5, 3, func() {
		keep("one")
	}, sigmoidGroups)
	unaryKernel("tanhKernel", "tanh src[i]", 6, 2, func() {
		keep("one", "magicBias", "log2e", "c5")
	}, eachGroup(tanhBody))
	emitElementwiseKernels(activationKernels)
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

// activationKernels are the elementwise kernels of activation.go: ReLU and
// the backward forms of the activations from their saved outputs.
var activationKernels = []ewKernel{
	{
		name: "reluKernel", doc: "dst[i] = max(src[i], 0) with NaN kept; see reluGeneric.",
		ptrs: []string{"dst", "src"}, zero: true, nt: true, temps: 1, unroll: 4,
		body: func(l lanes) {
			// VMAXPS returns its second source operand (here the memory
			// operand) when either is NaN: 0 > x ? 0 : x.
			VMAXPS(l.addr(1), l.c(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "sigmoidBackwardKernel", doc: "dz[i] = da[i] * (a[i] * (1 - a[i])).",
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
		name: "tanhBackwardKernel", doc: "dz[i] = da[i] * ((1 - a[i]) * (1 + a[i])).",
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
		name: "reluBackwardKernel", doc: "dz[i] = da[i] where a[i] > 0, else 0.",
		ptrs: []string{"dz", "da", "a"}, zero: true, nt: true, temps: 1, unroll: 4,
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))
			VCMPPS(U8(cmpGT), l.c(0), l.t(0), l.t(0)) // a > 0, ordered: NaN gives 0
			VANDPS(l.addr(1), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
}
