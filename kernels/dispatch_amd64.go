//go:build amd64 && gc && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

var avx2 = &Impl{name: "avx2", macro: macroAVX2, macro8: macroAVX2x8, macroRows: macroRowsAVX2, column: columnAVX2, gemv: gemvAVX2,
	packAN: packANAVX2, packAT: packATAVX2, packBN: packBNAVX2, packBT: packBTAVX2, transpose: transposeAVX2,
	exp: avx2Exp, act: avx2Act, loss: avx2Loss, vec: avx2Vec, upd: avx2Update, sp: avx2Sparse}

// hasAVX2FMA reports whether the CPU (and OS) run AVX2 and FMA3; the two are
// separate features and both are needed.
func hasAVX2FMA() bool { return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) }

func initPlatform() {
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX2):
		reason = "CPU lacks AVX2"
	case !cpuid.CPU.Supports(cpuid.FMA3):
		reason = "CPU lacks FMA3"
	default:
		available = []*Impl{avx2, generic}
		reason = "CPU has AVX2 and FMA3"
	}
}
