package kernels

import "fmt"

// Sparse × dense products. S is an m×k matrix in compressed sparse row
// (CSR) form: row i's nonzeros are vals[offs[i]:offs[i+1]], in the columns
// cols[offs[i]:offs[i+1]] (any order; a column repeated adds up). Each row
// of C is the sum, in the row's order, of its nonzeros times rows of B, so
// a product costs 2·nnz·n flops instead of 2·m·k·n, and rows split across
// threads give the same bits on any number of them.

// sparseKernels are one implementation's sparse products.
type sparseKernels struct {
	// block computes columns [0, w) of C = alpha·S·B (+ beta·C when readC)
	// for the len(offs)-1 rows whose offsets offs holds; c and b start at
	// the block's first column. It returns -1, or the first p whose
	// cols[p] is not in [0, k), having written the rows before its row.
	block func(c []float32, ldc int, offs []int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, readC bool) int
}

// SparseMM computes C = act(alpha·S·B + beta·C + bias) with the epilogue
// ep, for S m×k in CSR form (offs, cols, vals; see above), B k×n and C m×n
// row-major with leading dimensions ldb and ldc. As in Sgemm, beta == 0
// overwrites C without reading it and alpha == 0 only scales C by beta. C must not share memory with the other
// arguments. It panics naming the argument when a size or length is wrong,
// offs is not non-decreasing from offs[0] ≥ 0 to offs[m] ≤ len(cols), or a
// column index is not in [0, k) (C is then partly written).
func SparseMM(m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	Default().SparseMM(m, n, k, alpha, offs, cols, vals, b, ldb, beta, c, ldc, ep)
}

// SparseMM is the package-level SparseMM on this implementation.
func (im *Impl) SparseMM(m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	checkSparse(m, n, k, offs, cols, vals, b, ldb)
	checkMatrix("c", m, n, c, ldc)
	ep.check(m, n)
	im.sparse(false, m, n, k, alpha, offs, cols, vals, b, ldb, beta, c, ldc, &ep)
}

// SparseMMTrans is SparseMM with C stored transposed and no epilogue:
// C (n×m, leading dimension ldc) = alpha·(S·B)ᵀ + beta·C. A weight gradient
// Xᵀ·dZ with X sparse is SparseMMTrans of X's transpose in CSR form, stored
// as dW = dZᵀ·X in a layer's out×in layout.
func SparseMMTrans(m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	Default().SparseMMTrans(m, n, k, alpha, offs, cols, vals, b, ldb, beta, c, ldc)
}

// SparseMMTrans is the package-level SparseMMTrans on this implementation.
func (im *Impl) SparseMMTrans(m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSparse(m, n, k, offs, cols, vals, b, ldb)
	checkMatrix("c", n, m, c, ldc)
	im.sparse(true, m, n, k, alpha, offs, cols, vals, b, ldb, beta, c, ldc, nil)
}

// checkSparse panics unless S's offsets and lengths and B fit the sizes.
func checkSparse(m, n, k int, offs []int, cols []int32, vals []float32, b []float32, ldb int) {
	nonNegative("m", m)
	nonNegative("n", n)
	nonNegative("k", k)
	if len(offs) != m+1 {
		panic(fmt.Sprintf("kernels: len(offs) = %d, need m+1 = %d", len(offs), m+1))
	}
	if len(cols) != len(vals) {
		panic(fmt.Sprintf("kernels: len(cols) = %d and len(vals) = %d differ", len(cols), len(vals)))
	}
	if offs[0] < 0 {
		panic(fmt.Sprintf("kernels: offs[0] = %d, need >= 0", offs[0]))
	}
	for i := 1; i <= m; i++ {
		if offs[i] < offs[i-1] {
			panic(fmt.Sprintf("kernels: offs[%d] = %d < offs[%d] = %d, need offsets that do not decrease", i, offs[i], i-1, offs[i-1]))
		}
	}
	if offs[m] > len(cols) {
		panic(fmt.Sprintf("kernels: offs[m] = %d, more than len(cols) = %d", offs[m], len(cols)))
	}
	checkMatrix("b", k, n, b, ldb)
}

// badColumn panics naming the column index at p.
func badColumn(cols []int32, p, k int) {
	panic(fmt.Sprintf("kernels: cols[%d] = %d, need 0 <= col < k = %d", p, cols[p], k))
}

// sparseRowWork is about the multiply-adds a task of a sparse product
// takes on: rows are grouped until they hold this many nonzeros × n.
const sparseRowWork = 1 << 17

// sparse runs the product on the pool, in tasks of consecutive rows.
func (im *Impl) sparse(trans bool, m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 { // as in Sgemm: S is not read
		if trans {
			scaleMatrix(n, m, beta, c, ldc)
			return
		}
		scaleMatrix(m, n, beta, c, ldc)
		if ep != nil && (ep.Bias != nil || ep.Act != ActIdentity) {
			bias, epi := ep.code(0, m, 0, n)
			for r := range m {
				epilogueRow(&im.vec, &im.act, c[r*ldc:r*ldc+n], bias, epi, r, 0)
			}
		}
		return
	}
	t := sparseTask{im: im, trans: trans, n: n, k: k, alpha: alpha, offs: offs, cols: cols, vals: vals,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, ep: ep}
	// Rows per task: enough for sparseRowWork on average, and at least
	// four tasks a thread when there is that much work.
	nnz := offs[m] - offs[0]
	work := max(1, nnz) * n
	tasks := min(m, max(1, work/sparseRowWork), 4*Threads())
	t.per = (m + tasks - 1) / tasks
	t.m = m
	Parallel((m+t.per-1)/t.per, &t)
}

// sparseTask is a sparse product over tasks of per rows.
type sparseTask struct {
	im          *Impl
	trans       bool
	m, n, k     int
	per         int
	alpha, beta float32
	offs        []int
	cols        []int32
	vals        []float32
	b           []float32
	ldb         int
	c           []float32
	ldc         int
	ep          *Epilogue
}

// sparseCallRows bounds the rows of one call of the block kernel, so that
// a call stays short (assembly is not preempted).
const sparseCallRows = 64

// Do computes the rows of task i.
func (t *sparseTask) Do(i int) {
	r0, r1 := i*t.per, min((i+1)*t.per, t.m)
	for ; r0 < r1; r0 += sparseCallRows {
		t.rows(r0, min(r0+sparseCallRows, r1))
	}
}

// rows computes rows [r0, r1) of C, through scratch when C is transposed.
func (t *sparseTask) rows(r0, r1 int) {
	c, ldc, beta := t.c[min(r0*t.ldc, len(t.c)):], t.ldc, t.beta
	var tmp []float32
	if t.trans {
		tmp = getScratch((r1 - r0) * t.n)
		defer putScratch(tmp)
		c, ldc, beta = tmp, t.n, 0
	}
	offs := t.offs[r0 : r1+1]
	if p := t.im.sp.block(c, ldc, offs, t.cols, t.vals, t.b, t.ldb, t.k, t.n, t.alpha, beta, beta != 0); p >= 0 {
		badColumn(t.cols, p, t.k)
	}
	if t.trans {
		for r := r0; r < r1; r++ {
			row := tmp[(r-r0)*t.n : (r-r0+1)*t.n]
			for j, x := range row {
				o := &t.c[j*t.ldc+r]
				if t.beta != 0 {
					x += t.beta * *o
				}
				*o = x
			}
		}
		return
	}
	if t.ep != nil && (t.ep.Bias != nil || t.ep.Act != ActIdentity) {
		bias, epi := t.ep.code(r0, r1-r0, 0, t.n)
		for r := r0; r < r1; r++ {
			epilogueRow(&t.im.vec, &t.im.act, t.c[r*t.ldc:r*t.ldc+t.n], bias, epi, r-r0, 0)
		}
	}
}
