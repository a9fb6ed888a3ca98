package kernels

import (
	"fmt"
	"math"
)

// updateKernels are one implementation's optimizer updates: each reads the
// weights w, the gradient g and the optimizer's state and writes w and the
// state in one pass; every slice has len(w) elements.
type updateKernels struct {
	sgd      func(w, g []float32, lr float32)
	momentum func(w, g, v []float32, lr, mu float32)
	adagrad  func(w, g, h []float32, lr, eps float32)
	// rmsprop takes omr = 1 - rho.
	rmsprop func(w, g, h []float32, lr, rho, omr, eps float32)
	// adam takes omb1 = 1-b1, omb2 = 1-b2, lrc = lr/(1-b1^t) and
	// c2 = 1/(1-b2^t): m = b1*m + omb1*g; v = b2*v + omb2*g*g;
	// w -= lrc*m / (sqrt(v*c2) + eps).
	adam func(w, g, m, v []float32, p adamParams)
}

// adamParams are the per-call scalars of an Adam step; see updateKernels.adam.
type adamParams struct {
	b1, omb1, b2, omb2, lrc, c2, eps float32
}

// SGDUpdate takes one plain gradient-descent step: w[i] −= lr·g[i].
// len(g) must equal len(w).
func SGDUpdate(w, g []float32, lr float32) {
	needLen("g", g, len(w))
	Default().upd.sgd(w, g, lr)
}

// MomentumUpdate takes one gradient-descent step with momentum, in one pass
// over w, g and the velocity v: v[i] = mu·v[i] − lr·g[i]; w[i] += v[i].
// All three slices have the same length; v starts at zero.
func MomentumUpdate(w, g, v []float32, lr, mu float32) {
	needLen("g", g, len(w))
	needLen("v", v, len(w))
	Default().upd.momentum(w, g, v, lr, mu)
}

// AdaGradUpdate takes one AdaGrad step, in one pass over w, g and the sum of
// squared gradients h: h[i] += g[i]²; w[i] −= lr·g[i]/(√h[i] + eps).
// All three slices have the same length; h starts at zero.
func AdaGradUpdate(w, g, h []float32, lr, eps float32) {
	needLen("g", g, len(w))
	needLen("h", h, len(w))
	Default().upd.adagrad(w, g, h, lr, eps)
}

// RMSPropUpdate takes one RMSProp step, in one pass over w, g and the running
// mean of squared gradients h: h[i] = rho·h[i] + (1−rho)·g[i]²;
// w[i] −= lr·g[i]/(√h[i] + eps). All three slices have the same length; h
// starts at zero.
func RMSPropUpdate(w, g, h []float32, lr, rho, eps float32) {
	needLen("g", g, len(w))
	needLen("h", h, len(w))
	Default().upd.rmsprop(w, g, h, lr, rho, 1-rho, eps)
}

// AdamUpdate takes Adam step t (t ≥ 1, counting from 1), in one pass over w,
// g and the moment estimates m and v (both start at zero):
//
//	m[i] = β1·m[i] + (1−β1)·g[i]
//	v[i] = β2·v[i] + (1−β2)·g[i]²
//	w[i] −= lr·m̂/(√v̂ + eps),  m̂ = m[i]/(1−β1^t), v̂ = v[i]/(1−β2^t)
//
// The bias corrections are computed once per call in float64. All four
// slices have the same length.
func AdamUpdate(w, g, m, v []float32, lr, beta1, beta2, eps float32, t int) {
	needLen("g", g, len(w))
	needLen("m", m, len(w))
	needLen("v", v, len(w))
	Default().upd.adam(w, g, m, v, newAdamParams(lr, beta1, beta2, eps, t))
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
