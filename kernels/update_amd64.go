//go:build amd64 && gc && !purego

package kernels

// avx2Update wires the optimizer updates to the assembly in
// zupdate_amd64.s: whole 8-element groups in calls of at most maxCall
// elements, the tail with the Go twin.
var avx2Update = updateKernels{
	sgd: sgdAVX2, momentum: momentumAVX2, adagrad: adagradAVX2,
	rmsprop: rmspropAVX2, adam: adamAVX2,
}

func sgdAVX2(w, g []float32, lr float32) {
	checkVec(len(w), g)
	t := chunks(0, len(w), func(lo, hi int) { sgdKernel(&w[lo], &g[lo], hi-lo, lr) })
	sgdGeneric(w[t:], g[t:], lr)
}

func momentumAVX2(w, g, v []float32, lr, mu float32) {
	checkVec(len(w), g, v)
	t := chunks(0, len(w), func(lo, hi int) { momentumKernel(&w[lo], &g[lo], &v[lo], hi-lo, lr, mu) })
	momentumGeneric(w[t:], g[t:], v[t:], lr, mu)
}

func adagradAVX2(w, g, h []float32, lr, eps float32) {
	checkVec(len(w), g, h)
	t := chunks(0, len(w), func(lo, hi int) { adagradKernel(&w[lo], &g[lo], &h[lo], hi-lo, lr, eps) })
	adagradGeneric(w[t:], g[t:], h[t:], lr, eps)
}

func rmspropAVX2(w, g, h []float32, lr, rho, omr, eps float32) {
	checkVec(len(w), g, h)
	t := chunks(0, len(w), func(lo, hi int) { rmspropKernel(&w[lo], &g[lo], &h[lo], hi-lo, lr, rho, omr, eps) })
	rmspropGeneric(w[t:], g[t:], h[t:], lr, rho, omr, eps)
}

func adamAVX2(w, g, m, v []float32, p adamParams) {
	checkVec(len(w), g, m, v)
	t := chunks(0, len(w), func(lo, hi int) {
		adamKernel(&w[lo], &g[lo], &m[lo], &v[lo], hi-lo, p.b1, p.omb1, p.b2, p.omb2, p.lrc, p.c2, p.eps)
	})
	adamGeneric(w[t:], g[t:], m[t:], v[t:], p)
}
