package kernels

var genericVec = vecKernels{relu: reluGeneric}

func reluGeneric(dst, src []float32) {
	for i, x := range src {
		if x > 0 {
			dst[i] = x
		} else {
			dst[i] = 0
		}
	}
}
