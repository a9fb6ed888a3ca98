//go:build !purego

package kernels

import (
	"fmt"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// avx2Vec wires the vector kernels to the assembly in zvector_amd64.s. Each
// wrapper checks the lengths the assembly relies on, runs the assembly on
// whole 8-element groups in calls of at most maxCall elements, and finishes
// the tail (and, on the non-temporal path, an unaligned head) with the Go
// twin, which computes the same bits.
var avx2Vec = vecKernels{
	relu:            reluVec,
	sigmoidBackward: sigmoidBackwardVec,
	tanhBackward:    tanhBackwardVec,
	reluBackward:    reluBackwardVec,
	addRow:          addRowVec,
	addCol:          addColVec,
	colSums:         colSumsVec,
	rowSums:         rowSumsVec,
	axpy:            axpyVec,
	scale:           scaleVec,
	mul:             mulVec,
	sgd:             sgdVec,
	momentum:        momentumVec,
	adagrad:         adagradVec,
	rmsprop:         rmspropVec,
	adam:            adamVec,
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

func reluVec(dst, src []float32) {
	checkVec(len(src), dst)
	t := runNT(len(src), dst, [][]float32{src},
		func(lo, hi int) { reluAVX2(&dst[lo], &src[lo], hi-lo) },
		func(lo, hi int) { reluAVX2NT(&dst[lo], &src[lo], hi-lo) },
		func(h int) { reluGeneric(dst[:h], src[:h]) })
	reluGeneric(dst[t:], src[t:])
}

func sigmoidBackwardVec(dz, da, a []float32) {
	checkVec(len(a), dz, da)
	t := runNT(len(a), dz, [][]float32{da, a},
		func(lo, hi int) { sigmoidBackwardAVX2(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(lo, hi int) { sigmoidBackwardAVX2NT(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(h int) { sigmoidBackwardGeneric(dz[:h], da[:h], a[:h]) })
	sigmoidBackwardGeneric(dz[t:], da[t:], a[t:])
}

func tanhBackwardVec(dz, da, a []float32) {
	checkVec(len(a), dz, da)
	t := runNT(len(a), dz, [][]float32{da, a},
		func(lo, hi int) { tanhBackwardAVX2(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(lo, hi int) { tanhBackwardAVX2NT(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(h int) { tanhBackwardGeneric(dz[:h], da[:h], a[:h]) })
	tanhBackwardGeneric(dz[t:], da[t:], a[t:])
}

func reluBackwardVec(dz, da, a []float32) {
	checkVec(len(a), dz, da)
	t := runNT(len(a), dz, [][]float32{da, a},
		func(lo, hi int) { reluBackwardAVX2(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(lo, hi int) { reluBackwardAVX2NT(&dz[lo], &da[lo], &a[lo], hi-lo) },
		func(h int) { reluBackwardGeneric(dz[:h], da[:h], a[:h]) })
	reluBackwardGeneric(dz[t:], da[t:], a[t:])
}

func axpyVec(alpha float32, x, y []float32) {
	checkVec(len(y), x)
	t := chunks(0, len(y), func(lo, hi int) { axpyAVX2(&x[lo], &y[lo], hi-lo, alpha) })
	axpyGeneric(alpha, x[t:], y[t:])
}

func scaleVec(alpha float32, x []float32) {
	t := chunks(0, len(x), func(lo, hi int) { scaleAVX2(&x[lo], hi-lo, alpha) })
	scaleGeneric(alpha, x[t:])
}

func mulVec(dst, x, y []float32) {
	checkVec(len(dst), x, y)
	t := runNT(len(dst), dst, [][]float32{x, y},
		func(lo, hi int) { mulAVX2(&dst[lo], &x[lo], &y[lo], hi-lo) },
		func(lo, hi int) { mulAVX2NT(&dst[lo], &x[lo], &y[lo], hi-lo) },
		func(h int) { mulGeneric(dst[:h], x[:h], y[:h]) })
	mulGeneric(dst[t:], x[t:], y[t:])
}

func sgdVec(w, g []float32, lr float32) {
	checkVec(len(w), g)
	t := chunks(0, len(w), func(lo, hi int) { sgdAVX2(&w[lo], &g[lo], hi-lo, lr) })
	sgdGeneric(w[t:], g[t:], lr)
}

func momentumVec(w, g, v []float32, lr, mu float32) {
	checkVec(len(w), g, v)
	t := chunks(0, len(w), func(lo, hi int) { momentumAVX2(&w[lo], &g[lo], &v[lo], hi-lo, lr, mu) })
	momentumGeneric(w[t:], g[t:], v[t:], lr, mu)
}

func adagradVec(w, g, h []float32, lr, eps float32) {
	checkVec(len(w), g, h)
	t := chunks(0, len(w), func(lo, hi int) { adagradAVX2(&w[lo], &g[lo], &h[lo], hi-lo, lr, eps) })
	adagradGeneric(w[t:], g[t:], h[t:], lr, eps)
}

func rmspropVec(w, g, h []float32, lr, rho, omr, eps float32) {
	checkVec(len(w), g, h)
	t := chunks(0, len(w), func(lo, hi int) { rmspropAVX2(&w[lo], &g[lo], &h[lo], hi-lo, lr, rho, omr, eps) })
	rmspropGeneric(w[t:], g[t:], h[t:], lr, rho, omr, eps)
}

func adamVec(w, g, m, v []float32, p adamParams) {
	checkVec(len(w), g, m, v)
	t := chunks(0, len(w), func(lo, hi int) {
		adamAVX2(&w[lo], &g[lo], &m[lo], &v[lo], hi-lo, p.b1, p.omb1, p.b2, p.omb2, p.lrc, p.c2, p.eps)
	})
	adamGeneric(w[t:], g[t:], m[t:], v[t:], p)
}

// checkVecMatrix panics unless len(x) == rows*cols and len(v) == n.
func checkVecMatrix(x []float32, rows, cols int, v []float32, n int) {
	if rows < 0 || cols < 0 || len(x) != rows*cols || len(v) != n {
		panic(fmt.Sprintf("kernels: internal error: matrix kernel rows=%d cols=%d len(x)=%d len(v)=%d (need %d)",
			rows, cols, len(x), len(v), n))
	}
}

// rowsPerCall is how many rows of cols elements one assembly call takes.
func rowsPerCall(cols int) int { return max(1, maxCall/max(cols, 1)) }

// addRowVec runs the assembly on the first cols&^7 columns and Go on the
// rest of each row.
func addRowVec(x []float32, rows, cols int, v []float32) {
	checkVecMatrix(x, rows, cols, v, cols)
	c8 := cols &^ 7
	if c8 > 0 {
		step := rowsPerCall(cols)
		for i := 0; i < rows; i += step {
			addRowVecAVX2(&x[i*cols], &v[0], min(step, rows-i), cols, c8)
		}
	}
	if c8 < cols {
		tail := v[c8:]
		for i := 0; i < rows; i++ {
			r := x[i*cols+c8 : i*cols+cols]
			for j, b := range tail {
				r[j] += b
			}
		}
	}
}

func addColVec(x []float32, rows, cols int, v []float32) {
	checkVecMatrix(x, rows, cols, v, rows)
	c8 := cols &^ 7
	if c8 > 0 {
		step := rowsPerCall(cols)
		for i := 0; i < rows; i += step {
			addColVecAVX2(&x[i*cols], &v[i], min(step, rows-i), cols, c8)
		}
	}
	if c8 < cols {
		for i, b := range v {
			r := x[i*cols+c8 : i*cols+cols]
			for j := range r {
				r[j] += b
			}
		}
	}
}

func colSumsVec(dst, x []float32, rows, cols int) {
	checkVecMatrix(x, rows, cols, dst, cols)
	colSumsWith(dst, x, rows, cols, colSumsBlockVec)
}

// colSumsBlockVec sums rows ≥ 1 rows (a chunk of at most colSumsChunk(cols)).
func colSumsBlockVec(dst, x []float32, rows, cols int) {
	checkVecMatrix(x, rows, cols, dst, cols)
	if rows > 0 && cols > 0 {
		colSumsAVX2(&dst[0], &x[0], rows, cols)
	}
}

func rowSumsVec(dst, x []float32, rows, cols int) {
	checkVecMatrix(x, rows, cols, dst, rows)
	step := rowsPerCall(cols)
	for i := 0; i < rows; i += step {
		// x[i*cols:] may be empty when cols == 0; the assembly reads
		// nothing from x then, but &x[...] must not go out of range.
		var p *float32
		if cols > 0 {
			p = &x[i*cols]
		} else {
			p = &dst[i]
		}
		rowSumsAVX2(&dst[i], p, min(step, rows-i), cols)
	}
}
