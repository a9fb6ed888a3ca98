package kernels

import "math"

// The pure-Go twins of the activations. Sigmoid and tanh run the algorithms
// of the assembly (asm_gen/gen_activation.go) lane by lane in float32 and
// agree with it within a few ULP; ReLU and the backward forms perform
// exactly its float32 operations in the same order, so they agree bit for
// bit.

var genericAct = actKernels{
	sigmoid: sigmoidGeneric, tanh: tanhGeneric, relu: reluGeneric,
	sigmoidBackward: sigmoidBackwardGeneric, tanhBackward: tanhBackwardGeneric, reluBackward: reluBackwardGeneric,
	softmax: softmaxGeneric,
}

func sigmoidf(x float32) float32 {
	z := math.Float32frombits(math.Float32bits(x) | 1<<31)
	e := expNeg(z)
	f := e / (e + 1)
	if int32(math.Float32bits(x)) >= 0 {
		return 1 - f
	}
	return f
}

func tanhf(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	var r float32
	if a < tanhSmall {
		z := a * a
		p := float32(tanhC5*z) + tanhC4
		p = float32(p*z) + tanhC3
		p = float32(p*z) + tanhC2
		p = float32(p*z) + tanhC1
		p = float32(p * z)
		r = float32(p*a) + a
	} else {
		e := expNeg(-2 * a)
		r = (1 - e) / (1 + e)
	}
	return math.Float32frombits(math.Float32bits(r) | math.Float32bits(x)&(1<<31))
}

func sigmoidGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = sigmoidf(x)
	}
}

func tanhGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = tanhf(x)
	}
}

// reluGeneric computes 0 > x ? 0 : x, which keeps NaN and -0 (as VMAXPS
// with x as its second operand does).
func reluGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		if 0 > x {
			x = 0
		}
		dst[i] = x
	}
}

func sigmoidBackwardGeneric(dz, da, a []float32) {
	da, dz = da[:len(a)], dz[:len(a)]
	for i, y := range a {
		dz[i] = da[i] * (y * (1 - y))
	}
}

func tanhBackwardGeneric(dz, da, a []float32) {
	da, dz = da[:len(a)], dz[:len(a)]
	for i, y := range a {
		dz[i] = da[i] * ((1 - y) * (1 + y))
	}
}

func reluBackwardGeneric(dz, da, a []float32) {
	da, dz = da[:len(a)], dz[:len(a)]
	for i, y := range a {
		if y > 0 {
			dz[i] = da[i]
		} else {
			dz[i] = 0
		}
	}
}

// rowMax returns the largest element of x (-Inf for an empty x; NaN when
// x holds a NaN).
func rowMax(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if !(v <= m) {
			m = v
		}
	}
	return m
}

func softmaxGeneric(dst, src []float32, rows, cols int) {
	softmaxWith(dst, src, rows, cols, expShiftSumGeneric)
}

// softmaxWith is Softmax with the exponential pass expShiftSum, shared by
// the implementations.
func softmaxWith(dst, src []float32, rows, cols int, expShiftSum func(dst, src []float32, m float32) float64) {
	for r := 0; r < rows; r++ {
		x, d := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		s := expShiftSum(d, x, rowMax(x))
		inv := float32(1 / s)
		for i := range d {
			d[i] *= inv
		}
	}
}
