//go:build amd64 && gc && !purego

package kernels

// avx2Update wires the optimizer updates to the assembly in
// zupdate_amd64.s: whole 8-element groups in calls of at most maxCall
// elements, the tail with the Go twin.
var avx2Update = updateKernels{
	sgd: sgdAVX2, momentum: momentumAVX2, adagrad: adagradAVX2,
	rmsprop: rmspropAVX2, adam: adamAVX2,
}

func sgdAVX2(dst, w, g []float32, lr float32) bool {
	checkVec(len(w), g, dst)
	bad := 0
	t := chunks(0, len(w), func(lo, hi int) { bad |= sgdKernel(&dst[lo], &w[lo], &g[lo], hi-lo, lr) })
	return sgdGeneric(dst[t:], w[t:], g[t:], lr) && bad == 0
}

func momentumAVX2(dst, w, g, v []float32, lr, mu float32) bool {
	checkVec(len(w), g, v, dst)
	bad := 0
	t := chunks(0, len(w), func(lo, hi int) { bad |= momentumKernel(&dst[lo], &w[lo], &g[lo], &v[lo], hi-lo, lr, mu) })
	return momentumGeneric(dst[t:], w[t:], g[t:], v[t:], lr, mu) && bad == 0
}

func adagradAVX2(dst, w, g, h []float32, lr, eps float32) bool {
	checkVec(len(w), g, h, dst)
	bad := 0
	t := chunks(0, len(w), func(lo, hi int) { bad |= adagradKernel(&dst[lo], &w[lo], &g[lo], &h[lo], hi-lo, lr, eps) })
	return adagradGeneric(dst[t:], w[t:], g[t:], h[t:], lr, eps) && bad == 0
}

func rmspropAVX2(dst, w, g, h []float32, lr, rho, omr, eps float32) bool {
	checkVec(len(w), g, h, dst)
	bad := 0
	t := chunks(0, len(w), func(lo, hi int) {
		bad |= rmspropKernel(&dst[lo], &w[lo], &g[lo], &h[lo], hi-lo, lr, rho, omr, eps)
	})
	return rmspropGeneric(dst[t:], w[t:], g[t:], h[t:], lr, rho, omr, eps) && bad == 0
}

func adamAVX2(dst, w, g, m, v []float32, p adamParams) bool {
	checkVec(len(w), g, m, v, dst)
	bad := 0
	t := chunks(0, len(w), func(lo, hi int) {
		bad |= adamKernel(&dst[lo], &w[lo], &g[lo], &m[lo], &v[lo], hi-lo, p.b1, p.omb1, p.b2, p.omb2, p.lrc, p.c2, p.eps)
	})
	return adamGeneric(dst[t:], w[t:], g[t:], m[t:], v[t:], p) && bad == 0
}
