package kernels

import "github.com/klauspost/cpuid/v2"

// Blocking of the packed GEMM (BLIS's names): a kcBlock×ncBlock block of
// op(B) is packed into nr-column micro-panels, an mcBlock×kcBlock block of
// op(A) into mr-row micro-panels, and the macro-kernel multiplies the two
// blocks. Each is an upper bound: a GEMM splits its dimensions into equal
// blocks no larger (balance). They are set once, at init, from the cache
// sizes and never change afterwards: a kc×nr micro-panel of B stays in L1,
// the mc×kc block of A in L2, and the kc×nc block of B in a share of L2/L3.
var kcBlock, mcBlock, ncBlock = blocking(cpuid.CPU.Cache.L1D, cpuid.CPU.Cache.L2)

// blocking derives the block sizes from the L1d and L2 sizes in bytes (-1
// or 0 when unknown: then those of a Zen 3 core, 32 KiB and 512 KiB).
func blocking(l1d, l2 int) (kc, mc, nc int) {
	if l1d <= 0 {
		l1d = 32 << 10
	}
	if l2 <= 0 {
		l2 = 512 << 10
	}
	// B micro-panel: half of L1d, leaving room for the A panel and C.
	kc = clampRound(l1d/2/(nr*4), 64, 512, 8)
	// A block: about 0.28 of L2 (mc = 144 on Zen 3), the rest holds B panels.
	mc = clampRound(l2*9/32/(kc*4), 4*mr, 480, mr)
	// B block: twice L2, streamed from L3 once per A block.
	nc = clampRound(2*l2/(kc*4), 4*nr, 8192, nr)
	return kc, mc, nc
}

// clampRound rounds v down to a multiple of unit within [lo, hi].
func clampRound(v, lo, hi, unit int) int {
	v = min(max(v, lo), hi)
	return v / unit * unit
}
