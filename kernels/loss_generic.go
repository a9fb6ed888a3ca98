package kernels

import "math"

// The pure-Go twins of the losses. BCEWithLogits runs the algorithm of the
// assembly (asm_gen/gen_loss.go) element by element on expNeg and logf of
// exp_generic.go; every twin sums in float64.

var genericLoss = lossKernels{bce: bceGeneric, mse: mseGeneric, sxe: sxeGeneric}

// log1pSmall returns ln(1+e) for e in [0, 1]: ln(u) for u = 1+e, corrected
// for the rounding of u.
func log1pSmall(e float32) float32 {
	u := 1 + e
	return logf(u) + (e-(u-1))/u
}

func bceGeneric(grad, z, y []float32, scale float32) float64 {
	y = y[:len(z)]
	var sum float64
	for i, x := range z {
		a := math.Float32frombits(math.Float32bits(x) | 1<<31)
		e := expNeg(a)
		yi := y[i]
		l := max(x, 0) - x*yi + log1pSmall(e)
		if l != l && math.IsInf(float64(x), 0) {
			l = bceAtInf(x, yi)
		}
		sum += float64(l)
		if grad != nil {
			f := e / (e + 1)
			if x >= 0 {
				f = 1 - f
			}
			grad[i] = scale * (f - yi)
		}
	}
	return sum
}

// bceAtInf returns BCEWithLogits' term at an infinite logit x, where
// max(x,0) − x·y is ∞ − ∞: its limit, (1−y)·∞ for x = +∞ and y·∞ for
// x = −∞, with 0·∞ = 0 (a sure prediction of its target costs nothing).
func bceAtInf(x, y float32) float32 {
	c := y
	if x > 0 {
		c = 1 - y
	}
	if c == 0 {
		return 0
	}
	return c * float32(math.Inf(1))
}

func mseGeneric(grad, pred, y []float32, scale float32) float64 {
	y = y[:len(pred)]
	var sum float64
	for i, p := range pred {
		d := p - y[i]
		sum += float64(d * d)
		if grad != nil {
			grad[i] = scale * d
		}
	}
	return sum / 2
}

func sxeGeneric(grad, logits, y []float32, rows, cols int, scale float32) float64 {
	return sxeWith(grad, logits, y, rows, cols, scale, expShiftSumGeneric)
}

// sxeWith is SoftmaxCrossEntropy with the exponential pass expShiftSum.
func sxeWith(grad, logits, y []float32, rows, cols int, scale float32, expShiftSum func(dst, src []float32, m float32) float64) float64 {
	if cols == 0 {
		return 0 // no classes: no targets, no loss
	}
	var loss float64
	var tmp []float32 // where the exponentials go when grad is nil
	if grad == nil {
		tmp = getScratch(min(cols, 256))
		defer putScratch(tmp)
	}
	for r := 0; r < rows; r++ {
		x, t := logits[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		// One pass for the row's maximum (as rowMax) and the target sums.
		m := float32(math.Inf(-1))
		var sy, syx float64
		for j, v := range x {
			if !(v <= m) {
				m = v
			}
			if tj := t[j]; tj != 0 {
				sy += float64(tj)
				syx += float64(tj) * float64(v)
			}
		}
		var s float64
		if grad != nil {
			s = expShiftSum(grad[r*cols:(r+1)*cols], x, m)
		} else {
			for j := 0; j < cols; j += len(tmp) {
				xs := x[j:min(j+len(tmp), cols)]
				s += expShiftSum(tmp[:len(xs)], xs, m)
			}
		}
		lse := float64(m) + math.Log(s)
		loss += lse*sy - syx
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			inv := float32(1 / s)
			for j := range g {
				g[j] = scale * (g[j]*inv - t[j])
			}
		}
	}
	return loss
}
