package mlp

import (
	"fmt"
	"math"

	"github.com/gofma/gofma/kernels"
)

// Optimizer is a rule for updating the weights from their gradients: GD,
// SGD, Momentum, AdaGrad, RMSProp or Adam. A zero hyperparameter takes the
// default its field's comment gives (so a decay cannot be exactly 0: use a
// tiny value instead); a negative, NaN or out-of-range one makes Fit return
// an error. Each Fit starts the optimizer's state afresh.
type Optimizer interface {
	// String names the optimizer and its hyperparameters, defaults applied.
	String() string
	// start checks the hyperparameters and returns fresh state for p
	// parameters.
	start(p int) (updater, error)
}

// updater is an optimizer's state during one Fit.
type updater interface {
	// update takes step t (from 1) on w[lo:hi] with gradients g[lo:hi].
	update(w, g []float32, lo, hi, t int)
}

// GD is full-batch gradient descent, w −= LR·∇E: every step uses all the
// samples, so Fit rejects a smaller BatchSize (use SGD for mini-batches).
type GD struct {
	LR float32 // learning rate; default 0.1
}

// SGD is stochastic gradient descent, w −= LR·∇E, on mini-batches
// reshuffled every epoch.
type SGD struct {
	LR float32 // learning rate; default 0.01
}

// Momentum is gradient descent with momentum: v = Mu·v − LR·∇E; w += v.
type Momentum struct {
	LR float32 // learning rate; default 0.01
	Mu float32 // momentum in [0, 1); default 0.9
}

// AdaGrad scales each weight's step by its accumulated squared gradients:
// h += g²; w −= LR·g/(√h + Eps).
type AdaGrad struct {
	LR  float32 // learning rate; default 0.01
	Eps float32 // added to √h; default 1e-8
}

// RMSProp scales each weight's step by a running mean of squared
// gradients: h = Rho·h + (1−Rho)·g²; w −= LR·g/(√h + Eps).
type RMSProp struct {
	LR  float32 // learning rate; default 0.001
	Rho float32 // decay in [0, 1); default 0.9
	Eps float32 // added to √h; default 1e-8
}

// Adam is Kingma and Ba's optimizer with bias-corrected moment estimates.
type Adam struct {
	LR    float32 // learning rate; default 0.001
	Beta1 float32 // decay of the first moment, in [0, 1); default 0.9
	Beta2 float32 // decay of the second moment, in [0, 1); default 0.999
	Eps   float32 // added to √v̂; default 1e-8
}

// String implements Optimizer.
func (o GD) String() string { return fmt.Sprintf("GD(lr=%g)", def(o.LR, 0.1)) }

// String implements Optimizer.
func (o SGD) String() string { return fmt.Sprintf("SGD(lr=%g)", def(o.LR, 0.01)) }

// String implements Optimizer.
func (o Momentum) String() string {
	return fmt.Sprintf("Momentum(lr=%g, mu=%g)", def(o.LR, 0.01), def(o.Mu, 0.9))
}

// String implements Optimizer.
func (o AdaGrad) String() string {
	return fmt.Sprintf("AdaGrad(lr=%g, eps=%g)", def(o.LR, 0.01), def(o.Eps, 1e-8))
}

// String implements Optimizer.
func (o RMSProp) String() string {
	return fmt.Sprintf("RMSProp(lr=%g, rho=%g, eps=%g)", def(o.LR, 0.001), def(o.Rho, 0.9), def(o.Eps, 1e-8))
}

// String implements Optimizer.
func (o Adam) String() string {
	return fmt.Sprintf("Adam(lr=%g, beta1=%g, beta2=%g, eps=%g)", def(o.LR, 0.001), def(o.Beta1, 0.9), def(o.Beta2, 0.999), def(o.Eps, 1e-8))
}

// def returns v, or d when v is zero.
func def(v, d float32) float32 {
	if v == 0 {
		return d
	}
	return v
}

// positive returns an error unless v is finite and > 0.
func positive(opt, name string, v float32) error {
	if f := float64(v); !(f > 0) || math.IsInf(f, 0) {
		return fmt.Errorf("mlp: %s: %s is %v, need a finite number > 0", opt, name, v)
	}
	return nil
}

// unit returns an error unless v lies in [0, 1).
func unit(opt, name string, v float32) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("mlp: %s: %s is %v, need a number in [0, 1)", opt, name, v)
	}
	return nil
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

type sgdState struct{ lr float32 }

func (s *sgdState) update(w, g []float32, lo, hi, _ int) { kernels.SGDUpdate(w[lo:hi], g[lo:hi], s.lr) }

func (o GD) start(int) (updater, error) {
	lr := def(o.LR, 0.1)
	return &sgdState{lr}, positive("GD", "LR", lr)
}

func (o SGD) start(int) (updater, error) {
	lr := def(o.LR, 0.01)
	return &sgdState{lr}, positive("SGD", "LR", lr)
}

type momentumState struct {
	lr, mu float32
	v      []float32
}

func (s *momentumState) update(w, g []float32, lo, hi, _ int) {
	kernels.MomentumUpdate(w[lo:hi], g[lo:hi], s.v[lo:hi], s.lr, s.mu)
}

func (o Momentum) start(p int) (updater, error) {
	s := &momentumState{lr: def(o.LR, 0.01), mu: def(o.Mu, 0.9)}
	if err := firstError(positive("Momentum", "LR", s.lr), unit("Momentum", "Mu", s.mu)); err != nil {
		return nil, err
	}
	s.v = make([]float32, p)
	return s, nil
}

type adaGradState struct {
	lr, eps float32
	h       []float32
}

func (s *adaGradState) update(w, g []float32, lo, hi, _ int) {
	kernels.AdaGradUpdate(w[lo:hi], g[lo:hi], s.h[lo:hi], s.lr, s.eps)
}

func (o AdaGrad) start(p int) (updater, error) {
	s := &adaGradState{lr: def(o.LR, 0.01), eps: def(o.Eps, 1e-8)}
	if err := firstError(positive("AdaGrad", "LR", s.lr), positive("AdaGrad", "Eps", s.eps)); err != nil {
		return nil, err
	}
	s.h = make([]float32, p)
	return s, nil
}

type rmsPropState struct {
	lr, rho, eps float32
	h            []float32
}

func (s *rmsPropState) update(w, g []float32, lo, hi, _ int) {
	kernels.RMSPropUpdate(w[lo:hi], g[lo:hi], s.h[lo:hi], s.lr, s.rho, s.eps)
}

func (o RMSProp) start(p int) (updater, error) {
	s := &rmsPropState{lr: def(o.LR, 0.001), rho: def(o.Rho, 0.9), eps: def(o.Eps, 1e-8)}
	if err := firstError(positive("RMSProp", "LR", s.lr), unit("RMSProp", "Rho", s.rho), positive("RMSProp", "Eps", s.eps)); err != nil {
		return nil, err
	}
	s.h = make([]float32, p)
	return s, nil
}

type adamState struct {
	lr, beta1, beta2, eps float32
	m, v                  []float32
}

func (s *adamState) update(w, g []float32, lo, hi, t int) {
	kernels.AdamUpdate(w[lo:hi], g[lo:hi], s.m[lo:hi], s.v[lo:hi], s.lr, s.beta1, s.beta2, s.eps, t)
}

func (o Adam) start(p int) (updater, error) {
	s := &adamState{lr: def(o.LR, 0.001), beta1: def(o.Beta1, 0.9), beta2: def(o.Beta2, 0.999), eps: def(o.Eps, 1e-8)}
	if err := firstError(positive("Adam", "LR", s.lr), unit("Adam", "Beta1", s.beta1), unit("Adam", "Beta2", s.beta2), positive("Adam", "Eps", s.eps)); err != nil {
		return nil, err
	}
	s.m, s.v = make([]float32, p), make([]float32, p)
	return s, nil
}

// ParseOptimizer returns the optimizer named s (gd, sgd, momentum, adagrad,
// rmsprop, adam) with learning rate lr (0: its default).
func ParseOptimizer(s string, lr float32) (Optimizer, error) {
	switch s {
	case "gd":
		return GD{LR: lr}, nil
	case "sgd":
		return SGD{LR: lr}, nil
	case "momentum":
		return Momentum{LR: lr}, nil
	case "adagrad":
		return AdaGrad{LR: lr}, nil
	case "rmsprop":
		return RMSProp{LR: lr}, nil
	case "adam":
		return Adam{LR: lr}, nil
	}
	return nil, fmt.Errorf("mlp: unknown optimizer %q (want gd, sgd, momentum, adagrad, rmsprop or adam)", s)
}
