package kernels

import "math"

var genericAct = actKernels{sigmoid: sigmoidGeneric, tanh: tanhGeneric}

func sigmoidGeneric(dst, src []float32) {
	for i, x := range src {
		dst[i] = float32(1 / (1 + math.Exp(-float64(x))))
	}
}

func tanhGeneric(dst, src []float32) {
	for i, x := range src {
		dst[i] = float32(math.Tanh(float64(x)))
	}
}
