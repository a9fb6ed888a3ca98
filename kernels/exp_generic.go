package kernels

import "math"

// The pure-Go twins of the exponential and the logarithm. They run the
// same algorithms as the assembly (asm_gen/gen_exp.go), lane by lane, in
// float32: the same range reductions, polynomials and special-case rules,
// so that the two agree within a few ULP and the twin is fast enough to be
// the fallback. The activations and losses build on expNeg and logf.

var genericExp = expKernels{exp: expGeneric, log: logGeneric}

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
	// tanhSmall is where tanh switches from its odd polynomial (Cephes
	// tanhf) to (1 − e^−2|x|)/(1 + e^−2|x|).
	tanhSmall = 0.625
	tanhC1    = -3.33332819422e-1
	tanhC2    = 1.33314422036e-1
	tanhC3    = -5.37397155531e-2
	tanhC4    = 2.06390887954e-2
	tanhC5    = -5.70498872745e-3
	// Constants of the logarithm (Cephes logf): x = 2^e · m with m in
	// [√½, √2), ln x = e·ln2 + ln(1+f), f = m − 1.
	logSqrtHalfBits = 0x3f3504f3
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
	minNormal       = 0x1p-126
)

// expNeg returns e^z for z ≤ 0 (or NaN), flushed to 0 below expCutoff.
func expNeg(z float32) float32 {
	t := float32(z*log2e) + expMagicBias
	s := math.Float32frombits(math.Float32bits(t) << 23)
	n := t - expMagicBias
	r := z - float32(n*ln2Hi)
	r -= float32(n * ln2Lo)
	p := float32(expC5*r) + expC4
	p = float32(p*r) + expC3
	p = float32(p*r) + expC2
	p = float32(p*r) + expC1
	p = float32(p*r) + 1
	if z < expCutoff {
		return 0
	}
	return p * s
}

// expf is e^x over the whole range.
func expf(x float32) float32 {
	xc := x
	if xc < expCutoff {
		return 0
	}
	if xc > expHi {
		xc = expHi
	}
	t := float32(xc*log2e) + expMagic
	ni := int32(math.Float32bits(t) - math.Float32bits(expMagic))
	n := t - expMagic
	r := xc - float32(n*ln2Hi)
	r -= float32(n * ln2Lo)
	p := float32(expC5*r) + expC4
	p = float32(p*r) + expC3
	p = float32(p*r) + expC2
	p = float32(p*r) + expC1
	p = float32(p*r) + 1
	n1 := ni >> 1
	n2 := ni - n1
	p *= math.Float32frombits(uint32(n1+127) << 23)
	return p * math.Float32frombits(uint32(n2+127)<<23)
}

func logf(x float32) float32 {
	switch {
	case x > 0 && x <= math.MaxFloat32:
	case x == 0:
		return float32(math.Inf(-1))
	case x > 0 || x != x: // +Inf or NaN
		return x
	default:
		return float32(math.NaN())
	}
	var fe float32
	if x < minNormal {
		x *= 0x1p23
		fe = -23
	}
	ix := math.Float32bits(x) - logSqrtHalfBits
	fe += float32(int32(ix) >> 23)
	f := math.Float32frombits(ix&0x007fffff+logSqrtHalfBits) - 1
	z := f * f
	y := float32(logP0*f) + logP1
	y = float32(y*f) + logP2
	y = float32(y*f) + logP3
	y = float32(y*f) + logP4
	y = float32(y*f) + logP5
	y = float32(y*f) + logP6
	y = float32(y*f) + logP7
	y = float32(y*f) + logP8
	y = float32(y*f) * z
	y += float32(fe * logQ1)
	y += float32(-0.5 * z)
	r := f + y
	return r + float32(fe*logQ2)
}

func expGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = expf(x)
	}
}

func logGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = logf(x)
	}
}

// expShiftSum sets dst[i] = e^(src[i]−m) and returns their sum.
func expShiftSumGeneric(dst, src []float32, m float32) float64 {
	dst = dst[:len(src)]
	var s float32
	for i, x := range src {
		e := expNeg(x - m)
		dst[i] = e
		s += e
	}
	return float64(s)
}
