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

// crowded reports whether rows of stride ld (floats) fall in 8 or fewer
// of L1d's 64 sets (a stride a multiple of 512 bytes; 4 sets for a layer
// of 256 units), so that a block of such rows evicts itself where the same
// bytes with another stride would stay in L1d. Transpose tiles such rows
// fewer at a time (BenchmarkTranspose, one thread, Zen 3, GB/s, 8-row
// strips against its tiles, 3 alternated runs: 256×784 10.0–10.3 against
// 24–29, 784×256 25–30 against 24–29, 196×784 18.7–19.0 against 21–25), and
// the CSR products read such a B through a copy (sparseCopyB).
func crowded(ld int) bool { return ld%128 == 0 }

// LeadingDim returns a leading dimension for a matrix of n columns whose
// rows a product reads in blocks, such as a layer's W₁ᵀ for the sparse
// forward product: n, or n+8 when rows n floats apart would crowd L1d's
// sets (a multiple of 512 bytes, such as 256 units); n itself for n ≤ 0.
func LeadingDim(n int) int {
	if n > 0 && crowded(n) {
		return n + 8
	}
	return n
}
