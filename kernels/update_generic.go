package kernels

import "math"

// The pure-Go twins of the optimizer updates: they perform exactly the
// float32 operations of the assembly (asm_gen/gen_update.go) in the same
// order, so on amd64 the two agree bit for bit.

var genericUpdate = updateKernels{
	sgd: sgdGeneric, momentum: momentumGeneric, adagrad: adagradGeneric,
	rmsprop: rmspropGeneric, adam: adamGeneric,
}

// finite32 reports whether x is neither infinite nor NaN, as the assembly
// checks it: by the exponent bits.
func finite32(x float32) bool { return math.Float32bits(x)&0x7f800000 != 0x7f800000 }

func sgdGeneric(dst, w, g []float32, lr float32) bool {
	g, dst = g[:len(w)], dst[:len(w)]
	ok := true
	for i, e := range g {
		x := w[i] - lr*e
		dst[i] = x
		ok = ok && finite32(x)
	}
	return ok
}

func momentumGeneric(dst, w, g, v []float32, lr, mu float32) bool {
	g, v, dst = g[:len(w)], v[:len(w)], dst[:len(w)]
	ok := true
	for i, e := range g {
		s := mu*v[i] - lr*e
		v[i] = s
		x := w[i] + s
		dst[i] = x
		ok = ok && finite32(x)
	}
	return ok
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func adagradGeneric(dst, w, g, h []float32, lr, eps float32) bool {
	g, h, dst = g[:len(w)], h[:len(w)], dst[:len(w)]
	ok := true
	for i, e := range g {
		s := h[i] + e*e
		h[i] = s
		x := w[i] - lr*e/(sqrt32(s)+eps)
		dst[i] = x
		ok = ok && finite32(x)
	}
	return ok
}

func rmspropGeneric(dst, w, g, h []float32, lr, rho, omr, eps float32) bool {
	g, h, dst = g[:len(w)], h[:len(w)], dst[:len(w)]
	ok := true
	for i, e := range g {
		s := rho*h[i] + omr*e*e
		h[i] = s
		x := w[i] - lr*e/(sqrt32(s)+eps)
		dst[i] = x
		ok = ok && finite32(x)
	}
	return ok
}

func adamGeneric(dst, w, g, m, v []float32, p adamParams) bool {
	g, m, v, dst = g[:len(w)], m[:len(w)], v[:len(w)], dst[:len(w)]
	ok := true
	for i, e := range g {
		mi := p.b1*m[i] + p.omb1*e
		vi := p.b2*v[i] + p.omb2*e*e
		m[i], v[i] = mi, vi
		x := w[i] - p.lrc*mi/(sqrt32(vi*p.c2)+p.eps)
		dst[i] = x
		ok = ok && finite32(x)
	}
	return ok
}
