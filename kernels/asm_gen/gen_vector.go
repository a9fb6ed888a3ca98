package main

// vectorFamily emits the elementwise and reduction kernels: ReLU, the
// activation backward forms, bias adds, sums, axpy, scale, product and the
// optimizer updates.
func vectorFamily() {
}
