//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// The assembly transcendental kernels take a count
// that is a positive multiple of 8. The wrappers below check the slices,
// run the assembly on chunks of at most actChunk elements (an assembly call
// is never preempted, so each stays short) and finish the tail of fewer
// than 8 elements with the Go twin.

// actChunk is the most elements one assembly call handles: tens of
// microseconds.
const actChunk = 1 << 16

// unaryAVX2 runs the assembly kernel on the multiple-of-8 head of src and
// the Go twin on the rest. Outputs of at least actNTBytes go through the
// non-temporal kernel ntKernel, after the twin has brought dst to a
// 32-byte boundary.
func unaryAVX2(dst, src []float32, kernel, ntKernel func(dst, src *float32, n int), twin func(dst, src []float32)) {
	dst = dst[:len(src)] // panics unless len(dst) >= len(src)
	start := 0
	if 4*len(src) >= actNTBytes && len(src) >= 8 {
		start = int((32-uintptr(unsafe.Pointer(&dst[0]))&31)&31) / 4
		twin(dst[:start], src[:start])
		kernel = ntKernel
	}
	head := start + (len(src)-start)&^7
	for i := start; i < head; i += actChunk {
		n := min(actChunk, head-i)
		kernel(&dst[i], &src[i], n)
	}
	twin(dst[head:], src[head:])
}

// checkVec panics unless every slice in s has length n.
func checkVec(n int, s ...[]float32) {
	for _, x := range s {
		if len(x) != n {
			panic(fmt.Sprintf("kernels: internal error: vector kernel lengths %d and %d", len(x), n))
		}
	}
}

// ntMinBytes is the working set (all streams of one call) from which the
// elementwise kernels store with non-temporal stores: larger than the
// last-level cache, their outputs would not survive in it anyway, and
// ordinary stores would first read every output line from memory. Tests
// lower it to reach the non-temporal path on small data.
var ntMinBytes = llcBytes()

func llcBytes() int {
	if l3 := cpuid.CPU.Cache.L3; l3 > 0 {
		return l3
	}
	return 32 << 20
}

// ntStart decides whether a kernel writing out from ins (n elements each)
// uses its non-temporal form: if so it returns how many leading elements to
// leave to the Go twin so that out is 32-byte aligned, and true. It returns
// false when the working set is smaller than ntMinBytes or out is one of the
// inputs: a non-temporal store to a line just read is slow.
func ntStart(n int, out []float32, ins ...[]float32) (head int, ok bool) {
	if n*4*(1+len(ins)) < ntMinBytes || n < 16 {
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

// runNT is chunks from 0 for a kernel with a non-temporal form (see
// ntStart): when that runs, twinHead(head) first does the unaligned head.
func runNT(n int, out []float32, ins [][]float32, asm, asmNT func(lo, hi int), twinHead func(hi int)) int {
	if head, ok := ntStart(n, out, ins...); ok {
		twinHead(head)
		return chunks(head, n, asmNT)
	}
	return chunks(0, n, asm)
}
