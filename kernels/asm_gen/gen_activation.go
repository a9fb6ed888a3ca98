package main

// activationFamily emits the transcendental kernels: exp, log, sigmoid,
// tanh, softmax and the losses built on them.
func activationFamily() {
}
