package main

import (
	. "github.com/mmcloughlin/avo/build"
)

// updateFamily emits the optimizer updates (zupdate_amd64.s, wired in
// update_amd64.go).
func updateFamily() { emitElementwiseKernels(updateKernels) }

// updateKernels are the optimizer updates of update.go: each reads the
// weights w, the gradient and the optimizer's state, writes the new weights
// to dst (which may be w or grad) and the state in one pass, and returns
// nonzero when a new weight is not finite.
var updateKernels = []ewKernel{
	{
		name: "sgdKernel", doc: "dst[i] = w[i] - lr*g[i].",
		ptrs: []string{"dst", "w", "grad"}, scalars: []string{"lr"}, temps: 2, unroll: 4, finite: true,
		body: func(l lanes) {
			VMULPS(l.addr(2), l.c(0), l.t(0))
			VMOVUPS(l.addr(1), l.t(1))
			VSUBPS(l.t(0), l.t(1), l.t(1))
			l.store(l.t(1), 0)
		},
	},
	{
		name: "momentumKernel", doc: "v[i] = mu*v[i] - lr*g[i]; dst[i] = w[i] + v[i].",
		ptrs: []string{"dst", "w", "grad", "v"}, scalars: []string{"lr", "mu"}, temps: 2, unroll: 4, finite: true,
		body: func(l lanes) {
			VMULPS(l.addr(3), l.c(1), l.t(0))
			VMULPS(l.addr(2), l.c(0), l.t(1))
			VSUBPS(l.t(1), l.t(0), l.t(0))
			l.store(l.t(0), 3)
			VADDPS(l.addr(1), l.t(0), l.t(0))
			l.store(l.t(0), 0)
		},
	},
	{
		name: "adagradKernel", doc: "h[i] += g[i]*g[i]; dst[i] = w[i] - lr*g[i] / (sqrt(h[i]) + eps).",
		ptrs: []string{"dst", "w", "grad", "h"}, scalars: []string{"lr", "eps"}, temps: 3, unroll: 3, finite: true,
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))
			VMULPS(l.t(0), l.t(0), l.t(1))
			VADDPS(l.addr(3), l.t(1), l.t(1))
			l.store(l.t(1), 3)
			VSQRTPS(l.t(1), l.t(1))
			VADDPS(l.c(1), l.t(1), l.t(1))
			VMULPS(l.c(0), l.t(0), l.t(0))
			VDIVPS(l.t(1), l.t(0), l.t(0))
			VMOVUPS(l.addr(1), l.t(2))
			VSUBPS(l.t(0), l.t(2), l.t(2))
			l.store(l.t(2), 0)
		},
	},
	{
		name: "rmspropKernel", doc: "h[i] = rho*h[i] + omr*g[i]*g[i]; dst[i] = w[i] - lr*g[i] / (sqrt(h[i]) + eps).",
		ptrs: []string{"dst", "w", "grad", "h"}, scalars: []string{"lr", "rho", "omr", "eps"}, temps: 3, unroll: 3, finite: true,
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))
			VMULPS(l.c(2), l.t(0), l.t(1)) // omr*g
			VMULPS(l.t(0), l.t(1), l.t(1)) // (omr*g)*g
			VMULPS(l.addr(3), l.c(1), l.t(2))
			VADDPS(l.t(1), l.t(2), l.t(1)) // rho*h + omr*g*g
			l.store(l.t(1), 3)
			VSQRTPS(l.t(1), l.t(1))
			VADDPS(l.c(3), l.t(1), l.t(1))
			VMULPS(l.c(0), l.t(0), l.t(0))
			VDIVPS(l.t(1), l.t(0), l.t(0))
			VMOVUPS(l.addr(1), l.t(2))
			VSUBPS(l.t(0), l.t(2), l.t(2))
			l.store(l.t(2), 0)
		},
	},
	{
		name: "adamKernel",
		doc:  "m[i] = b1*m[i] + omb1*g[i]; v[i] = b2*v[i] + omb2*g[i]*g[i]; dst[i] = w[i] - lrc*m[i] / (sqrt(v[i]*c2) + eps).",
		ptrs: []string{"dst", "w", "grad", "m", "v"}, scalars: []string{"b1", "omb1", "b2", "omb2", "lrc", "c2", "eps"},
		temps: 3, unroll: 2, finite: true, // unroll 3 needs 17 registers
		body: func(l lanes) {
			VMOVUPS(l.addr(2), l.t(0))        // g
			VMULPS(l.addr(3), l.c(0), l.t(1)) // b1*m
			VMULPS(l.t(0), l.c(1), l.t(2))    // omb1*g
			VADDPS(l.t(2), l.t(1), l.t(1))    // m'
			l.store(l.t(1), 3)                //
			VMULPS(l.t(0), l.c(3), l.t(2))    // omb2*g
			VMULPS(l.t(0), l.t(2), l.t(2))    // (omb2*g)*g
			VMULPS(l.addr(4), l.c(2), l.t(0)) // b2*v
			VADDPS(l.t(2), l.t(0), l.t(0))    // v'
			l.store(l.t(0), 4)                //
			VMULPS(l.c(5), l.t(0), l.t(0))    // v'*c2
			VSQRTPS(l.t(0), l.t(0))           //
			VADDPS(l.c(6), l.t(0), l.t(0))    // + eps
			VMULPS(l.c(4), l.t(1), l.t(1))    // lrc*m'
			VDIVPS(l.t(0), l.t(1), l.t(1))    //
			VMOVUPS(l.addr(1), l.t(2))        // w
			VSUBPS(l.t(1), l.t(2), l.t(2))    //
			l.store(l.t(2), 0)                //
		},
	},
}
