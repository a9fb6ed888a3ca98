//go:build amd64 && gc && !purego

package kernels

// avx2Update wires the optimizer updates to the assembly in
// zupdate_amd64.s: whole 8-element groups in calls of at most maxCall
// elements, the tail with the Go twin.
var avx2Update = updateKernels{
	sgd: sgdVec, momentum: momentumVec, adagrad: adagradVec,
	rmsprop: rmspropVec, adam: adamVec,
}

func sgdVec(w, g []float32, lr float32) {
	checkVec(len(w), g)
	t := chunks(0, len(w), func(lo, hi int) { sgdAVX2(&w[lo], &g[lo], hi-lo, lr) })
	sgdGeneric(w[t:], g[t:], lr)
}

func momentumVec(w, g, v []float32, lr, mu float32) {
	checkVec(len(w), g, v)
	t := chunks(0, len(w), func(lo, hi int) { momentumAVX2(&w[lo], &g[lo], &v[lo], hi-lo, lr, mu) })
	momentumGeneric(w[t:], g[t:], v[t:], lr, mu)
}

func adagradVec(w, g, h []float32, lr, eps float32) {
	checkVec(len(w), g, h)
	t := chunks(0, len(w), func(lo, hi int) { adagradAVX2(&w[lo], &g[lo], &h[lo], hi-lo, lr, eps) })
	adagradGeneric(w[t:], g[t:], h[t:], lr, eps)
}

func rmspropVec(w, g, h []float32, lr, rho, omr, eps float32) {
	checkVec(len(w), g, h)
	t := chunks(0, len(w), func(lo, hi int) { rmspropAVX2(&w[lo], &g[lo], &h[lo], hi-lo, lr, rho, omr, eps) })
	rmspropGeneric(w[t:], g[t:], h[t:], lr, rho, omr, eps)
}

func adamVec(w, g, m, v []float32, p adamParams) {
	checkVec(len(w), g, m, v)
	t := chunks(0, len(w), func(lo, hi int) {
		adamAVX2(&w[lo], &g[lo], &m[lo], &v[lo], hi-lo, p.b1, p.omb1, p.b2, p.omb2, p.lrc, p.c2, p.eps)
	})
	adamGeneric(w[t:], g[t:], m[t:], v[t:], p)
}
