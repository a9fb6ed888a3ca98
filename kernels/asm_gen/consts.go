package main

import (
	"math"
	"slices"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The constants package kernels shares with the assembly. They are
// declared here once: the routines use them, and gen_const.go writes them
// to ../zconst.go for the Go code (the twins, the GEMM driver).

// Micro-tile shape of the SGEMM macro-kernels: mr rows by nr columns of C,
// held in 12 YMM accumulators (two per row); the packed panels of A hold mr
// rows, those of B nr columns.
const (
	mr = 6
	nr = 16
)

// Epilogue codes of the macro-kernels' epi argument (store in
// gemm_blocked.go): bit 0 adds a bias per row of C, bit 1 a bias per column,
// and the bits from epiActShift up select the activation.
const (
	epiRowBias  = 1
	epiColBias  = 2
	epiActShift = 2
)

// Activation codes of the epilogue (epi >> epiActShift), the values of
// kernels.Activation.
const (
	actIdentity = 0
	actSigmoid  = 1
	actTanh     = 2
	actReLU     = 3
)

// sumBlock is how many terms the inner accumulators of the row and column
// sums take before they are added into the outer ones.
const sumBlock = 16

// The sparse products' register blocks: a row kernel keeps up to
// maxSparseVecs vectors of a row of C (its accumulators and the broadcast
// value take 14 registers; a block that ends in a partial vector has at
// most maxSparseVecs−1 whole ones, and a mask and a temporary besides); a
// grouped kernel sparseGroup rows
// of up to sparseGroupVecs vectors each (rows·vecs accumulators, a vector
// of B for each column and the broadcast value take the 16 registers),
// and spmmgt prefetches B's rows groupPrefetch groups ahead (the rows of a
// SparseA carry that many groups of padding).
const (
	maxSparseVecs   = 13
	sparseGroup     = 4
	sparseGroupVecs = 3
	groupPrefetch   = 2
)

// Modes of the sparse row kernels (spmmN's mode): spmmWrite sets a row
// of C to alpha·acc, spmmScale to alpha·acc + beta·C; spmmAdd starts the
// accumulators at C's row (alpha and beta 1) and leaves a row without
// nonzeros unread and unwritten, for the blocks of S's columns after the
// first.
const (
	spmmWrite = 0
	spmmScale = 1
	spmmAdd   = 2
)

// Constants of the exponential: e^x = 2^n · e^r with n = round(x·log2(e))
// and r = x − n·ln2, ln2 split in two (ln2Hi has few bits, so n·ln2Hi is
// exact), and e^r ≈ 1 + r·p(r) on [−ln2/2, ln2/2] (XNNPACK's degree-5
// minimax polynomial). n is rounded by adding expMagic, whose low mantissa
// bits then hold n (+127 for expMagicBias, so that shifting the bits left
// by 23 gives 2^n directly).
const (
	log2e        = 0x1.715476p+0
	ln2Hi        = 0x1.62E400p-1
	ln2Lo        = 0x1.7F7D1Cp-20
	expMagic     = 0x1.8p23
	expMagicBias = 0x1.8000FEp23 // 0x1.8p23 + 127
	expC5        = 0x1.0F9F9Cp-7
	expC4        = 0x1.573A1Ap-5
	expC3        = 0x1.555A80p-3
	expC2        = 0x1.FFFDC6p-2
	expC1        = 0x1.FFFFF6p-1
	// expCutoff is ln(2^-126): below it e^x is below the normal range and
	// flushed to 0 (subnormal arithmetic is several times slower).
	expCutoff = -0x1.5D589Ep+6
	// expHi clamps the input of exp: e^89 overflows to +Inf, and with n
	// split in two halves 2^n is built without overflow at n = 128.
	expHi = 89
)

// Constants of tanh: below tanhSmall, Cephes' odd polynomial (tanhf);
// above, (1 − e^−2|x|)/(1 + e^−2|x|).
const (
	tanhSmall = 0.625
	tanhC1    = -3.33332819422e-1
	tanhC2    = 1.33314422036e-1
	tanhC3    = -5.37397155531e-2
	tanhC4    = 2.06390887954e-2
	tanhC5    = -5.70498872745e-3
)

// Constants of the logarithm (Cephes logf): x = 2^e · m with m in [√½, √2),
// ln x = e·ln2 + ln(1+f), f = m − 1; subnormal x are scaled by 2^23 first.
const (
	logSqrtHalfBits = 0x3f3504f3 // the bits of float32 √½
	logP0           = 7.0376836292e-2
	logP1           = -1.1514610310e-1
	logP2           = 1.1676998740e-1
	logP3           = -1.2420140846e-1
	logP4           = 1.4249322787e-1
	logP5           = -1.6668057665e-1
	logP6           = 2.0000714765e-1
	logP7           = -2.4999993993e-1
	logP8           = 3.3333331174e-1
	logQ1           = -2.12194440e-4 // ln2 − logQ2
	logQ2           = 0.693359375
	minNormal       = 0x1p-126 // the smallest normal float32
)

// The constant pool: each constant is a 32-byte read-only vector (8 equal
// lanes) named act_NAME in the generated file, used as a memory operand or
// loaded into a register by keep. A family declares the ones its routines
// use before the first routine (actConstants).
var pool = map[string]Mem{}

func constF(name string, v float32) { constBits(name, math.Float32bits(v)) }

func constBits(name string, bits uint32) {
	m := GLOBL("act_"+name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(bits))
	}
	pool[name] = m
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
	m, ok := pool[name]
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
		{"minNormal", minNormal}, {"two23", 0x1p23}, {"f23", 23},
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
		{"i127", 127}, {"mant", 0x007fffff}, {"sqrtHalf", logSqrtHalfBits},
	} {
		if want(c.name) {
			constBits(c.name, c.bits)
		}
	}
}
