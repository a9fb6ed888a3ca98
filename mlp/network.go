// Package mlp trains batched multi-layer perceptrons in float32 on the
// gofma kernels.
//
// A Network is a stack of fully connected layers with per-layer
// activations and an output head with its loss (sigmoid with binary
// cross-entropy, softmax with cross-entropy, identity with mean squared
// error). Samples are the rows of the input matrix. Fit trains it with one
// of the optimizers (GD, SGD, Momentum, AdaGrad, RMSProp, Adam); Predict
// and Evaluate use it; Save and Load keep it in a file.
//
// Every pass runs on the kernels' shared worker pool: forward layers are
// fused bias+activation GEMMs, and the backward pass splits each layer's
// weight gradient, bias gradient and input gradient into tiles computed
// concurrently. Tiles are fixed by the data's shape, never by the thread
// count, so a run gives bitwise identical results on any number of
// threads (for the same seed and kernel path). Training steps allocate
// nothing once their workspace exists.
//
// A Network is not safe for concurrent use.
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

// Limits on a network's shape, which New and Load enforce.
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
	train  *workspace // for Fit
	eval   *workspace // for Predict and Evaluate
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

// build checks cfg and returns a network of its shape with zero weights.
func build(cfg Config) (*Network, error) {
	if !cfg.Loss.valid() {
		return nil, fmt.Errorf("mlp: Config.Loss is %v: set BinaryCrossEntropy, CrossEntropy or MeanSquaredError", cfg.Loss)
	}
	if cfg.Init > InitHe {
		return nil, fmt.Errorf("mlp: Config.Init is %v: set InitLecture, InitXavier or InitHe", cfg.Init)
	}
	if len(cfg.Hidden)+1 > MaxLayers {
		return nil, fmt.Errorf("mlp: %d layers, at most %d", len(cfg.Hidden)+1, MaxLayers)
	}
	if cfg.Inputs < 1 || cfg.Inputs > MaxUnits {
		return nil, fmt.Errorf("mlp: Config.Inputs is %d, need 1..%d", cfg.Inputs, MaxUnits)
	}
	if cfg.Outputs < 1 || cfg.Outputs > MaxUnits {
		return nil, fmt.Errorf("mlp: Config.Outputs is %d, need 1..%d", cfg.Outputs, MaxUnits)
	}
	if cfg.Loss == CrossEntropy && cfg.Outputs < 2 {
		return nil, fmt.Errorf("mlp: cross-entropy needs at least 2 outputs (classes), have %d; use BinaryCrossEntropy for one", cfg.Outputs)
	}
	cfg.Hidden = slices.Clone(cfg.Hidden)
	n := &Network{cfg: cfg}
	in, total := cfg.Inputs, 0
	for i := 0; i <= len(cfg.Hidden); i++ {
		out, act := cfg.Outputs, Identity
		if i < len(cfg.Hidden) {
			h := cfg.Hidden[i]
			if h.Units < 1 || h.Units > MaxUnits {
				return nil, fmt.Errorf("mlp: hidden layer %d has %d units, need 1..%d", i+1, h.Units, MaxUnits)
			}
			if !h.Act.valid() {
				return nil, fmt.Errorf("mlp: hidden layer %d has activation %v: set Sigmoid, Tanh, ReLU or Identity", i+1, h.Act)
			}
			out, act = h.Units, h.Act
		}
		if int64(total)+int64(out)*int64(in)+int64(out) > MaxParams { // int64: no overflow on 32-bit
			return nil, fmt.Errorf("mlp: more than %d parameters", MaxParams)
		}
		n.layers = append(n.layers, layer{in: in, out: out, act: act, off: total})
		total += out*in + out
		in = out
	}
	n.params = make([]float32, total)
	for i := range n.layers {
		l := &n.layers[i]
		l.w = n.params[l.off : l.off+l.out*l.in]
		l.b = n.params[l.off+l.out*l.in : l.off+l.out*l.in+l.out]
	}
	return n, nil
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
// view that shares the network's memory.
func (n *Network) Weights(l int) *mat32.Dense {
	ly := n.layers[l]
	return mat32.NewDense(ly.out, ly.in, ly.w)
}

// Bias returns layer l's bias vector, which shares the network's memory.
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
