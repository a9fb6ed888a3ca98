package kernels

import "fmt"

// Packed is an operand of a product packed once, beforehand, into the
// micro-panels the GEMM's loop nest reads, for a matrix that takes part in
// many products (MKL's packed GEMM: cblas_sgemm_pack, cblas_sgemm_compute).
// PackA and PackB fill it, SgemmPacked multiplies with it, Release empties
// it. The zero Packed is empty.
//
// A Packed belongs to its caller: nothing else holds it or its buffer,
// which is about the rows of op(A) rounded up to 6 (the columns of op(B)
// rounded up to 16) times k floats. It also keeps a reference to the
// source matrix, which an implementation with an external Sgemm
// (WithSgemm) multiplies instead: packing on such an implementation keeps
// only that reference and no panels (Len is then 0), and a Packed without
// panels multiplies its source on any implementation. Do not change the
// source while the Packed is in use. The panels are the same for every
// implementation. Packing is not safe concurrently with any other use of
// the same Packed; SgemmPacked calls may share it.
type Packed struct {
	side       byte // 'A' or 'B'; 0 when empty
	trans      bool // op(X) = Xᵀ
	rows, cols int  // op(X): m×k for A, k×n for B
	kc         int  // depth of the K blocks, as the loop nest makes them
	buf        []float32
	src        []float32 // the source matrix X and its leading dimension
	ld         int
	job        packJob
}

// The layout of a Packed, for each K block p (depth kb, from depth pc): the
// w-row micro-panels of all dim rows of op(A) (w = mr, dim = m), or of all
// dim columns of op(B) (w = nr, dim = n), one after the other at
// pc·pad + t·kb·w (pad = dim rounded up to w), the last padded with zeros
// as packPanels pads it. The panels a region of the loop nest packs for
// rows (columns) [i0, i0+size), i0 a multiple of w, are then one slice of
// the buffer (panels), with the same bits: a product is bitwise the same
// with or without packed operands.

// packChunk is about the floats one parallel task of a packing writes,
// and maxPackTasks the most tasks a packing makes. A packing with fewer
// tasks than threads makes tasks down to packMin floats, so that more
// threads share it.
const (
	packChunk    = 1 << 16
	packMin      = 1 << 13
	maxPackTasks = 1 << 12
)

// PackA packs op(A), m×k (A is k×m when transA), into p for SgemmPacked
// and returns p; a nil p gets a new Packed. p's buffer is reused when it
// is large enough. It runs on Default(), on the pool. Bad arguments panic
// as Sgemm's do.
func PackA(p *Packed, transA bool, m, k int, a []float32, lda int) *Packed {
	return current.Load().PackA(p, transA, m, k, a, lda)
}

// PackA is the package-level PackA on this implementation.
func (im *Impl) PackA(p *Packed, transA bool, m, k int, a []float32, lda int) *Packed {
	return p.pack('A', transA, m, k, a, lda, im)
}

// PackB packs op(B), k×n (B is n×k when transB), into p for SgemmPacked
// and returns p; a nil p gets a new Packed. p's buffer is reused when it
// is large enough. It runs on Default(), on the pool. Bad arguments panic
// as Sgemm's do.
func PackB(p *Packed, transB bool, k, n int, b []float32, ldb int) *Packed {
	return current.Load().PackB(p, transB, k, n, b, ldb)
}

// PackB is the package-level PackB on this implementation.
func (im *Impl) PackB(p *Packed, transB bool, k, n int, b []float32, ldb int) *Packed {
	return p.pack('B', transB, k, n, b, ldb, im)
}

// Release empties p and drops its buffer and its reference to the source:
// p cannot be used until packed again.
func (p *Packed) Release() {
	if p != nil {
		*p = Packed{}
	}
}

// Len returns the floats p's buffer holds (4 bytes each), which may be
// more than its last packing needed; 0 when p is empty.
func (p *Packed) Len() int {
	if p == nil {
		return 0
	}
	return cap(p.buf)
}

// SgemmPacked is SgemmEpilogue with op(A) taken from pa when pa is not nil
// (a and lda are then ignored: a may be nil), and op(B) from pb when pb is
// not nil; the result is bitwise the one of SgemmEpilogue on the source
// matrices. A packed operand of the other side, another transpose or
// another shape (m×k for pa, k×n for pb), or an empty one, panics. An
// Epilogue without Bias and with ActIdentity costs nothing: the product is
// then Sgemm's. An implementation with an external Sgemm multiplies the
// packed operands' source matrices.
func SgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, pa *Packed,
	b []float32, ldb int, pb *Packed, beta float32, c []float32, ldc int, ep Epilogue) {
	current.Load().SgemmPacked(transA, transB, m, n, k, alpha, a, lda, pa, b, ldb, pb, beta, c, ldc, ep)
}

// SgemmPacked is the package-level SgemmPacked on this implementation.
func (im *Impl) SgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, pa *Packed,
	b []float32, ldb int, pb *Packed, beta float32, c []float32, ldc int, ep Epilogue) {
	if pa != nil {
		a, lda = pa.source("pa", 'A', transA, m, k)
		if len(pa.buf) == 0 { // no panels: multiply the source
			pa = nil
		}
	}
	if pb != nil {
		b, ldb = pb.source("pb", 'B', transB, k, n)
		if len(pb.buf) == 0 {
			pb = nil
		}
	}
	im.product(transA, transB, m, n, k, alpha, a, lda, pa, b, ldb, pb, beta, c, ldc, &ep)
}

// pack checks its arguments as Sgemm does, then packs the rows×cols op(X)
// of the source x (leading dimension ld) into p (a new Packed when nil)
// as operand side with the transpose flag trans, with im's packers, and
// returns p. On an implementation with an external Sgemm p keeps the
// source and drops its buffer.
func (p *Packed) pack(side byte, trans bool, rows, cols int, x []float32, ld int, im *Impl) *Packed {
	rowsName, colsName, name := "m", "k", "a"
	if side == 'B' {
		rowsName, colsName, name = "k", "n", "b"
	}
	nonNegative(rowsName, rows)
	nonNegative(colsName, cols)
	if trans {
		checkMatrix(name, cols, rows, x, ld)
	} else {
		checkMatrix(name, rows, cols, x, ld)
	}
	if p == nil {
		p = new(Packed)
	}
	if im.ext != nil {
		*p = Packed{side: side, trans: trans, rows: rows, cols: cols, src: x, ld: ld}
		return p
	}
	p.fill(side, trans, rows, cols, x, ld, im, Threads())
	return p
}

// fill packs the rows×cols op(X) of x (leading dimension ld) into p's
// panels, as operand side with the transpose flag trans, with im's
// packers, on up to threads threads, reusing p's buffer when it is large
// enough. Its callers have checked the arguments (pack as Sgemm does).
func (p *Packed) fill(side byte, trans bool, rows, cols int, x []float32, ld int, im *Impl, threads int) {
	buf := p.buf
	*p = Packed{side: side, trans: trans, rows: rows, cols: cols, src: x, ld: ld}
	dim, w, k := p.shape()
	p.kc = balance(k, kcBlock, 8) // as gemm.region blocks k
	need := (dim + w - 1) / w * w * k
	if cap(buf) < need {
		buf = nil // let the old buffer go first
		buf = make([]float32, need)
	}
	p.buf = buf[:need]
	if need == 0 {
		return
	}
	j := packJob{p: p}
	j.trans, j.packN, j.packT = im.packers(side, trans)
	j.units = (dim + w - 1) / w * ((k + p.kc - 1) / p.kc)
	j.tasks = min(j.units, maxPackTasks, max((need+packChunk-1)/packChunk, min(threads, (need+packMin-1)/packMin)))
	p.job = j
	parallelTask(j.tasks, threads, &p.job)
	p.job = packJob{}
}

// shape returns the dimension p's panels cover (m for A, n for B), the
// panel width (mr or nr), and the depth k.
func (p *Packed) shape() (dim, w, k int) {
	if p.side == 'A' {
		return p.rows, mr, p.cols
	}
	return p.cols, nr, p.rows
}

// source panics unless p packs op(side), rows×cols, with the transpose
// flag trans, as a call needs, and returns the source and its leading
// dimension. name is the argument's name.
func (p *Packed) source(name string, side byte, trans bool, rows, cols int) ([]float32, int) {
	if p.side == 0 {
		panic(fmt.Sprintf("kernels: %s is empty: released, or never packed", name))
	}
	if p.side != side || p.trans != trans || p.rows != rows || p.cols != cols {
		panic(fmt.Sprintf("kernels: %s packs op(%c) %d×%d (trans%c=%t), the call needs op(%c) %d×%d (trans%c=%t)",
			name, p.side, p.rows, p.cols, p.side, p.trans, side, rows, cols, side, trans))
	}
	return p.src, p.ld
}

// panels returns the packed micro-panels of K block pc (depth kb) that
// cover rows (A) or columns (B) [i0, i0+size) of op(X): what packA or
// packB would write for them. i0 must be a multiple of the panel width.
func (p *Packed) panels(pc, kb, i0, size int) []float32 {
	dim, w, _ := p.shape()
	if i0%w != 0 || kb > p.kc {
		panic(fmt.Sprintf("kernels: internal error: packed panels at %d (width %d), kb=%d (kc=%d)", i0, w, kb, p.kc))
	}
	off := pc*((dim+w-1)/w*w) + i0/w*kb*w
	return p.buf[off : off+(size+w-1)/w*kb*w]
}

// packJob packs a Packed on the pool. Its units are the micro-panels of
// every K block, numbered K block by K block; task i packs units
// [units·i/tasks, units·(i+1)/tasks).
type packJob struct {
	p            *Packed
	trans        bool // packPanels' trans: the panels' rows are the source's columns
	packN, packT func(dst, src []float32, ld, kc, n int)
	units, tasks int
}

// Do packs task i.
func (j *packJob) Do(i int) {
	p := j.p
	dim, w, k := p.shape()
	np := (dim + w - 1) / w
	u1 := j.units * (i + 1) / j.tasks
	for u := j.units * i / j.tasks; u < u1; {
		pc, t0 := u/np*p.kc, u%np
		t1 := min(np, t0+u1-u)
		kb := min(p.kc, k-pc)
		dst := p.panels(pc, kb, t0*w, (t1-t0)*w)
		packPanels(dst, p.src, p.ld, j.trans, t0*w, min(dim, t1*w)-t0*w, pc, kb, w, j.packN, j.packT)
		u += t1 - t0
	}
}
