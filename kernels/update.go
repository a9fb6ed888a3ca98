package kernels

import (
	"fmt"
	"math"
)

// updateKernels are one implementation's optimizer updates: each reads the
// weights w, the gradient g and the optimizer's state, writes the new
// weights to dst and the new state in one pass, and reports whether every
// new weight is finite; every slice has len(w) elements.
type updateKernels struct {
	sgd      func(dst, w, g []float32, lr float32) bool
	momentum func(dst, w, g, v []float32, lr, mu float32) bool
	adagrad  func(dst, w, g, h []float32, lr, eps float32) bool
	// rmsprop takes omr = 1 - rho.
	rmsprop func(dst, w, g, h []float32, lr, rho, omr, eps float32) bool
	// adam takes omb1 = 1-b1, omb2 = 1-b2, lrc = lr/(1-b1^t) and
	// c2 = 1/(1-b2^t): m = b1*m + omb1*g; v = b2*v + omb2*g*g;
	// dst = w - lrc*m / (sqrt(v*c2) + eps).
	adam func(dst, w, g, m, v []float32, p adamParams) bool
}

// adamParams are the per-call scalars of an Adam step; see updateKernels.adam.
type adamParams struct {
	b1, omb1, b2, omb2, lrc, c2, eps float32
}

// The updates write the new weights to dst, which may be w (an update in
// place) or g (the gradient is not needed afterwards, and w keeps the old
// weights until the caller has seen that the new ones are finite), or a
// slice apart from both; no other overlap is allowed. Each reports whether
// every new weight is finite, a check that costs no pass of its own.

// SGDUpdate takes one plain gradient-descent step: dst[i] = w[i] − lr·g[i].
// All three slices have the same length.
func SGDUpdate(dst, w, g []float32, lr float32) (finite bool) {
	needLen("g", g, len(w))
	needDst(dst, w, g)
	return Default().upd.sgd(dst, w, g, lr)
}

// MomentumUpdate takes one gradient-descent step with momentum, in one pass
// over w, g and the velocity v: v[i] = mu·v[i] − lr·g[i]; dst[i] = w[i] + v[i].
// All slices have the same length; v starts at zero.
func MomentumUpdate(dst, w, g, v []float32, lr, mu float32) (finite bool) {
	needLen("g", g, len(w))
	needLen("v", v, len(w))
	needDst(dst, w, g)
	return Default().upd.momentum(dst, w, g, v, lr, mu)
}

// AdaGradUpdate takes one AdaGrad step, in one pass over w, g and the sum of
// squared gradients h: h[i] += g[i]²; dst[i] = w[i] − lr·g[i]/(√h[i] + eps).
// All slices have the same length; h starts at zero.
func AdaGradUpdate(dst, w, g, h []float32, lr, eps float32) (finite bool) {
	needLen("g", g, len(w))
	needLen("h", h, len(w))
	needDst(dst, w, g)
	return Default().upd.adagrad(dst, w, g, h, lr, eps)
}

// RMSPropUpdate takes one RMSProp step, in one pass over w, g and the running
// mean of squared gradients h: h[i] = rho·h[i] + (1−rho)·g[i]²;
// dst[i] = w[i] − lr·g[i]/(√h[i] + eps). All slices have the same length; h
// starts at zero.
func RMSPropUpdate(dst, w, g, h []float32, lr, rho, eps float32) (finite bool) {
	needLen("g", g, len(w))
	needLen("h", h, len(w))
	needDst(dst, w, g)
	return Default().upd.rmsprop(dst, w, g, h, lr, rho, 1-rho, eps)
}

// AdamUpdate takes Adam step t (t ≥ 1, counting from 1), in one pass over w,
// g and the moment estimates m and v (both start at zero):
//
//	m[i] = β1·m[i] + (1−β1)·g[i]
//	v[i] = β2·v[i] + (1−β2)·g[i]²
//	dst[i] = w[i] − lr·m̂/(√v̂ + eps),  m̂ = m[i]/(1−β1^t), v̂ = v[i]/(1−β2^t)
//
// The bias corrections are computed once per call in float64. All slices
// have the same length.
func AdamUpdate(dst, w, g, m, v []float32, lr, beta1, beta2, eps float32, t int) (finite bool) {
	needLen("g", g, len(w))
	needLen("m", m, len(w))
	needLen("v", v, len(w))
	needDst(dst, w, g)
	return Default().upd.adam(dst, w, g, m, v, newAdamParams(lr, beta1, beta2, eps, t))
}

// newAdamParams computes the scalars of Adam step t.
func newAdamParams(lr, beta1, beta2, eps float32, t int) adamParams {
	if t < 1 {
		panic(fmt.Sprintf("kernels: Adam step t = %d, need >= 1", t))
	}
	c1 := 1 - math.Pow(float64(beta1), float64(t))
	c2 := 1 - math.Pow(float64(beta2), float64(t))
	return adamParams{
		b1: beta1, omb1: 1 - beta1, b2: beta2, omb2: 1 - beta2,
		lrc: float32(float64(lr) / c1), c2: float32(1 / c2), eps: eps,
	}
}
