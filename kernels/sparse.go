package kernels

import "fmt"

// Sparse × dense products. S is an m×k matrix in compressed sparse row
// (CSR) form: row i's nonzeros are vals[offs[i]:offs[i+1]], in the columns
// cols[offs[i]:offs[i+1]] (any order; a column repeated adds up). Each row
// of C is the sum, in the row's order, of its nonzeros times rows of B, so
// a product costs 2·nnz·n flops instead of 2·m·k·n, and rows split across
// threads give the same bits on any number of them.
//
// SparseMM and SparseMMTrans take the CSR arrays as they are, for a matrix
// multiplied once or twice; a matrix multiplied many times is prepared once
// (SparseA, sparse_prepared.go) for SparseAMM and SparseATMMTrans, whose
// kernels take four rows of S at once.

// sparseKernels are one implementation's sparse products.
type sparseKernels struct {
	// block computes columns [0, w) of C = alpha·S·B (+ beta·C, by mode:
	// spmmWrite, spmmScale or spmmAdd, zconst.go) for rows rows of S, row
	// i's nonzeros from offs[i·ostride] to offs[i·ostride+1]; c and b
	// start at column 0. It takes the columns in blocks, each over all the
	// rows. It returns -1, or the first p whose cols[p] is not in [0, k),
	// having written the rows before its row.
	block func(c []float32, ldc int, offs []int, ostride, rows int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, mode int) int
	// group computes columns [0, w) of C = act(alpha·S·B (+ beta·C when
	// readC) + bias) for groups groups of r rows in a SparseA's grouped
	// form, of rows rows[r·g+i], group g's union columns from
	// offs[g·ostride] to offs[g·ostride+span]; c (C's row 0) and b start
	// at column 0. The epilogue is the code epi (see store; not tanh) with
	// bias, one a column from column 0 or one a row of C. The column and
	// row indices are those PrepareSparse checked.
	group func(r int, c []float32, ldc int, rows []int32, offs []int, ostride, span, groups int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, readC bool, bias []float32, epi int)
	// groupT adds columns [0, w) of Sᵀ·B to a tile (ldt, a multiple of
	// 8) whose row 0 is S's column p0, for groups groups of r rows in a
	// SparseA's grouped form, group g's union columns in [p0, p1) from
	// offs[g·ostride] to offs[g·ostride+1]; b starts at B's row 0.
	groupT func(r int, tile []float32, ldt, p0, p1 int, rows []int32, offs []int, ostride, groups int, cols []int32, vals []float32, b []float32, ldb, w int)
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
	checkSparse(m, n, k, offs, cols, vals, b, k, ldb)
	checkMatrix("c", m, n, c, ldc)
	ep.check(m, n)
	im.sparse(false, m, n, k, alpha, offs, cols, vals, nil, b, ldb, beta, c, ldc, &ep)
}

// SparseMMTrans is SparseMM with C stored transposed and no epilogue:
// C (n×m, leading dimension ldc) = alpha·(S·B)ᵀ + beta·C. A weight gradient
// dW = dZᵀ·X (out×in) of a sparse X (N×in) is SparseMMTrans of Xᵀ in CSR
// form (in×N) times dZ (N×out), stored as dW in a layer's out×in layout.
func SparseMMTrans(m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	Default().SparseMMTrans(m, n, k, alpha, offs, cols, vals, b, ldb, beta, c, ldc)
}

// SparseMMTrans is the package-level SparseMMTrans on this implementation.
func (im *Impl) SparseMMTrans(m, n, k int, alpha float32, offs []int, cols []int32, vals []float32,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSparse(m, n, k, offs, cols, vals, b, k, ldb)
	checkMatrix("c", n, m, c, ldc)
	im.sparse(true, m, n, k, alpha, offs, cols, vals, nil, b, ldb, beta, c, ldc, nil)
}

// checkSparse panics unless S's offsets and lengths fit m and B is
// brows×n.
func checkSparse(m, n, k int, offs []int, cols []int32, vals []float32, b []float32, brows, ldb int) {
	nonNegative("m", m)
	nonNegative("n", n)
	nonNegative("k", k)
	checkOffsets(m, offs, cols)
	if len(cols) != len(vals) {
		panic(fmt.Sprintf("kernels: len(cols) = %d and len(vals) = %d differ", len(cols), len(vals)))
	}
	checkMatrix("b", brows, n, b, ldb)
}

// checkOffsets panics naming the argument unless offs (m+1 long) starts
// at 0 or more, does not decrease and ends within cols.
func checkOffsets(m int, offs []int, cols []int32) {
	if len(offs) != m+1 {
		panic(fmt.Sprintf("kernels: len(offs) = %d, need m+1 = %d", len(offs), m+1))
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
}

// badColumn panics naming the column index at p.
func badColumn(cols []int32, p, k int) {
	panic(fmt.Sprintf("kernels: cols[%d] = %d, need 0 <= col < k = %d", p, cols[p], k))
}

// sparseCopyB is the least number of nonzeros of S per row of B for which
// a CSR product reads a B of crowded stride through a copy: each row of B
// is then read that many times, in blocks that stay in L1d only when
// their rows are not crowded. Measured on a 128-row MNIST batch (one
// thread, Zen 3, medians of 15): the weight gradient's SparseMMTrans,
// dZ 128×256, 167 nonzeros a row of B, 307 µs with B's rows 256 floats
// apart against 258 µs 264 apart; the forward SparseMM, W₁ᵀ 784×256, 27
// nonzeros a row, 266 against 257 µs, which copying 784 rows would undo.
const sparseCopyB = 64

// sparseRowWork is about the multiply-adds a task of a sparse product
// takes on: rows are grouped until they hold this many nonzeros × n.
const sparseRowWork = 1 << 17

// sparse runs the product on the pool, in tasks of consecutive rows of S
// (of C, or of Cᵀ when trans): S in CSR form (offs, cols, vals), or
// prepared in a when a is not nil.
func (im *Impl) sparse(trans bool, m, n, k int, alpha float32, offs []int, cols []int32, vals []float32, a *SparseA,
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
			im.finishPart(ep, c, ldc, 0, m, 0, n)
		}
		return
	}
	t := newSparseTask()
	*t = sparseTask{im: im, trans: trans, m: m, n: n, k: k, alpha: alpha, offs: offs, cols: cols, vals: vals, a: a,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if a != nil {
		if rows, _ := a.Grouped(); rows > 0 { // the grouped kernels read B as groupPanels lays it out
			t.panels = getScratch(groupPanelsLen(k, n))
			defer putScratch(t.panels)
			groupPanels(t.panels, b, ldb, k, n)
		}
	} else if crowded(ldb) && offs[m]-offs[0] >= sparseCopyB*k {
		ld := LeadingDim((n + 7) &^ 7)
		t.b, t.ldb = getScratch(k*ld), ld
		defer putScratch(t.b)
		for p := range k {
			copy(t.b[p*ld:p*ld+n], b[p*ldb:])
		}
	}
	if ep != nil && (ep.Bias != nil || ep.Act != ActIdentity) {
		t.ep, t.epi = *ep, true
	}
	// Rows per task: enough for sparseRowWork on average, and at least
	// four tasks a thread when there is that much work; whole chunks, or,
	// where whole chunks would leave threads idle (a mini-batch of 128
	// rows made 2 tasks, on 16 threads), multiples of 8 rows (whole groups
	// of sparseGroup for a prepared S; 16 when C takes them as columns:
	// 64 bytes, whole cache lines where C's rows are 64-byte aligned).
	var nnz int
	if a != nil {
		nnz = len(a.gvals) + len(a.rvals)
	} else {
		nnz = offs[m] - offs[0]
	}
	work := max(1, nnz) * n
	threads := Threads()
	tasks := min(m, max(1, work/sparseRowWork), 4*threads)
	unit := sparseChunk
	if (m+sparseChunk-1)/sparseChunk < min(tasks, threads) {
		unit = 8
		if trans {
			unit = 16
		}
	}
	t.per = ((m+tasks-1)/tasks + unit - 1) / unit * unit
	Parallel((m+t.per-1)/t.per, t)
	freeSparseTask(t)
}

// sparseTasks keeps finished tasks for reuse, so that a product allocates
// nothing (a task handed to Parallel escapes).
var sparseTasks freeList[sparseTask]

// newSparseTask returns a kept task or a new one.
func newSparseTask() *sparseTask {
	return sparseTasks.get(func() *sparseTask { return new(sparseTask) })
}

// freeSparseTask keeps t for reuse, without the caller's slices.
func freeSparseTask(t *sparseTask) {
	*t = sparseTask{}
	sparseTasks.put(t)
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
	a           *SparseA // S prepared, instead of offs, cols and vals
	atrans      bool     // SparseATMMTrans: tasks are blocks of S's columns and of C's rows, per wide
	b           []float32
	ldb         int
	panels      []float32 // SparseAMM's B for the grouped kernels (groupPanels)
	c           []float32
	ldc         int
	ep          Epilogue
	epi         bool // ep adds a bias or applies an activation
}

// sparseChunk is the rows of S a task computes at once: their part of C
// stays in cache while it is summed over blocks of S's columns.
const sparseChunk = 64

// sparsePreparedChunk is the rows of S a task of SparseAMM computes at
// once: each chunk streams all of B (in groupPanels' blocks) through the
// cache, so fewer, larger chunks read it less often, while the chunk of C
// (512 rows of 196 units: 400 KB) stays in L2 for the epilogue. Measured
// on MNIST's 5 vs 8 (forward, 196 units, one thread, Zen 3): 157, 177, 187
// and 165 GFLOP/s (dense-equivalent, medians of 5) for chunks of 64, 256,
// 512 and 1024 rows.
const sparsePreparedChunk = 512

// sparseKBlock is the width of those blocks: the rows of B they read, a
// column block of the kernel wide (up to 13 vectors), stay in L1d.
const sparseKBlock = 48

// Do computes the rows of task i, a chunk at a time (sparseChunk rows,
// sparsePreparedChunk for a prepared S).
func (t *sparseTask) Do(i int) {
	if t.atrans {
		t.blockATMM(i)
		return
	}
	r0, r1 := i*t.per, min((i+1)*t.per, t.m)
	step := sparseChunk
	if t.a != nil {
		step = sparsePreparedChunk
	}
	for ; r0 < r1; r0 += step {
		t.chunk(r0, min(r0+step, r1))
	}
}

// chunk computes rows [r0, r1) of S·B: straight into C, or into scratch
// and then transposed into C. When every row's columns increase, the sum
// runs over blocks of sparseKBlock columns of S (rows of B), each added to
// the chunk's C, so that the rows of B they read stay in L1d; otherwise
// over all columns at once.
func (t *sparseTask) chunk(r0, r1 int) {
	if t.a != nil {
		t.chunkPrepared(r0, r1)
		return
	}
	rows := r1 - r0
	c, ldc, beta := t.c[min(r0*t.ldc, len(t.c)):], t.ldc, t.beta
	var tmp []float32
	if t.trans {
		tmp = getScratch(rows * t.n)
		defer putScratch(tmp)
		c, ldc, beta = tmp, t.n, 0
	}
	t.chunkCSR(c, ldc, beta, r0, r1)
	if t.trans {
		if t.beta == 0 {
			t.im.transpose(t.c[r0:], t.ldc, tmp, t.n, rows, t.n)
			return
		}
		for j := range t.n { // row j of C takes column j of the chunk
			out := t.c[j*t.ldc+r0 : j*t.ldc+r1]
			for r := range out {
				out[r] = tmp[r*t.n+j] + t.beta*out[r]
			}
		}
		return
	}
	if t.epi {
		t.im.finishPart(&t.ep, t.c, t.ldc, r0, rows, 0, t.n)
	}
}

// chunkCSR computes rows [r0, r1) of S·B, S in CSR form, into c (ldc,
// beta; c starts at row r0). Each block of columns after the first adds
// to the sums before it; with alpha 1 (spmmAdd) its kernel starts from
// C's row and leaves the rows without a nonzero in the block alone.
func (t *sparseTask) chunkCSR(c []float32, ldc int, beta float32, r0, r1 int) {
	rows := r1 - r0
	offs, stride, blocks := t.offs[r0:r1+1], 1, 1
	if kb := (t.k + sparseKBlock - 1) / sparseKBlock; kb > 1 {
		tab := getInts(rows * (kb + 1))
		defer putInts(tab)
		if t.blockTable(tab, r0, r1, kb) {
			offs, stride, blocks = tab, kb+1, kb
		}
	}
	for j := range blocks {
		mode, bt := scaleMode(beta), beta
		switch {
		case j > 0 && t.alpha == 1: // add to the blocks before, skipping rows without nonzeros in this one
			mode, bt = spmmAdd, 1
		case j > 0:
			mode, bt = spmmScale, 1
		}
		if p := t.im.sp.block(c, ldc, offs[j:], stride, rows, t.cols, t.vals, t.b, t.ldb, t.k, t.n, t.alpha, bt, mode); p >= 0 {
			badColumn(t.cols, p, t.k)
		}
	}
}

// blockTable fills tab, (r1-r0)×(kb+1), with where each row of [r0, r1)
// starts its nonzeros in each block of sparseKBlock columns, and reports
// whether it could: the columns of every row must increase, and be in
// [0, k) (a bad one is left to the kernel to report). One pass over the
// columns, each storing its position as the end of its block, with no
// branch that depends on where the blocks change; then the empty blocks
// take the end before them. For a batch of 128 MNIST images
// (BenchmarkSparseMNISTBlockTable, one thread, Zen 3, 8 alternated runs),
// 30 µs for its rows and 35 for its transpose's, against 51 and 60 with
// a loop per block boundary, which mispredicted about once a block.
func (t *sparseTask) blockTable(tab []int, r0, r1, kb int) bool {
	offs := t.offs
	for r := r0; r < r1; r++ {
		row := tab[(r-r0)*(kb+1) : (r-r0+1)*(kb+1)]
		if !blockEnds(row, t.cols, offs[r], offs[r+1]) {
			return false
		}
		for j := 1; j < len(row); j++ { // an empty block ends where the one before it does
			row[j] = max(row[j], row[j-1])
		}
	}
	return true
}

// blockEnds sets row[0] to a and row[j+1] to the end of the nonzeros
// cols[a:b] has in block j, or to 0 for a block with none; it reports
// false if the columns do not increase or one is in no block of row. It
// makes no call: with one to clear in blockTable's loop, the compiler kept
// this loop's variables on the stack.
func blockEnds(row []int, cols []int32, a, b int) bool {
	row[0] = a
	kb := len(row) - 1
	for j := 1; j <= kb; j++ { // not clear(row[1:]): a call
		row[j] = 0
	}
	prev := int32(-1)
	for q, c := range cols[a:b] {
		if c <= prev { // decreasing, repeated or negative
			return false
		}
		prev = c
		j := int(uint32(c) / sparseKBlock)
		if j >= kb { // past k
			return false
		}
		row[j+1] = a + q + 1 // block j ends after q, or later
	}
	return true
}

// scaleMode returns the block kernels' mode for C = alpha·S·B + beta·C:
// spmmWrite for beta 0 (C not read), spmmScale otherwise.
func scaleMode(beta float32) int {
	if beta == 0 {
		return spmmWrite
	}
	return spmmScale
}
