package mlp

import (
	"fmt"
	"math"

	"github.com/gofma/gofma/kernels"
)

// Optimizer is a rule for updating the weights from their gradients: GD,
// SGD, Momentum, AdaGrad, RMSProp, Adam or AdamW. A zero hyperparameter
// takes the default its field's comment gives (so a decay cannot be exactly
// 0: use a tiny value instead); a negative, NaN or out-of-range one makes
// Fit return an error. A Fit starts the optimizer's state afresh, or, with
// FitConfig.Resume, continues the state the network holds.
type Optimizer interface {
	// String names the optimizer and its hyperparameters, defaults applied.
	String() string
	// start checks the hyperparameters and returns fresh state for p
	// parameters.
	start(p int) (updater, error)
}

// updater is an optimizer's state during training.
type updater interface {
	// update takes step t (from 1) with learning rate lr on w[lo:hi] with
	// gradients g[lo:hi], writes the new weights to dst[lo:hi] (dst may be
	// w or g) and reports whether they are all finite.
	update(dst, w, g []float32, lo, hi, t int, lr float32) bool
	// rate is the learning rate the hyperparameters set (a schedule scales
	// it), and decoupled the weight decay applied apart from the gradient
	// (AdamW's; 0 for the others).
	rate() float32
	decoupled() float32
	// moments are the per-parameter state slices that checkpoints keep:
	// none for GD and SGD, one for Momentum, AdaGrad and RMSProp, two for
	// Adam and AdamW.
	moments() [][]float32
}

// optimizerKind returns the code of o's type in model files (an index of
// optimizerNames), or 0 for an optimizer of no known type.
func optimizerKind(o Optimizer) uint8 {
	switch o.(type) {
	case GD, *GD:
		return 1
	case SGD, *SGD:
		return 2
	case Momentum, *Momentum:
		return 3
	case AdaGrad, *AdaGrad:
		return 4
	case RMSProp, *RMSProp:
		return 5
	case Adam, *Adam:
		return 6
	case AdamW, *AdamW:
		return 7
	}
	return 0
}

// optimizerNames are the names of optimizerKind's codes, from 1.
var optimizerNames = [...]string{1: "GD", "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW"}

// optimizerMoments is the number of moments slices of each code's state.
var optimizerMoments = [...]int{1: 0, 0, 1, 1, 1, 2, 2}

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

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter): each
// step also takes lr·WeightDecay·w off every weight (not the biases),
// apart from the gradient and its moments, where FitConfig.WeightDecay's
// L2 penalty goes through them. lr is the step's learning rate, scheduled.
type AdamW struct {
	LR          float32 // learning rate; default 0.001
	Beta1       float32 // decay of the first moment, in [0, 1); default 0.9
	Beta2       float32 // decay of the second moment, in [0, 1); default 0.999
	Eps         float32 // added to √v̂; default 1e-8
	WeightDecay float32 // decoupled decay per unit of learning rate; default 0.01, as PyTorch's
}

// The defaults live in one place: filled returns the optimizer with every
// zero hyperparameter replaced by its default.

func (o GD) filled() GD   { o.LR = def(o.LR, 0.1); return o }
func (o SGD) filled() SGD { o.LR = def(o.LR, 0.01); return o }

func (o Momentum) filled() Momentum {
	o.LR, o.Mu = def(o.LR, 0.01), def(o.Mu, 0.9)
	return o
}

func (o AdaGrad) filled() AdaGrad {
	o.LR, o.Eps = def(o.LR, 0.01), def(o.Eps, 1e-8)
	return o
}

func (o RMSProp) filled() RMSProp {
	o.LR, o.Rho, o.Eps = def(o.LR, 0.001), def(o.Rho, 0.9), def(o.Eps, 1e-8)
	return o
}

func (o Adam) filled() Adam {
	o.LR, o.Beta1, o.Beta2, o.Eps = def(o.LR, 0.001), def(o.Beta1, 0.9), def(o.Beta2, 0.999), def(o.Eps, 1e-8)
	return o
}

func (o AdamW) filled() AdamW {
	a := Adam{o.LR, o.Beta1, o.Beta2, o.Eps}.filled()
	return AdamW{a.LR, a.Beta1, a.Beta2, a.Eps, def(o.WeightDecay, 0.01)}
}

// String implements Optimizer.
func (o GD) String() string { return fmt.Sprintf("GD(lr=%g)", o.filled().LR) }

// String implements Optimizer.
func (o SGD) String() string { return fmt.Sprintf("SGD(lr=%g)", o.filled().LR) }

// String implements Optimizer.
func (o Momentum) String() string {
	o = o.filled()
	return fmt.Sprintf("Momentum(lr=%g, mu=%g)", o.LR, o.Mu)
}

// String implements Optimizer.
func (o AdaGrad) String() string {
	o = o.filled()
	return fmt.Sprintf("AdaGrad(lr=%g, eps=%g)", o.LR, o.Eps)
}

// String implements Optimizer.
func (o RMSProp) String() string {
	o = o.filled()
	return fmt.Sprintf("RMSProp(lr=%g, rho=%g, eps=%g)", o.LR, o.Rho, o.Eps)
}

// String implements Optimizer.
func (o Adam) String() string {
	o = o.filled()
	return fmt.Sprintf("Adam(lr=%g, beta1=%g, beta2=%g, eps=%g)", o.LR, o.Beta1, o.Beta2, o.Eps)
}

// String implements Optimizer.
func (o AdamW) String() string {
	o = o.filled()
	return fmt.Sprintf("AdamW(lr=%g, beta1=%g, beta2=%g, eps=%g, weight_decay=%g)", o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay)
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

// rateOf is an updater's learning rate and no decoupled decay: each state
// embeds it.
type rateOf struct{ lr float32 }

func (r rateOf) rate() float32    { return r.lr }
func (rateOf) decoupled() float32 { return 0 }

type sgdState struct{ rateOf }

func (s *sgdState) update(dst, w, g []float32, lo, hi, _ int, lr float32) bool {
	return kernels.SGDUpdate(dst[lo:hi], w[lo:hi], g[lo:hi], lr)
}

func (s *sgdState) moments() [][]float32 { return nil }

func (o GD) start(int) (updater, error) {
	o = o.filled()
	return &sgdState{rateOf{o.LR}}, positive("GD", "LR", o.LR)
}

func (o SGD) start(int) (updater, error) {
	o = o.filled()
	return &sgdState{rateOf{o.LR}}, positive("SGD", "LR", o.LR)
}

type momentumState struct {
	rateOf
	mu float32
	v  []float32
}

func (s *momentumState) update(dst, w, g []float32, lo, hi, _ int, lr float32) bool {
	return kernels.MomentumUpdate(dst[lo:hi], w[lo:hi], g[lo:hi], s.v[lo:hi], lr, s.mu)
}

func (s *momentumState) moments() [][]float32 { return [][]float32{s.v} }

func (o Momentum) start(p int) (updater, error) {
	o = o.filled()
	if err := firstError(positive("Momentum", "LR", o.LR), unit("Momentum", "Mu", o.Mu)); err != nil {
		return nil, err
	}
	return &momentumState{rateOf{o.LR}, o.Mu, make([]float32, p)}, nil
}

type adaGradState struct {
	rateOf
	eps float32
	h   []float32
}

func (s *adaGradState) update(dst, w, g []float32, lo, hi, _ int, lr float32) bool {
	return kernels.AdaGradUpdate(dst[lo:hi], w[lo:hi], g[lo:hi], s.h[lo:hi], lr, s.eps)
}

func (s *adaGradState) moments() [][]float32 { return [][]float32{s.h} }

func (o AdaGrad) start(p int) (updater, error) {
	o = o.filled()
	if err := firstError(positive("AdaGrad", "LR", o.LR), positive("AdaGrad", "Eps", o.Eps)); err != nil {
		return nil, err
	}
	return &adaGradState{rateOf{o.LR}, o.Eps, make([]float32, p)}, nil
}

type rmsPropState struct {
	rateOf
	rho, eps float32
	h        []float32
}

func (s *rmsPropState) update(dst, w, g []float32, lo, hi, _ int, lr float32) bool {
	return kernels.RMSPropUpdate(dst[lo:hi], w[lo:hi], g[lo:hi], s.h[lo:hi], lr, s.rho, s.eps)
}

func (s *rmsPropState) moments() [][]float32 { return [][]float32{s.h} }

func (o RMSProp) start(p int) (updater, error) {
	o = o.filled()
	if err := firstError(positive("RMSProp", "LR", o.LR), unit("RMSProp", "Rho", o.Rho), positive("RMSProp", "Eps", o.Eps)); err != nil {
		return nil, err
	}
	return &rmsPropState{rateOf{o.LR}, o.Rho, o.Eps, make([]float32, p)}, nil
}

type adamState struct {
	rateOf
	beta1, beta2, eps float32
	wd                float32 // decoupled weight decay (AdamW)
	m, v              []float32
}

func (s *adamState) update(dst, w, g []float32, lo, hi, t int, lr float32) bool {
	return kernels.AdamUpdate(dst[lo:hi], w[lo:hi], g[lo:hi], s.m[lo:hi], s.v[lo:hi], lr, s.beta1, s.beta2, s.eps, t)
}

func (s *adamState) decoupled() float32   { return s.wd }
func (s *adamState) moments() [][]float32 { return [][]float32{s.m, s.v} }

func (o Adam) start(p int) (updater, error) {
	o = o.filled()
	if err := firstError(positive("Adam", "LR", o.LR), unit("Adam", "Beta1", o.Beta1), unit("Adam", "Beta2", o.Beta2), positive("Adam", "Eps", o.Eps)); err != nil {
		return nil, err
	}
	return &adamState{rateOf{o.LR}, o.Beta1, o.Beta2, o.Eps, 0, make([]float32, p), make([]float32, p)}, nil
}

func (o AdamW) start(p int) (updater, error) {
	o = o.filled()
	if err := firstError(positive("AdamW", "LR", o.LR), unit("AdamW", "Beta1", o.Beta1), unit("AdamW", "Beta2", o.Beta2),
		positive("AdamW", "Eps", o.Eps), positive("AdamW", "WeightDecay", o.WeightDecay)); err != nil {
		return nil, err
	}
	return &adamState{rateOf{o.LR}, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, make([]float32, p), make([]float32, p)}, nil
}

// ParseOptimizer returns the optimizer named s (gd, sgd, momentum, adagrad,
// rmsprop, adam, adamw) with learning rate lr (0: its default).
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
	case "adamw":
		return AdamW{LR: lr}, nil
	}
	return nil, fmt.Errorf("mlp: unknown optimizer %q (want gd, sgd, momentum, adagrad, rmsprop, adam or adamw)", s)
}
