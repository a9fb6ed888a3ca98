//go:build amd64 && gc && !purego

package kernels

import "fmt"

// avx2Vec wires the vector kernels to the assembly in zvector_amd64.s. Each
// wrapper checks the lengths the assembly relies on, runs the assembly on
// whole 8-element groups in calls of at most maxCall elements, and finishes
// the tail (and, on the non-temporal path, an unaligned head) with the Go
// twin, which computes the same bits.
var avx2Vec = vecKernels{
	addRow:  addRowVec,
	addCol:  addColVec,
	colSums: colSumsVec,
	rowSums: rowSumsVec,
	axpy:    axpyVec,
	scale:   scaleVec,
	mul:     mulVec,
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
