package kernels

import "sync"

// scratch keeps buffers between calls; like freeList, not a sync.Pool,
// which every GC empties.
type scratch[T any] struct {
	sync.Mutex
	free [][]T
}

// Scratch buffers: floats for sums and sparse products, ints for the
// sparse products' offset tables.
var (
	floatScratch scratch[float32]
	intScratch   scratch[int]
)

// getScratch returns a buffer of n floats, reusing a kept one if it is big
// enough.
func getScratch(n int) []float32 { return floatScratch.get(n) }

// putScratch keeps b for a later getScratch.
func putScratch(b []float32) { floatScratch.put(b) }

// getInts returns a buffer of n ints, reusing a kept one if it is big
// enough.
func getInts(n int) []int { return intScratch.get(n) }

// putInts keeps b for a later getInts.
func putInts(b []int) { intScratch.put(b) }

// get returns a buffer of n elements, reusing a kept one if it is big
// enough.
func (s *scratch[T]) get(n int) []T {
	s.Lock()
	defer s.Unlock()
	for i, b := range s.free {
		if cap(b) >= n {
			last := len(s.free) - 1
			s.free[i] = s.free[last]
			s.free = s.free[:last]
			return b[:n]
		}
	}
	return make([]T, n)
}

// put keeps b for a later get: up to 8 buffers, the largest.
func (s *scratch[T]) put(b []T) {
	s.Lock()
	defer s.Unlock()
	if len(s.free) < 8 {
		s.free = append(s.free, b)
		return
	}
	small := 0
	for i, f := range s.free {
		if cap(f) < cap(s.free[small]) {
			small = i
		}
	}
	if cap(b) > cap(s.free[small]) {
		s.free[small] = b
	}
}

// freeList keeps objects between calls (a product's call state, a
// thread's packing buffers), so that a steady-state call allocates
// nothing. Not a sync.Pool: that is emptied at every GC, and re-faulting
// a megabyte of fresh pages costs more than a small product. It keeps
// every object given back: at most as many as were ever in use at once.
type freeList[T any] struct {
	sync.Mutex
	free []*T
}

// get returns a kept object, or fresh() when none is kept.
func (l *freeList[T]) get(fresh func() *T) *T {
	l.Lock()
	if n := len(l.free); n > 0 {
		x := l.free[n-1]
		l.free = l.free[:n-1]
		l.Unlock()
		return x
	}
	l.Unlock()
	return fresh()
}

// put keeps x for a later get, as it is: callers clear what must not be
// kept (references to a caller's slices).
func (l *freeList[T]) put(x *T) {
	l.Lock()
	l.free = append(l.free, x)
	l.Unlock()
}
