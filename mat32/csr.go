package mat32

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/gofma/gofma/kernels"
)

// CSR is a sparse float32 matrix in compressed sparse row form: row i's
// nonzeros are vals[offs[i]:offs[i+1]] in the columns idx[offs[i]:offs[i+1]],
// each row's columns increasing. The zero CSR is a 0×0 matrix; it, like any
// CSR, may be the destination of TransposeInto and GatherRows, which reuse
// its buffers.
type CSR struct {
	rows, cols int
	offs       []int     // rows+1 offsets (nil in the zero CSR)
	idx        []int32   // nnz column indices
	vals       []float32 // nnz values
	job        csrJob    // the tasks of a parallel TransposeInto or GatherRows into this CSR
}

// maxIndex is the largest number of columns an int32 column index covers.
const maxIndex = math.MaxInt32 + 1

// NewCSR returns d's nonzeros as a new CSR (d may be a view with any
// stride). An element is nonzero when v != 0: -0 is zero and dropped (so
// the round trip to Dense turns -0 into +0), NaN and ±Inf are kept. The
// empty Dense gives the zero CSR.
func NewCSR(d *Dense) *CSR {
	if d.cols > maxIndex {
		panic(fmt.Sprintf("mat32: NewCSR: a %s matrix has more columns than an int32 index holds", shape(d)))
	}
	s := &CSR{rows: d.rows, cols: d.cols, offs: make([]int, d.rows+1)}
	if d.rows == 0 {
		return s
	}
	j := &compressJob{d: d, s: s}
	tasks := max(1, min(kernels.Threads(), d.rows, d.rows*d.cols/compressParallel))
	j.per = (d.rows + tasks - 1) / tasks
	tasks = (d.rows + j.per - 1) / j.per
	kernels.Parallel(tasks, j) // each row's count in offs[i+1]
	for i := range d.rows {
		s.offs[i+1] += s.offs[i]
	}
	nnz := s.offs[d.rows]
	s.idx = make([]int32, nnz)
	s.vals = make([]float32, nnz)
	j.place = true
	kernels.Parallel(tasks, j)
	return s
}

// compressParallel is the fewest elements of a Dense a task of NewCSR
// takes. NewCSR of MNIST's 60,000 training images (47 M elements) took
// 44–47 ms on two threads of the 2-vCPU Zen 3 VM (44–100 ms on one; 144–163
// ms on one before it counted and compressed with kernels' assembly and
// on the pool).
const compressParallel = 1 << 16

// compressJob is NewCSR's work on the pool, in blocks of per rows of d:
// counting each row's nonzeros into s.offs[i+1], then, with place and
// the offsets summed, writing them to s.idx and s.vals.
type compressJob struct {
	d     *Dense
	s     *CSR
	per   int
	place bool
}

// Do runs block t. kernels.CompressNonzero may write past a row's
// nonzeros, so each row gets the block's slots from its own on, and no
// block writes into another's.
func (j *compressJob) Do(t int) {
	d, s := j.d, j.s
	r0, r1 := t*j.per, min((t+1)*j.per, d.rows)
	if !j.place {
		for i := r0; i < r1; i++ {
			s.offs[i+1], _ = kernels.CountNonzero(d.Row(i))
		}
		return
	}
	end := s.offs[r1]
	for i := r0; i < r1; i++ {
		if n := kernels.CompressNonzero(s.idx[s.offs[i]:end], s.vals[s.offs[i]:end], d.Row(i), 0); n != s.offs[i+1]-s.offs[i] {
			panic(fmt.Sprintf("mat32: NewCSR: row %d of d changed while NewCSR read it", i))
		}
	}
}

// Density returns the fraction of m's elements that are not zero (NaN
// counts as nonzero, -0 as zero), 0 for an empty matrix: what NewCSR would
// keep.
func (m *Dense) Density() float64 {
	if m.rows == 0 || m.cols == 0 {
		return 0
	}
	nnz := 0
	for i := range m.rows {
		n, _ := kernels.CountNonzero(m.Row(i))
		nnz += n
	}
	return float64(nnz) / (float64(m.rows) * float64(m.cols))
}

// NewCSRFrom returns the rows×cols CSR on offs, idx and vals, which it
// keeps, not copies. It returns an error that says what is wrong unless
// rows, cols >= 0, len(offs) = rows+1, offs[0] = 0, offs does not
// decrease, offs[rows] = len(idx) = len(vals), and each row's column
// indices are in [0, cols) and strictly increasing. Values are not
// checked: a stored zero or NaN is kept as given.
func NewCSRFrom(rows, cols int, offs []int, idx []int32, vals []float32) (*CSR, error) {
	const op = "mat32: NewCSRFrom"
	if rows < 0 || cols < 0 {
		return nil, fmt.Errorf("%s: %d×%d: dimensions must not be negative", op, rows, cols)
	}
	if rows == math.MaxInt || len(offs) != rows+1 {
		return nil, fmt.Errorf("%s: len(offs) = %d, need rows+1 = %d", op, len(offs), uint(rows)+1)
	}
	if offs[0] != 0 {
		return nil, fmt.Errorf("%s: offs[0] = %d, need 0", op, offs[0])
	}
	for i := 1; i <= rows; i++ {
		if offs[i] < offs[i-1] {
			return nil, fmt.Errorf("%s: offs[%d] = %d < offs[%d] = %d, offsets must not decrease", op, i, offs[i], i-1, offs[i-1])
		}
	}
	if offs[rows] != len(idx) {
		return nil, fmt.Errorf("%s: offs[%d] = %d, need len(idx) = %d", op, rows, offs[rows], len(idx))
	}
	if len(vals) != len(idx) {
		return nil, fmt.Errorf("%s: len(vals) = %d, need len(idx) = %d", op, len(vals), len(idx))
	}
	for i := range rows {
		prev := int32(-1)
		for p := offs[i]; p < offs[i+1]; p++ {
			c := idx[p]
			if c < 0 || int(c) >= cols {
				return nil, fmt.Errorf("%s: idx[%d] = %d (row %d), need a column in [0, %d)", op, p, c, i, cols)
			}
			if c <= prev {
				return nil, fmt.Errorf("%s: idx[%d] = %d after idx[%d] = %d (row %d), a row's columns must increase", op, p, c, p-1, prev, i)
			}
			prev = c
		}
	}
	return &CSR{rows: rows, cols: cols, offs: offs, idx: idx, vals: vals}, nil
}

// Dims returns the numbers of rows and columns.
func (s *CSR) Dims() (r, c int) { return s.rows, s.cols }

// NNZ returns the number of stored elements.
func (s *CSR) NNZ() int { return len(s.vals) }

// Density returns NNZ/(rows·cols), or 0 for a matrix with no elements.
func (s *CSR) Density() float64 {
	if s.rows == 0 || s.cols == 0 {
		return 0
	}
	return float64(len(s.vals)) / (float64(s.rows) * float64(s.cols))
}

// Dense returns s as a new Dense. It panics when s has no rows or no
// columns, which a Dense cannot have.
func (s *CSR) Dense() *Dense {
	if s.rows == 0 || s.cols == 0 {
		panic(fmt.Sprintf("mat32: CSR.Dense: a %d×%d matrix has no Dense form (dimensions must be positive)", s.rows, s.cols))
	}
	d := NewDense(s.rows, s.cols, nil)
	for i := range s.rows {
		row := d.data[i*s.cols : (i+1)*s.cols]
		for p := s.offs[i]; p < s.offs[i+1]; p++ {
			row[s.idx[p]] = s.vals[p]
		}
	}
	return d
}

// RawCSR returns s's own slices, views that share its memory: offs has
// rows+1 elements (for the zero CSR, a new []int{0}), idx and vals NNZ.
func (s *CSR) RawCSR() (offs []int, idx []int32, vals []float32) {
	if s.offs == nil {
		return []int{0}, s.idx, s.vals
	}
	return s.offs, s.idx, s.vals
}

// T returns the transpose of s as a new CSR (s in compressed sparse column
// form), each row's columns increasing.
func (s *CSR) T() *CSR {
	var t CSR
	s.TransposeInto(&t)
	return &t
}

// TransposeInto sets dst to the transpose of s, reusing dst's buffers: it
// allocates nothing when they are large enough, and grows them otherwise.
// It takes O(NNZ + columns) time. dst must share no memory with s.
func (s *CSR) TransposeInto(dst *CSR) {
	if s.rows > maxIndex {
		panic(fmt.Sprintf("mat32: TransposeInto: a %d×%d matrix has more rows than an int32 index of its transpose holds", s.rows, s.cols))
	}
	nnz := len(s.vals)
	offs := grow(dst.offs, s.cols+1)
	idx := grow(dst.idx, nnz)
	vals := grow(dst.vals, nnz)
	s.checkDst("TransposeInto", dst, offs, idx, vals)
	if nnz == 0 { // the zero CSR among them, whose offs is nil
		clear(offs)
	} else { // a counting sort by column, in blocks of rows on the pool (csrJob)
		tasks := csrTasks(nnz, s.rows)
		j := &dst.job
		*j = csrJob{src: s, offs: offs, idx: idx, vals: vals, bounds: j.bounds, hist: grow(j.hist, tasks*s.cols)}
		j.split(s.offs, tasks)
		j.phase = jobCount
		kernels.Parallel(tasks, j)
		j.starts()
		j.phase = jobPlace
		kernels.Parallel(tasks, j)
		*j = csrJob{bounds: j.bounds, hist: j.hist}
	}
	dst.rows, dst.cols = s.cols, s.rows
	dst.offs, dst.idx, dst.vals = offs, idx, vals
}

// GatherRows sets dst to the rows of s listed in rows, in that order
// (repeats allowed), reusing dst's buffers: it allocates nothing when they
// are large enough, and grows them otherwise. dst must share no memory
// with s. It panics, before writing dst, on an index out of range.
func (s *CSR) GatherRows(dst *CSR, rows []int) {
	nnz := 0
	for k, r := range rows {
		if uint(r) >= uint(s.rows) {
			panic(fmt.Sprintf("mat32: GatherRows: rows[%d] = %d out of range for a %d×%d matrix", k, r, s.rows, s.cols))
		}
		nnz += s.offs[r+1] - s.offs[r]
	}
	offs := grow(dst.offs, len(rows)+1)
	idx := grow(dst.idx, nnz)
	vals := grow(dst.vals, nnz)
	s.checkDst("GatherRows", dst, offs, idx, vals)
	offs[0] = 0
	for k, r := range rows {
		offs[k+1] = offs[k] + s.offs[r+1] - s.offs[r]
	}
	// Each row waits on memory, wherever it lies in s: rows copied on
	// several threads wait together.
	tasks := csrTasks(nnz, len(rows))
	j := &dst.job
	*j = csrJob{phase: jobGather, src: s, offs: offs, idx: idx, vals: vals, rows: rows, bounds: j.bounds, hist: j.hist}
	j.split(offs, tasks)
	kernels.Parallel(tasks, j)
	*j = csrJob{bounds: j.bounds, hist: j.hist}
	dst.rows, dst.cols = len(rows), s.cols
	dst.offs, dst.idx, dst.vals = offs, idx, vals
}

// csrParallelNNZ is the fewest nonzeros a task of a parallel TransposeInto
// or GatherRows takes. A mini-batch of 128 MNIST images (21,000 nonzeros)
// spent 100 µs in each on one thread: 18% of a sparse training step on
// two threads, with the second thread idle.
const csrParallelNNZ = 8192

// csrTasks returns how many tasks a TransposeInto or GatherRows of nnz
// nonzeros in rows rows splits into: one per thread, each at least
// csrParallelNNZ nonzeros; one task runs on the caller alone.
func csrTasks(nnz, rows int) int {
	return max(1, min(kernels.Threads(), nnz/csrParallelNNZ, rows))
}

// csrJob runs a TransposeInto or GatherRows, on the pool when it has
// more than one task: its tasks are blocks of rows (of src, or of the rows
// gathered) with about as many nonzeros each. A transpose is a counting
// sort in two passes: each task counts the columns of its rows (hist, a
// row of cols counters a task), the caller turns the counts into each
// task's starting places in each column (tasks in order, so each column's
// rows still increase), then each task places its rows' nonzeros.
type csrJob struct {
	phase  int
	src    *CSR
	offs   []int // the destination's
	idx    []int32
	vals   []float32
	rows   []int // GatherRows' rows of src
	bounds []int // task t: rows [bounds[t], bounds[t+1])
	hist   []int
}

// The phases of a csrJob.
const (
	jobGather = iota
	jobCount
	jobPlace
)

// split sets bounds to tasks blocks of rows of about as many nonzeros,
// by offs (rows+1 offsets from 0).
func (j *csrJob) split(offs []int, tasks int) {
	rows := len(offs) - 1
	j.bounds = append(j.bounds[:0], 0)
	for t := 1; t < tasks; t++ {
		want := offs[0] + (offs[rows]-offs[0])*t/tasks
		r, _ := slices.BinarySearch(offs, want)
		j.bounds = append(j.bounds, max(j.bounds[t-1], min(r, rows)))
	}
	j.bounds = append(j.bounds, rows)
}

// Do runs task t of the current phase.
func (j *csrJob) Do(t int) {
	r0, r1 := j.bounds[t], j.bounds[t+1]
	s := j.src
	switch j.phase {
	case jobGather:
		for k := r0; k < r1; k++ {
			a, b := s.offs[j.rows[k]], s.offs[j.rows[k]+1]
			copy(j.idx[j.offs[k]:], s.idx[a:b])
			copy(j.vals[j.offs[k]:], s.vals[a:b])
		}
	case jobCount:
		hist := j.hist[t*s.cols : (t+1)*s.cols]
		clear(hist)
		for _, c := range s.idx[s.offs[r0]:s.offs[r1]] {
			hist[c]++
		}
	case jobPlace:
		hist := j.hist[t*s.cols : (t+1)*s.cols]
		idx, vals := j.idx, j.vals // locals: the loop's stores then need not reload them
		for i := r0; i < r1; i++ {
			a, b := s.offs[i], s.offs[i+1]
			vs := s.vals[a:b]
			for p, c := range s.idx[a:b:b] {
				q := hist[c]
				idx[q] = int32(i)
				vals[q] = vs[p]
				hist[c] = q + 1
			}
		}
	}
}

// starts turns the tasks' column counts into their first places in each
// column and sets the transpose's offsets.
func (j *csrJob) starts() {
	cols, tasks := j.src.cols, len(j.bounds)-1
	p := 0
	for c := range cols {
		j.offs[c] = p
		for t := range tasks {
			n := j.hist[t*cols+c]
			j.hist[t*cols+c] = p
			p += n
		}
	}
	j.offs[cols] = p
}

// checkDst panics when dst is s or its buffers, as about to be written,
// share memory with s's.
func (s *CSR) checkDst(op string, dst *CSR, offs []int, idx []int32, vals []float32) {
	if dst == s || overlaps(offs, s.offs) || overlaps(idx, s.idx) || overlaps(vals, s.vals) {
		panic(fmt.Sprintf("mat32: %s: dst shares memory with the source", op))
	}
}

// grow returns buf resliced to n elements, or, when its capacity is too
// small, a new slice of n elements with append's spare capacity.
func grow[T any](buf []T, n int) []T {
	if n <= cap(buf) {
		return buf[:n]
	}
	return slices.Grow(buf[:0], n)[:n]
}

// overlaps reports whether x and y share an element.
func overlaps[T any](x, y []T) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	size := unsafe.Sizeof(x[0])
	x0 := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	y0 := uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	return x0 < y0+uintptr(len(y))*size && y0 < x0+uintptr(len(x))*size
}

// MulSparse sets m = s·b (kernels.SparseMM); an empty m is allocated. m
// must share no element with b or s's values.
func (m *Dense) MulSparse(s *CSR, b *Dense) {
	m.mulSparse("MulSparse", s, b, kernels.Epilogue{})
}

// MulSparseEpilogue sets m = act(s·b + bias) in one pass over m, as
// MulEpilogue does for dense operands; a layer's forward pass on sparse
// inputs X is m.MulSparseEpilogue(x, wT, kernels.Epilogue{Bias: b, Act:
// kernels.ActSigmoid}). m must share no element with b, s's values or the
// bias.
func (m *Dense) MulSparseEpilogue(s *CSR, b *Dense, ep kernels.Epilogue) {
	if sharesSlice(ep.Bias, m) {
		panic("mat32: MulSparseEpilogue: the bias shares memory with the receiver")
	}
	m.mulSparse("MulSparseEpilogue", s, b, ep)
}

// mulSparse checks s·b's shapes against m (allocating an empty m) and
// that m shares no element with b or s's values, then runs the product.
func (m *Dense) mulSparse(op string, s *CSR, b *Dense, ep kernels.Epilogue) {
	if s.cols != b.rows {
		panic(fmt.Sprintf("mat32: %s: inner dimensions differ: %d×%d (sparse) · %s", op, s.rows, s.cols, shape(b)))
	}
	if s.rows == 0 {
		panic(fmt.Sprintf("mat32: %s: a %d×%d (sparse) operand gives a product with no rows", op, s.rows, s.cols))
	}
	if m.IsEmpty() {
		*m = *NewDense(s.rows, b.cols, nil)
	} else if m.rows != s.rows || m.cols != b.cols {
		panic(fmt.Sprintf("mat32: %s: receiver is %s, need %d×%d for operands %d×%d (sparse) and %s",
			op, shape(m), s.rows, b.cols, s.rows, s.cols, shape(b)))
	}
	if shares(m, b) || sharesSlice(s.vals, m) {
		panic(fmt.Sprintf("mat32: %s: the receiver shares memory with an operand", op))
	}
	kernels.SparseMM(s.rows, b.cols, s.cols, 1, s.offs, s.idx, s.vals, b.data, b.stride, 0, m.data, m.stride, ep)
}
