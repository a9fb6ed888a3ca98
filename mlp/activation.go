package mlp

import (
	"fmt"

	"github.com/gofma/gofma/kernels"
)

// Activation is the function a layer applies to its affine output W·a + b.
// The zero value is not an activation: every layer must name one.
type Activation uint8

// The activations a layer can use.
const (
	Identity Activation = iota + 1 // f(z) = z
	Sigmoid                        // f(z) = 1/(1+e^−z)
	Tanh                           // f(z) = tanh z
	ReLU                           // f(z) = max(z, 0)
)

// String returns the activation's name as ParseActivation accepts it.
func (a Activation) String() string {
	if !a.valid() {
		return fmt.Sprintf("Activation(%d)", uint8(a))
	}
	return a.kernel().String()
}

// ParseActivation returns the activation named s (identity, sigmoid, tanh, relu).
func ParseActivation(s string) (Activation, error) {
	for a := Identity; a <= ReLU; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown activation %q (want identity, sigmoid, tanh or relu)", s)
}

func (a Activation) valid() bool { return a >= Identity && a <= ReLU }

// kernel is the fused GEMM epilogue that applies a.
func (a Activation) kernel() kernels.Activation {
	switch a {
	case Sigmoid:
		return kernels.ActSigmoid
	case Tanh:
		return kernels.ActTanh
	case ReLU:
		return kernels.ActReLU
	}
	return kernels.ActIdentity
}

// backward sets dz to the gradient through a, from the incoming gradient
// da and the layer's saved output out = a(z). dz may be da.
func (a Activation) backward(dz, da, out []float32) {
	switch a {
	case Sigmoid:
		kernels.SigmoidBackward(dz, da, out)
	case Tanh:
		kernels.TanhBackward(dz, da, out)
	case ReLU:
		kernels.ReLUBackward(dz, da, out)
	default:
		copy(dz, da)
	}
}
