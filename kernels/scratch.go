package kernels

import "sync"

// sumScratch keeps scratch buffers between calls; like the GEMM
// workspaces, not a sync.Pool, which every GC empties.
var sumScratch struct {
	sync.Mutex
	free [][]float32
}

// getScratch returns a buffer of n floats, reusing a kept one if it is big
// enough.
func getScratch(n int) []float32 {
	sumScratch.Lock()
	defer sumScratch.Unlock()
	for i, b := range sumScratch.free {
		if cap(b) >= n {
			last := len(sumScratch.free) - 1
			sumScratch.free[i] = sumScratch.free[last]
			sumScratch.free = sumScratch.free[:last]
			return b[:n]
		}
	}
	return make([]float32, n)
}

// putScratch keeps b for a later getScratch: up to 8 buffers, the largest.
func putScratch(b []float32) {
	sumScratch.Lock()
	defer sumScratch.Unlock()
	if len(sumScratch.free) < 8 {
		sumScratch.free = append(sumScratch.free, b)
		return
	}
	small := 0
	for i, f := range sumScratch.free {
		if cap(f) < cap(sumScratch.free[small]) {
			small = i
		}
	}
	if cap(b) > cap(sumScratch.free[small]) {
		sumScratch.free[small] = b
	}
}
