package kernels

import "math"

// The pure-Go twins of the exponential and the logarithm. They run the
// same algorithms as the assembly (asm_gen/gen_exp.go), lane by lane, in
// float32: the same range reductions, polynomials and special-case rules,
// so that the two agree within a few ULP and the twin is fast enough to be
// the fallback. The activations and losses build on expNeg and logf.

var genericExp = expKernels{exp: expGeneric, log: logGeneric}

// The constants of the exponential and the logarithm (log2e, expC1…,
// logP0…) are the assembly's: asm_gen/consts.go declares them and explains
// the algorithms, zconst.go states them for Go.

// expReduced returns e^r ≈ 1 + r·p(r) for the reduced argument
// r = x − n·ln2 of x, n being x·log2(e) rounded; the polynomial is the
// assembly's poly5.
func expReduced(x, n float32) float32 {
	r := x - float32(n*ln2Hi)
	r -= float32(n * ln2Lo)
	p := float32(expC5*r) + expC4
	p = float32(p*r) + expC3
	p = float32(p*r) + expC2
	p = float32(p*r) + expC1
	return float32(p*r) + 1
}

// expNeg returns e^z for z ≤ 0 (or NaN), flushed to 0 below expCutoff.
func expNeg(z float32) float32 {
	t := float32(z*log2e) + expMagicBias
	s := math.Float32frombits(math.Float32bits(t) << 23)
	n := t - expMagicBias
	p := expReduced(z, n)
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
	p := expReduced(xc, n)
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

// expShiftSum sets dst[i] = e^(src[i]−m) and returns their sum, added in
// float64 as the assembly adds its chunks.
func expShiftSumGeneric(dst, src []float32, m float32) float64 {
	dst = dst[:len(src)]
	var s float64 // a float32 sum of many small terms after a large one loses them
	for i, x := range src {
		e := expNeg(x - m)
		dst[i] = e
		s += float64(e)
	}
	return s
}
