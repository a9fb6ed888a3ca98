package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// peakFamily emits the FMA peak probe (zpeak_amd64.s, wired in
// peak_amd64.go).
func peakFamily() { fmaPeak() }

// fmaPeak emits fmaPeak, a loop of 12 independent VFMADD231PS chains (192
// FLOP per iteration) that measures the core's float32 FMA throughput.
func fmaPeak() {
	text("fmaPeak", "func(iters int)", "fmaPeak runs iters iterations of 12 independent 8-wide FMAs (192 FLOP each).")
	n := Load(Param("iters"), GP64())
	for i := 0; i < 14; i++ {
		VXORPS(ymm(i), ymm(i), ymm(i))
	}
	TESTQ(n, n)
	JLE(LabelRef("done"))
	Label("loop")
	for i := 0; i < 12; i++ {
		VFMADD231PS(reg.Y12, reg.Y13, ymm(i))
	}
	DECQ(n)
	JNE(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
