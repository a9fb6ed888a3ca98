//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"unsafe"
)

// The wiring of the elementwise assembly. Every routine takes a count that
// is a multiple of 8; the wrappers check the slices, run the assembly on
// the multiple-of-8 head in calls short enough (an assembly call is never
// preempted) and finish the tail with the Go twin. Outputs of ntBytes or
// more go through a routine's non-temporal form, after the twin has brought
// the output to a 32-byte boundary.

// unaryChunk is the most elements one call of a transcendental kernel
// (exp, log, sigmoid, tanh) handles: tens of microseconds.
const unaryChunk = 1 << 16

// unaryAVX2 runs the transcendental kernel on the multiple-of-8 head of src
// and the Go twin on the rest. Outputs of at least ntBytes, in place or
// not, go through the non-temporal kernel ntKernel.
func unaryAVX2(dst, src []float32, kernel, ntKernel func(dst, src *float32, n int), twin func(dst, src []float32)) {
	dst = dst[:len(src)] // panics unless len(dst) >= len(src)
	start := 0
	if 4*len(src) >= ntBytes && len(src) >= 8 {
		start = int((32-uintptr(unsafe.Pointer(&dst[0]))&31)&31) / 4
		twin(dst[:start], src[:start])
		kernel = ntKernel
	}
	head := start + (len(src)-start)&^7
	for i := start; i < head; i += unaryChunk {
		n := min(unaryChunk, head-i)
		kernel(&dst[i], &src[i], n)
	}
	twin(dst[head:], src[head:])
}

// stream2AVX2 runs a streaming kernel dst = f(src) that has a
// non-temporal form (ReLU): kernel, or ntKernel when ntStart says so, on
// the multiple-of-8 head in calls of at most maxCall elements, the Go twin
// on the rest.
func stream2AVX2(dst, src []float32, kernel, ntKernel func(dst, src *float32, n int), twin func(dst, src []float32)) {
	checkVec(len(dst), src)
	lo := 0
	if head, ok := ntStart(len(dst), dst, src); ok {
		twin(dst[:head], src[:head])
		lo, kernel = head, ntKernel
	}
	n8 := lo + (len(dst)-lo)&^7
	for i := lo; i < n8; i += maxCall {
		kernel(&dst[i], &src[i], min(maxCall, n8-i))
	}
	twin(dst[n8:], src[n8:])
}

// stream3AVX2 is stream2AVX2 for a kernel dst = f(x, y) (the backward
// forms, Mul).
func stream3AVX2(dst, x, y []float32, kernel, ntKernel func(dst, x, y *float32, n int), twin func(dst, x, y []float32)) {
	checkVec(len(dst), x, y)
	lo := 0
	if head, ok := ntStart(len(dst), dst, x, y); ok {
		twin(dst[:head], x[:head], y[:head])
		lo, kernel = head, ntKernel
	}
	n8 := lo + (len(dst)-lo)&^7
	for i := lo; i < n8; i += maxCall {
		kernel(&dst[i], &x[i], &y[i], min(maxCall, n8-i))
	}
	twin(dst[n8:], x[n8:], y[n8:])
}

// checkVec panics unless every slice in s has length n.
func checkVec(n int, s ...[]float32) {
	for _, x := range s {
		if len(x) != n {
			panic(fmt.Sprintf("kernels: internal error: vector kernel lengths %d and %d", len(x), n))
		}
	}
}

// ntStart decides whether a streaming kernel writing out from ins (n
// elements each) uses its non-temporal form: if so it returns how many
// leading elements to leave to the Go twin so that out is 32-byte aligned,
// and true. It returns false when the working set is smaller than ntBytes
// or out is one of the inputs: a non-temporal store to a line just read is
// slow.
func ntStart(n int, out []float32, ins ...[]float32) (head int, ok bool) {
	if n*4*(1+len(ins)) < ntBytes || n < 16 {
		return 0, false
	}
	for _, in := range ins {
		if &in[0] == &out[0] {
			return 0, false
		}
	}
	a := uintptr(unsafe.Pointer(&out[0]))
	return int((32-a%32)%32) / 4, true
}

// chunks runs asm over [lo, n) rounded down to whole 8-element groups, in
// calls of at most maxCall elements, and returns where the Go twin must go
// on.
func chunks(lo, n int, asm func(lo, hi int)) int {
	n8 := lo + (n-lo)&^7
	for i := lo; i < n8; i += maxCall {
		asm(i, min(i+maxCall, n8))
	}
	return n8
}
