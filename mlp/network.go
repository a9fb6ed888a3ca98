// Package mlp trains batched multi-layer perceptrons in float32 on the
// gofma kernels.
//
// A Network is a stack of fully connected layers with per-layer
// activations and an output head with its loss (sigmoid with binary
// cross-entropy, softmax with cross-entropy, identity with mean squared
// error). Samples are the rows of the input matrix. Fit trains it with one
// of the optimizers (GD, SGD, Momentum, AdaGrad, RMSProp, Adam, AdamW),
// with a learning-rate schedule, weight decay, dropout and validation
// with early stopping as FitConfig says; Predict, PredictInto and Evaluate
// use it; Save and Load keep it in a file, with the state of its training
// so that a later Fit resumes it exactly; WriteONNX exports it.
//
// Every pass runs on the kernels' shared worker pool: forward layers are
// fused bias+activation GEMMs, and the backward pass splits each layer's
// weight gradient, bias gradient and input gradient into tiles computed
// concurrently. Tiles are fixed by the data's shape, never by the thread
// count, so a run gives bitwise identical results on any number of
// threads (for the same seed and kernel path). Training steps allocate
// nothing once their workspace exists.
//
// Predict, PredictInto, Evaluate and Clone may be called from many
// goroutines at once on one Network: each call passes its samples through
// a workspace of its own, from a free list the network keeps (see
// PredictInto). None of them may run while the weights change: during a
// Fit (its callbacks, on Fit's goroutine between steps, may call them) or
// while the caller writes through the views Weights and Bias return. Fit
// is not safe for concurrent use with any method: to train while serving,
// train a Clone.
package mlp

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gofma/gofma/mat32"
)

// Layer is one fully connected layer: Units outputs, each Act(W·a + b).
type Layer struct {
	Units int
	Act   Activation
}

// Config describes a network for New.
type Config struct {
	Inputs  int     // features per sample
	Hidden  []Layer // hidden layers, from the input side
	Outputs int     // outputs of the last layer, whose activation is Loss's head
	Loss    Loss    // output head and training loss
	Init    Init    // how the weights are drawn
	Seed    uint64  // seeds the weight generator
}

// Limits on a network's shape, which New, Config.Check and Load enforce.
const (
	MaxLayers = 1 << 10 // layers, the output layer included
	MaxUnits  = 1 << 20 // inputs, or units in a layer
	MaxParams = 1 << 30 // weights and biases together
)

// Network is a multi-layer perceptron. Its weights live in one slice, layer
// after layer: the out×in weight matrix W (row-major, one row per unit)
// followed by the bias b.
type Network struct {
	cfg    Config
	layers []layer
	params []float32
	train  *workspace  // for Fit
	state  *trainState // the optimizer's state and the data order, for Resume and model files
	evals  evalPool    // free workspaces for Predict, PredictInto and Evaluate (predict.go)
}

// layer is one layer of a Network; w and b share the network's params.
type layer struct {
	in, out int
	act     Activation // Identity for the last layer: it computes logits
	off     int        // offset of w in params; b follows w
	w, b    []float32
}

// New returns a network shaped by cfg with weights drawn as cfg.Init says
// from a generator seeded with cfg.Seed, and zero biases.
func New(cfg Config) (*Network, error) {
	n, err := build(cfg)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	for _, l := range n.layers {
		cfg.Init.fill(l.w, l.in, l.out, rng)
	}
	return n, nil
}

// Check returns the error New would return for c's shape, loss,
// initialisation and activations, or nil when New would accept c. It
// allocates no parameters.
func (c Config) Check() error {
	_, err := c.check()
	return err
}

// check is Check that also returns the number of parameters.
func (c Config) check() (params int, err error) {
	if !c.Loss.valid() {
		return 0, fmt.Errorf("mlp: Config.Loss is %v: set BinaryCrossEntropy, CrossEntropy or MeanSquaredError", c.Loss)
	}
	if c.Init > InitHe {
		return 0, fmt.Errorf("mlp: Config.Init is %v: set InitLecture, InitXavier or InitHe", c.Init)
	}
	if len(c.Hidden)+1 > MaxLayers {
		return 0, fmt.Errorf("mlp: %d layers, at most %d", len(c.Hidden)+1, MaxLayers)
	}
	if c.Inputs < 1 || c.Inputs > MaxUnits {
		return 0, fmt.Errorf("mlp: Config.Inputs is %d, need 1..%d", c.Inputs, MaxUnits)
	}
	if c.Outputs < 1 || c.Outputs > MaxUnits {
		return 0, fmt.Errorf("mlp: Config.Outputs is %d, need 1..%d", c.Outputs, MaxUnits)
	}
	if c.Loss == CrossEntropy && c.Outputs < 2 {
		return 0, fmt.Errorf("mlp: cross-entropy needs at least 2 outputs (classes), have %d; use BinaryCrossEntropy for one", c.Outputs)
	}
	in := c.Inputs
	for i, h := range c.Hidden {
		if h.Units < 1 || h.Units > MaxUnits {
			return 0, fmt.Errorf("mlp: hidden layer %d has %d units, need 1..%d", i+1, h.Units, MaxUnits)
		}
		if !h.Act.valid() {
			return 0, fmt.Errorf("mlp: hidden layer %d has activation %v: set Sigmoid, Tanh, ReLU or Identity", i+1, h.Act)
		}
		var ok bool
		if params, ok = addLayerParams(params, in, h.Units); !ok {
			return 0, fmt.Errorf("mlp: more than %d parameters", MaxParams)
		}
		in = h.Units
	}
	params, ok := addLayerParams(params, in, c.Outputs)
	if !ok {
		return 0, fmt.Errorf("mlp: more than %d parameters", MaxParams)
	}
	return params, nil
}

// addLayerParams returns total plus the out·(in+1) weights and biases of a
// layer of out units on in inputs, and whether the sum is within
// MaxParams. With total in 0..MaxParams and in, out in 1..MaxUnits nothing
// overflows, on 32-bit platforms too: the sum is below 2^41 in uint64.
func addLayerParams(total, in, out int) (int, bool) {
	t := uint64(total) + uint64(out)*(uint64(in)+1)
	if t > MaxParams {
		return 0, false
	}
	return int(t), true
}

// build checks cfg and returns a network of its shape with zero weights.
func build(cfg Config) (*Network, error) {
	total, err := cfg.check()
	if err != nil {
		return nil, err
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	n := &Network{cfg: cfg, params: make([]float32, total)}
	in, off := cfg.Inputs, 0
	for i := 0; i <= len(cfg.Hidden); i++ {
		out, act := cfg.Outputs, Identity
		if i < len(cfg.Hidden) {
			out, act = cfg.Hidden[i].Units, cfg.Hidden[i].Act
		}
		n.layers = append(n.layers, layer{in: in, out: out, act: act, off: off})
		off += out*in + out
		in = out
	}
	n.setParams(n.params)
	return n, nil
}

// setParams makes p the network's parameters: every layer's w and b become
// views of it.
func (n *Network) setParams(p []float32) {
	n.params = p
	for i := range n.layers {
		l := &n.layers[i]
		l.w = p[l.off : l.off+l.out*l.in]
		l.b = p[l.off+l.out*l.in : l.off+l.out*l.in+l.out]
	}
}

// Config returns the configuration the network was made with.
func (n *Network) Config() Config {
	c := n.cfg
	c.Hidden = slices.Clone(c.Hidden)
	return c
}

// NumLayers returns the number of layers with weights: hidden layers and
// the output layer.
func (n *Network) NumLayers() int { return len(n.layers) }

// NumParams returns the number of weights and biases.
func (n *Network) NumParams() int { return len(n.params) }

// Weights returns layer l's out×in weight matrix (0 ≤ l < NumLayers()), a
// view that shares the network's memory. Fit keeps the weights of each
// step in one of two buffers and returns with them in the network's own,
// so a view taken outside Fit stays current; one taken in a Fit callback
// is current until the callback returns.
func (n *Network) Weights(l int) *mat32.Dense {
	ly := n.layers[l]
	return mat32.NewDense(ly.out, ly.in, ly.w)
}

// Bias returns layer l's bias vector, which shares the network's memory
// (see Weights for how long it stays current).
func (n *Network) Bias(l int) []float32 { return n.layers[l].b }

// FLOPs returns the floating-point operations of the matrix products of
// one training step over rows samples: forward, weight gradients and input
// gradients (the first layer needs none).
func (n *Network) FLOPs(rows int) float64 {
	f := 0.0
	for i, l := range n.layers {
		mul := 2 * float64(rows) * float64(l.in) * float64(l.out)
		f += 2 * mul
		if i > 0 {
			f += mul
		}
	}
	return f
}
