package kernels

import "math"

// The pure-Go twins of the optimizer updates: they perform exactly the
// float32 operations of the assembly (asm_gen/gen_update.go) in the same
// order, so on amd64 the two agree bit for bit.

var genericUpdate = updateKernels{
	sgd: sgdGeneric, momentum: momentumGeneric, adagrad: adagradGeneric,
	rmsprop: rmspropGeneric, adam: adamGeneric,
}

func sgdGeneric(w, g []float32, lr float32) {
	g = g[:len(w)]
	for i, e := range g {
		w[i] -= lr * e
	}
}

func momentumGeneric(w, g, v []float32, lr, mu float32) {
	g, v = g[:len(w)], v[:len(w)]
	for i, e := range g {
		s := mu*v[i] - lr*e
		v[i] = s
		w[i] += s
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func adagradGeneric(w, g, h []float32, lr, eps float32) {
	g, h = g[:len(w)], h[:len(w)]
	for i, e := range g {
		s := h[i] + e*e
		h[i] = s
		w[i] -= lr * e / (sqrt32(s) + eps)
	}
}

func rmspropGeneric(w, g, h []float32, lr, rho, omr, eps float32) {
	g, h = g[:len(w)], h[:len(w)]
	for i, e := range g {
		s := rho*h[i] + omr*e*e
		h[i] = s
		w[i] -= lr * e / (sqrt32(s) + eps)
	}
}

func adamGeneric(w, g, m, v []float32, p adamParams) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i, e := range g {
		mi := p.b1*m[i] + p.omb1*e
		vi := p.b2*v[i] + p.omb2*e*e
		m[i], v[i] = mi, vi
		w[i] -= p.lrc * mi / (sqrt32(vi*p.c2) + p.eps)
	}
}
