//go:build amd64 && gc && !purego

package kernels

import "fmt"

// avx2Vec wires the vector kernels to the assembly in zvector_amd64.s. Each
// wrapper checks the lengths the assembly relies on, runs the assembly on
// whole 8-element groups in calls of at most maxCall elements, and finishes
// the tail (and, on the non-temporal path, an unaligned head) with the Go
// twin, which computes the same bits.
var avx2Vec = vecKernels{
	addRow:   addRowAVX2,
	addCol:   addColAVX2,
	colSums:  colSumsAVX2,
	rowSums:  rowSumsAVX2,
	axpy:     axpyAVX2,
	scale:    scaleAVX2,
	mul:      mulAVX2,
	count:    countAVX2,
	compress: compressAVX2,
}

// compressAVX2 runs the assembly on whole groups of 8 while its stores,
// up to 8 slots from the place reached, stay inside idx and vals, in
// calls of at most maxCall elements; the Go twin does the rest.
func compressAVX2(idx []int32, vals []float32, x []float32, first int32) int {
	room := min(len(idx), len(vals))
	p, i := 0, 0
	for i+8 <= len(x) && p+8 <= room {
		// Each group adds at most 8 to p: as many groups as keep p+8 ≤ room.
		n := min(maxCall, (len(x)-i)&^7, (room-p)&^7)
		p += compressKernel(&x[i], n, &idx[p], &vals[p], first+int32(i))
		i += n
	}
	return p + compressGeneric(idx[p:], vals[p:], x[i:], first+int32(i))
}

// countAVX2 runs the assembly on whole 32-element groups in calls of at
// most maxCall elements, the Go twin on the rest, and finds a NaN or
// infinity the assembly saw with firstNonFinite over its call's elements.
func countAVX2(x []float32) (nonzero, bad int) {
	bad = -1
	n32 := len(x) &^ 31
	for lo := 0; lo < n32; lo += maxCall {
		n := min(maxCall, n32-lo)
		zeros, b := countNonzeroKernel(&x[lo], n)
		nonzero += n - zeros
		if b != 0 && bad < 0 {
			bad = lo + firstNonFinite(x[lo:lo+n])
		}
	}
	nz, b := countGeneric(x[n32:])
	nonzero += nz
	if b >= 0 && bad < 0 {
		bad = n32 + b
	}
	return nonzero, bad
}

func axpyAVX2(alpha float32, x, y []float32) {
	checkVec(len(y), x)
	t := chunks(0, len(y), func(lo, hi int) { axpyKernel(&x[lo], &y[lo], hi-lo, alpha) })
	axpyGeneric(alpha, x[t:], y[t:])
}

func scaleAVX2(alpha float32, x []float32) {
	t := chunks(0, len(x), func(lo, hi int) { scaleKernel(&x[lo], hi-lo, alpha) })
	scaleGeneric(alpha, x[t:])
}

func mulAVX2(dst, x, y []float32) { stream3AVX2(dst, x, y, mulKernel, mulKernelNT, mulGeneric) }

// checkVecMatrix panics unless len(x) == rows*cols and len(v) == n.
func checkVecMatrix(x []float32, rows, cols int, v []float32, n int) {
	if rows < 0 || cols < 0 || len(x) != rows*cols || len(v) != n {
		panic(fmt.Sprintf("kernels: internal error: matrix kernel rows=%d cols=%d len(x)=%d len(v)=%d (need %d)",
			rows, cols, len(x), len(v), n))
	}
}

// rowsPerCall is how many rows of cols elements one assembly call takes.
func rowsPerCall(cols int) int { return max(1, maxCall/max(cols, 1)) }

// addRowAVX2 runs the assembly on the first cols&^7 columns and Go on the
// rest of each row.
func addRowAVX2(x []float32, rows, cols int, v []float32) {
	checkVecMatrix(x, rows, cols, v, cols)
	c8 := cols &^ 7
	if c8 > 0 {
		step := rowsPerCall(cols)
		for i := 0; i < rows; i += step {
			addRowKernel(&x[i*cols], &v[0], min(step, rows-i), cols, c8)
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

func addColAVX2(x []float32, rows, cols int, v []float32) {
	checkVecMatrix(x, rows, cols, v, rows)
	c8 := cols &^ 7
	if c8 > 0 {
		step := rowsPerCall(cols)
		for i := 0; i < rows; i += step {
			addColKernel(&x[i*cols], &v[i], min(step, rows-i), cols, c8)
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

func colSumsAVX2(dst, x []float32, rows, cols int) {
	checkVecMatrix(x, rows, cols, dst, cols)
	colSumsWith(dst, x, rows, cols, colSumsBlockAVX2)
}

// colSumsBlockAVX2 sums rows ≥ 1 rows (a chunk of at most colSumsChunk(cols)).
func colSumsBlockAVX2(dst, x []float32, rows, cols int) {
	checkVecMatrix(x, rows, cols, dst, cols)
	if rows > 0 && cols > 0 {
		colSumsKernel(&dst[0], &x[0], rows, cols)
	}
}

func rowSumsAVX2(dst, x []float32, rows, cols int) {
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
		rowSumsKernel(&dst[i], p, min(step, rows-i), cols)
	}
}
