package kernels

import (
	"fmt"
	"math"
	"sync"
)

// vecKernels are one implementation's elementwise and reduction kernels
// (ReLU, backward forms, bias adds, sums, axpy, scale, product, optimizer
// updates); the exported functions check their arguments and run
// Default()'s. The kernels themselves trust their arguments' lengths as
// documented here (the assembly wrappers check them again before entering
// assembly).
//
// Elementwise kernels process element by element, so an output may be the
// very same slice as an input (dst == src); any other overlap is not
// allowed.
type vecKernels struct {
	// relu sets dst[i] = max(src[i], 0), keeping NaN (and -0);
	// len(dst) == len(src), dst may be src.
	relu func(dst, src []float32)

	// Backward forms from the saved output a: len(dz) == len(da) == len(a).
	sigmoidBackward, tanhBackward, reluBackward func(dz, da, a []float32)

	// addRow: x[i*cols+j] += v[j]; addCol: x[i*cols+j] += v[i];
	// len(x) == rows*cols, len(v) == cols or rows.
	addRow, addCol func(x []float32, rows, cols int, v []float32)

	// colSums: dst[j] = Σ_i x[i*cols+j] (len cols); rowSums: dst[i] =
	// Σ_j x[i*cols+j] (len rows).
	colSums, rowSums func(dst, x []float32, rows, cols int)

	axpy  func(alpha float32, x, y []float32) // y += alpha*x
	scale func(alpha float32, x []float32)    // x *= alpha
	mul   func(dst, x, y []float32)           // dst = x*y

	sgd      func(w, g []float32, lr float32)
	momentum func(w, g, v []float32, lr, mu float32)
	adagrad  func(w, g, h []float32, lr, eps float32)
	// rmsprop takes omr = 1 - rho.
	rmsprop func(w, g, h []float32, lr, rho, omr, eps float32)
	// adam takes omb1 = 1-b1, omb2 = 1-b2, lrc = lr/(1-b1^t) and
	// c2 = 1/(1-b2^t): m = b1*m + omb1*g; v = b2*v + omb2*g*g;
	// w -= lrc*m / (sqrt(v*c2) + eps).
	adam func(w, g, m, v []float32, p adamParams)
}

// adamParams are the per-call scalars of an Adam step; see vecKernels.adam.
type adamParams struct {
	b1, omb1, b2, omb2, lrc, c2, eps float32
}

// needLen panics unless len(s) == n, naming the argument.
func needLen(name string, s []float32, n int) {
	if len(s) != n {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need %d", name, len(s), n))
	}
}

// matrixLen checks rows and cols and returns rows*cols.
func matrixLen(rows, cols int) int {
	if rows < 0 {
		panic(fmt.Sprintf("kernels: rows = %d, need >= 0", rows))
	}
	if cols < 0 {
		panic(fmt.Sprintf("kernels: cols = %d, need >= 0", cols))
	}
	if cols > 0 && rows > math.MaxInt/cols {
		panic(fmt.Sprintf("kernels: rows*cols = %d*%d overflows int", rows, cols))
	}
	return rows * cols
}

// ReLU sets dst[i] = max(src[i], 0). A NaN stays NaN (so does -0, which
// compares equal to 0). dst may be src; len(dst) must equal len(src).
func ReLU(dst, src []float32) {
	needLen("dst", dst, len(src))
	Default().vec.relu(dst, src)
}

// SigmoidBackward sets dz[i] = da[i]·a[i]·(1−a[i]), the gradient through a
// sigmoid from its saved output a = σ(z) and the incoming gradient da, in
// one pass. All three slices have the same length; dz may be da or a.
func SigmoidBackward(dz, da, a []float32) {
	needLen("da", da, len(a))
	needLen("dz", dz, len(a))
	Default().vec.sigmoidBackward(dz, da, a)
}

// TanhBackward sets dz[i] = da[i]·(1−a[i]²), the gradient through tanh from
// its saved output a = tanh(z), computed as da·((1−a)(1+a)) so that it stays
// accurate where a is near ±1. All three slices have the same length; dz
// may be da or a.
func TanhBackward(dz, da, a []float32) {
	needLen("da", da, len(a))
	needLen("dz", dz, len(a))
	Default().vec.tanhBackward(dz, da, a)
}

// ReLUBackward sets dz[i] = da[i] where a[i] > 0 and 0 elsewhere (also where
// a[i] is NaN), the gradient through a ReLU from its saved output a. All
// three slices have the same length; dz may be da or a.
func ReLUBackward(dz, da, a []float32) {
	needLen("da", da, len(a))
	needLen("dz", dz, len(a))
	Default().vec.reluBackward(dz, da, a)
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

// SGDUpdate takes one plain gradient-descent step: w[i] −= lr·g[i].
// len(g) must equal len(w).
func SGDUpdate(w, g []float32, lr float32) {
	needLen("g", g, len(w))
	Default().vec.sgd(w, g, lr)
}

// MomentumUpdate takes one gradient-descent step with momentum, in one pass
// over w, g and the velocity v: v[i] = mu·v[i] − lr·g[i]; w[i] += v[i].
// All three slices have the same length; v starts at zero.
func MomentumUpdate(w, g, v []float32, lr, mu float32) {
	needLen("g", g, len(w))
	needLen("v", v, len(w))
	Default().vec.momentum(w, g, v, lr, mu)
}

// AdaGradUpdate takes one AdaGrad step, in one pass over w, g and the sum of
// squared gradients h: h[i] += g[i]²; w[i] −= lr·g[i]/(√h[i] + eps).
// All three slices have the same length; h starts at zero.
func AdaGradUpdate(w, g, h []float32, lr, eps float32) {
	needLen("g", g, len(w))
	needLen("h", h, len(w))
	Default().vec.adagrad(w, g, h, lr, eps)
}

// RMSPropUpdate takes one RMSProp step, in one pass over w, g and the running
// mean of squared gradients h: h[i] = rho·h[i] + (1−rho)·g[i]²;
// w[i] −= lr·g[i]/(√h[i] + eps). All three slices have the same length; h
// starts at zero.
func RMSPropUpdate(w, g, h []float32, lr, rho, eps float32) {
	needLen("g", g, len(w))
	needLen("h", h, len(w))
	Default().vec.rmsprop(w, g, h, lr, rho, 1-rho, eps)
}

// AdamUpdate takes Adam step t (t ≥ 1, counting from 1), in one pass over w,
// g and the moment estimates m and v (both start at zero):
//
//	m[i] = β1·m[i] + (1−β1)·g[i]
//	v[i] = β2·v[i] + (1−β2)·g[i]²
//	w[i] −= lr·m̂/(√v̂ + eps),  m̂ = m[i]/(1−β1^t), v̂ = v[i]/(1−β2^t)
//
// The bias corrections are computed once per call in float64. All four
// slices have the same length.
func AdamUpdate(w, g, m, v []float32, lr, beta1, beta2, eps float32, t int) {
	needLen("g", g, len(w))
	needLen("m", m, len(w))
	needLen("v", v, len(w))
	Default().vec.adam(w, g, m, v, newAdamParams(lr, beta1, beta2, eps, t))
}

// newAdamParams computes the scalars of Adam step t.
func newAdamParams(lr, beta1, beta2, eps float32, t int) adamParams {
	if t < 1 {
		panic(fmt.Sprintf("kernels: Adam step t = %d, need >= 1", t))
	}
	c1 := 1 - math.Pow(float64(beta1), float64(t))
	c2 := 1 - math.Pow(float64(beta2), float64(t))
	return adamParams{
		b1: beta1, omb1: 1 - beta1, b2: beta2, omb2: 1 - beta2,
		lrc: float32(float64(lr) / c1), c2: float32(1 / c2), eps: eps,
	}
}

// Summation blocking shared by both implementations: inner partial sums
// take at most sumBlock terms before they are added into outer ones, and
// ColSums adds the sums of chunks of at most colChunkRows rows pairwise.
const (
	sumBlock     = 16
	colChunkRows = 256
	// maxCall is about how many elements one assembly call processes: a few
	// hundred microseconds at most, since assembly is not preemptible.
	maxCall = 1 << 18
)

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
// back to sumScratch, so that repeated calls (db in every training step)
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
