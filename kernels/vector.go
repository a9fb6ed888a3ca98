package kernels

import (
	"fmt"
	"math"
)

// vecKernels are one implementation's vector kernels: bias adds, sums,
// axpy, scale and product; the exported functions check their arguments
// and run Default()'s. The kernels themselves trust their arguments'
// lengths as documented here (the assembly wrappers check them again before
// entering assembly).
//
// Elementwise kernels process element by element, so an output may be the
// very same slice as an input (dst == src); any other overlap is not
// allowed.
type vecKernels struct {
	// addRow: x[i*cols+j] += v[j]; addCol: x[i*cols+j] += v[i];
	// len(x) == rows*cols, len(v) == cols or rows.
	addRow, addCol func(x []float32, rows, cols int, v []float32)

	// colSums: dst[j] = Σ_i x[i*cols+j] (len cols); rowSums: dst[i] =
	// Σ_j x[i*cols+j] (len rows).
	colSums, rowSums func(dst, x []float32, rows, cols int)

	axpy  func(alpha float32, x, y []float32) // y += alpha*x
	scale func(alpha float32, x []float32)    // x *= alpha
	mul   func(dst, x, y []float32)           // dst = x*y

	// count: the elements of x that are not ±0, and the index of the
	// first NaN or infinity (-1 if none).
	count func(x []float32) (nonzero, bad int)

	// compress: the nonzeros of x (as count counts them) to vals[:n] and
	// first plus their places to idx[:n], n returned; it may also write
	// idx[n:] and vals[n:], and needs them to hold n elements.
	compress func(idx []int32, vals []float32, x []float32, first int32) int
}

// CompressNonzero writes the elements of x that are not zero (as
// CountNonzero counts them) to vals[:n] and their indices, first plus
// their places in x, to idx[:n], in order, and returns n: a row of a
// compressed sparse row matrix. It may overwrite any of idx[n:] and
// vals[n:] as well. It panics naming the argument when an index does not
// fit an int32, and when idx or vals holds fewer than n elements (having
// filled them).
func CompressNonzero(idx []int32, vals []float32, x []float32, first int32) int {
	if int64(first)+int64(len(x)) > math.MaxInt32+1 || first < 0 {
		panic(fmt.Sprintf("kernels: first = %d and len(x) = %d: an index past int32 or negative", first, len(x)))
	}
	return Default().vec.compress(idx, vals, x, first)
}

// CountNonzero returns the number of elements of x that are not zero
// (neither +0 nor -0; a NaN counts as nonzero) and, from the same pass, the
// index of the first element that is NaN or infinite, or -1 when every
// element is finite: the density of a matrix and a check of its inputs in
// one read.
func CountNonzero(x []float32) (nonzero, nonFinite int) {
	return Default().vec.count(x)
}

// AddRowVector adds v to every row of the row-major rows×cols matrix x:
// x[i*cols+j] += v[j]. len(x) must be rows*cols and len(v) cols.
func AddRowVector(x []float32, rows, cols int, v []float32) {
	needLen("x", x, matrixLen(rows, cols))
	needLen("v", v, cols)
	Default().vec.addRow(x, rows, cols, v)
}

// AddColVector adds v[i] to every element of row i of the row-major
// rows×cols matrix x: x[i*cols+j] += v[i]. len(x) must be rows*cols and
// len(v) rows.
func AddColVector(x []float32, rows, cols int, v []float32) {
	needLen("x", x, matrixLen(rows, cols))
	needLen("v", v, rows)
	Default().vec.addCol(x, rows, cols, v)
}

// ColSums sets dst[j] to the sum of column j of the row-major rows×cols
// matrix x (len(dst) == cols, len(x) == rows*cols). The sums are blocked and
// pairwise, so their rounding error grows with about log2(rows), not rows.
func ColSums(dst, x []float32, rows, cols int) {
	needLen("x", x, matrixLen(rows, cols))
	needLen("dst", dst, cols)
	Default().vec.colSums(dst, x, rows, cols)
}

// RowSums sets dst[i] to the sum of row i of the row-major rows×cols matrix
// x (len(dst) == rows, len(x) == rows*cols). Each sum runs over 32 (generic:
// 8) interleaved partial sums in blocks, so its rounding error grows far
// slower than cols.
func RowSums(dst, x []float32, rows, cols int) {
	needLen("x", x, matrixLen(rows, cols))
	needLen("dst", dst, rows)
	Default().vec.rowSums(dst, x, rows, cols)
}

// Axpy sets y[i] += alpha·x[i]; len(x) must equal len(y).
func Axpy(alpha float32, x, y []float32) {
	needLen("x", x, len(y))
	Default().vec.axpy(alpha, x, y)
}

// Scale sets x[i] *= alpha.
func Scale(alpha float32, x []float32) {
	Default().vec.scale(alpha, x)
}

// Mul sets dst[i] = x[i]·y[i]; the three slices have the same length and
// dst may be x or y.
func Mul(dst, x, y []float32) {
	needLen("x", x, len(dst))
	needLen("y", y, len(dst))
	Default().vec.mul(dst, x, y)
}

// Summation blocking shared by both implementations: inner partial sums
// take at most sumBlock (zconst.go) terms before they are added into outer
// ones, and ColSums adds the sums of chunks of at most colChunkRows rows
// pairwise.
const colChunkRows = 256

// colSumsPairwise sets dst to the column sums of x (rows×cols, rows ≥ 0)
// with block summing chunks of at most chunk rows and the chunk sums added
// pairwise; tmp has room for cols*depth floats, depth the recursion depth
// (see pairwiseDepth).
func colSumsPairwise(dst, x []float32, rows, cols, chunk int, tmp []float32, block func(dst, x []float32, rows, cols int)) {
	if rows <= chunk {
		if rows == 0 {
			clear(dst)
			return
		}
		block(dst, x, rows, cols)
		return
	}
	h := (rows/chunk + 1) / 2 * chunk // first half: about half the chunks
	colSumsPairwise(dst, x[:h*cols], h, cols, chunk, tmp, block)
	colSumsPairwise(tmp[:cols], x[h*cols:], rows-h, cols, chunk, tmp[cols:], block)
	t := tmp[:len(dst)]
	for j := range dst {
		dst[j] += t[j]
	}
}

// pairwiseDepth is the scratch depth colSumsPairwise needs for rows rows.
func pairwiseDepth(rows, chunk int) int {
	d := 0
	for n := (rows + chunk - 1) / chunk; n > 1; n = (n + 1) / 2 {
		d++
	}
	return d
}

// colSumsChunk returns the chunk of rows the column sums use: colChunkRows,
// fewer for very wide matrices so one block call stays short.
func colSumsChunk(cols int) int {
	c := colChunkRows
	if cols > 0 && c*cols > maxCall {
		c = max(1, maxCall/cols)
	}
	return c
}

// colSumsWith runs colSumsPairwise with its scratch, taken from and given
// back to floatScratch, so that repeated calls (db in every training step)
// allocate nothing.
func colSumsWith(dst, x []float32, rows, cols int, block func(dst, x []float32, rows, cols int)) {
	chunk := colSumsChunk(cols)
	d := pairwiseDepth(rows, chunk)
	if d == 0 {
		colSumsPairwise(dst, x, rows, cols, chunk, nil, block)
		return
	}
	tmp := getScratch(d * cols)
	colSumsPairwise(dst, x, rows, cols, chunk, tmp, block)
	putScratch(tmp)
}
