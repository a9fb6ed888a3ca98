package kernels

import (
	"fmt"
	"math"
	"sync"
)

// Micro-tile shape shared by every implementation: the packed panels of A
// hold mr rows, those of B nr columns.
const (
	mr = 6
	nr = 16
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// where op(X) is X, or Xᵀ when the matching trans flag is true; C is m×n,
// op(A) is m×k and op(B) is k×n. It runs on Default().
//
// As in BLAS, beta == 0 overwrites C without reading it, alpha == 0 or
// k == 0 only scales C by beta, and m == 0 or n == 0 does nothing. Leading
// dimensions may exceed the row lengths. Bad arguments panic with a message
// that names them.
func Sgemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	current.Load().Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm is the package-level Sgemm on this implementation.
func (im *Impl) Sgemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if im.ext != nil {
		im.extSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	g := newGemm(im, transA, transB, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
	g.run(m, n)
	freeGemm(g)
}

// checkSgemm panics unless the slices hold the matrices the sizes describe.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 {
		panic(fmt.Sprintf("kernels: m = %d, must not be negative", m))
	}
	if n < 0 {
		panic(fmt.Sprintf("kernels: n = %d, must not be negative", n))
	}
	if k < 0 {
		panic(fmt.Sprintf("kernels: k = %d, must not be negative", k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("a", ar, ac, a, lda)
	checkMatrix("b", br, bc, b, ldb)
	checkMatrix("c", m, n, c, ldc)
}

// checkMatrix panics unless x holds a rows×cols row-major matrix with
// leading dimension ld (ld ≥ max(1, cols)).
func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: ld%s = %d, need at least %d", name, ld, max(1, cols)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if rows > 1 && ld > (math.MaxInt-cols)/(rows-1) {
		panic(fmt.Sprintf("kernels: ld%s = %d, too large for %d rows", name, ld, rows))
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kernels: len(%s) = %d, need at least %d", name, len(x), need))
	}
}

// holds reports whether a slice of length n holds a rows×cols matrix with
// row stride ld ≥ cols, without overflowing int.
func holds(n, rows, cols, ld int) bool {
	if rows <= 0 || cols <= 0 {
		return true
	}
	if n < cols {
		return false
	}
	return rows == 1 || ld <= (n-cols)/(rows-1)
}

// scaleMatrix sets C = beta*C; beta == 0 writes zeros without reading C.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// maxTilesPerCall bounds one assembly call (≈ 1024 tiles ≈ 0.6 ms at kc =
// 256): assembly is never preempted, so long calls stall the GC.
const maxTilesPerCall = 1024

// gemm is one Sgemm call after argument checks, and the task its threads
// share (do). gemms are recycled through gemms, so a call allocates nothing.
type gemm struct {
	im             *Impl
	transA, transB bool
	k              int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	ep             *Epilogue // applied to each part of C once complete; nil for none
	epv            Epilogue  // what ep points to

	// The split of C into chunks (run).
	m, n, chunks, tiles, unit int
	splitN                    bool
}

var gemms struct {
	sync.Mutex
	free []*gemm
}

// newGemm returns a gemm for one call, reused if one is free.
func newGemm(im *Impl, transA, transB bool, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) *gemm {
	gemms.Lock()
	var g *gemm
	if n := len(gemms.free); n > 0 {
		g, gemms.free = gemms.free[n-1], gemms.free[:n-1]
	} else {
		g = new(gemm)
	}
	gemms.Unlock()
	*g = gemm{im: im, transA: transA, transB: transB, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if ep != nil {
		g.epv = *ep
		g.ep = &g.epv
	}
	return g
}

// freeGemm gives g back for reuse, dropping its references to the caller's
// slices.
func freeGemm(g *gemm) {
	*g = gemm{}
	gemms.Lock()
	gemms.free = append(gemms.free, g)
	gemms.Unlock()
}

// workspace holds one thread's packing buffers and edge scratch.
type workspace struct {
	ap      []float32 // mcBlock×kcBlock packed A
	bp      []float32 // kcBlock×ncBlock packed B
	scratch []float32 // edge tiles: max(mcBlock×nr, mr×ncBlock)
}

// workspaces keeps the workspaces between calls. Not a sync.Pool: that is
// emptied at every GC, and re-faulting a megabyte of fresh pages costs more
// than a small product. It holds at most one workspace per thread that ever
// ran at once.
var workspaces struct {
	sync.Mutex
	free []*workspace
}

func getWorkspace() *workspace {
	workspaces.Lock()
	defer workspaces.Unlock()
	if n := len(workspaces.free); n > 0 {
		ws := workspaces.free[n-1]
		workspaces.free = workspaces.free[:n-1]
		return ws
	}
	return &workspace{
		ap:      make([]float32, mcBlock*kcBlock),
		bp:      make([]float32, kcBlock*ncBlock),
		scratch: make([]float32, max(mcBlock*nr, mr*ncBlock)),
	}
}

func putWorkspace(ws *workspace) {
	workspaces.Lock()
	workspaces.free = append(workspaces.free, ws)
	workspaces.Unlock()
}

// minFlopsPerThread is the least work (multiply-adds) worth a thread.
const minFlopsPerThread = 1 << 21

// elemCost is the cost, in multiply-adds, of moving one element through
// memory: packing an element of A or B, or writing one of C (packing all
// of dZᵀ, 196×11272, takes 0.83 ms against 0.027 ns a multiply-add).
const elemCost = 12

// work returns the cost of an m×n×k product in multiply-adds, its memory
// traffic included. Skinny products, such as a network's one-unit output
// layer (11272×1×196), are bound by that traffic: counted by multiply-adds
// alone they would run on one thread.
func work(m, n, k int) int { return m*n*k + elemCost*(m*k+k*n+m*n) }

// chunkLen is the least length of the split dimension per chunk beyond one
// chunk per thread: every chunk packs all of the other operand again, which
// costs about as much as 12 multiply-adds an element, so a chunk of 600
// columns (rows) keeps that under 2% of its work.
const chunkLen = 600

// run splits C into independent regions along the larger of m and n and
// computes them on the pool. When the split dimension is long enough it
// makes up to 4 regions per thread, so that a thread slowed by a busy core
// takes fewer. K is never split and every element sees the same arithmetic
// in any region, so the result is bitwise identical for every thread count.
func (g *gemm) run(m, n int) {
	t := Threads()
	if w := work(m, n, g.k) / minFlopsPerThread; w < t {
		t = max(1, w)
	}
	splitN := n >= m
	tiles, unit, length := (m+mr-1)/mr, mr, m
	if splitN {
		tiles, unit, length = (n+nr-1)/nr, nr, n
	}
	chunks := min(tiles, t*max(1, min(4, length/chunkLen/t)))
	if t <= 1 || chunks <= 1 {
		g.region(0, m, 0, n)
		return
	}
	g.m, g.n, g.chunks, g.tiles, g.unit, g.splitN = m, n, chunks, tiles, unit, splitN
	parallelTask(chunks, t, g)
}

// Do computes chunk i of C, one of the regions run splits it into.
func (g *gemm) Do(i int) {
	lo := g.tiles * i / g.chunks * g.unit
	hi := g.tiles * (i + 1) / g.chunks * g.unit
	if g.splitN {
		g.region(0, g.m, lo, min(hi, g.n))
	} else {
		g.region(lo, min(hi, g.m), 0, g.n)
	}
}

// region computes rows [i0,i1) and columns [j0,j1) of C on one thread.
func (g *gemm) region(i0, i1, j0, j1 int) {
	ws := getWorkspace()
	defer putWorkspace(ws)
	nc := balance(j1-j0, ncBlock, nr)
	kc := balance(g.k, kcBlock, 8)
	mc := balance(i1-i0, mcBlock, mr)
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			g.packB(ws.bp, pc, kb, jc, nb)
			beta, accum := g.beta, g.beta != 0
			if pc > 0 {
				beta, accum = 1, true
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				g.packA(ws.ap, ic, mb, pc, kb)
				g.block(ws, ic, mb, jc, nb, kb, beta, accum, pc+kb == g.k)
			}
		}
	}
}

// balance splits total into the fewest blocks of at most maxBlock and
// returns a block size, a multiple of unit, that makes them about equal, so
// that no block is a sliver. maxBlock must be a multiple of unit.
func balance(total, maxBlock, unit int) int {
	roundUp := func(x int) int { return (x + unit - 1) / unit * unit }
	if total <= maxBlock {
		return roundUp(total)
	}
	// Rounding the size up to unit can leave a sliver for the last block;
	// one or two more blocks usually make them even. Else keep the sliver.
	first := (total + maxBlock - 1) / maxBlock
	for blocks := first; blocks < first+4; blocks++ {
		size := roundUp((total + blocks - 1) / blocks)
		if last := total - (blocks-1)*size; size <= maxBlock && last > size/2 {
			return size
		}
	}
	return min(maxBlock, roundUp((total+first-1)/first))
}

// block runs the macro-kernel over one packed mb×kb block of A and kb×nb
// block of B. Full tiles are stored straight into C; the partial tiles of
// the right and bottom edges go through scratch, with the same arithmetic.
func (g *gemm) block(ws *workspace, ic, mb, jc, nb, kb int, beta float32, accum, last bool) {
	mt, nt := mb/mr, nb/nr
	mtAll, ntAll := (mb+mr-1)/mr, (nb+nr-1)/nr
	ldc := g.ldc
	// done applies the epilogue to an edge of C after its last K block, while
	// it is still in cache; full tiles get it in registers.
	done := func(i, h, j, w int) {
		if last && g.ep != nil {
			g.finish(i, h, j, w)
		}
	}
	if mt > 0 && nt > 0 {
		step := max(1, maxTilesPerCall/mt)
		for j := 0; j < nt; j += step {
			s := min(step, nt-j)
			c := g.c[ic*ldc+jc+j*nr:]
			st := store{alpha: g.alpha, beta: beta, accum: accum}
			if last && g.ep != nil { // the epilogue in registers
				st.bias, st.epi = g.ep.code(ic, mt*mr, jc+j*nr, s*nr)
			}
			g.im.macro(ws.ap, ws.bp[j*kb*nr:], c, kb, mt, s, ldc, st)
		}
	}
	if w := nb - nt*nr; w > 0 && mt > 0 { // right edge: a partial column of full-height tiles
		bp := ws.bp[nt*kb*nr:]
		switch {
		case w == 8: // straight into C
			st := store{alpha: g.alpha, beta: beta, accum: accum}
			if last && g.ep != nil {
				st.bias, st.epi = g.ep.code(ic, mt*mr, jc+nt*nr, 8)
			}
			g.im.macro8(ws.ap, bp, g.c[ic*ldc+jc+nt*nr:], kb, mt, 1, ldc, st)
		case w < 8:
			g.edge(ws, g.im.macro8, ws.ap, bp, ic, mt*mr, jc+nt*nr, w, 8, kb, mt, 1, beta, accum)
			done(ic, mt*mr, jc+nt*nr, w)
		default:
			g.edge(ws, g.im.macro, ws.ap, bp, ic, mt*mr, jc+nt*nr, w, nr, kb, mt, 1, beta, accum)
			done(ic, mt*mr, jc+nt*nr, w)
		}
	}
	if mt < mtAll { // bottom edge, corner included
		h := mb - mt*mr
		g.edge(ws, g.im.macro, ws.ap[mt*kb*mr:], ws.bp, ic+mt*mr, h, jc, nb, ntAll*nr, kb, 1, ntAll, beta, accum)
		done(ic+mt*mr, h, jc, nb)
	}
}

// macroFunc is the signature of Impl.macro and Impl.macro8: they compute
// mt×nt full tiles of C (top-left at c[0], row stride ldc) from mt packed
// micro-panels of A and nt of B, kc deep, and store them as st says.
type macroFunc = func(ap, bp, c []float32, kc, mt, nt, ldc int, st store)

// store says how a macro-kernel stores a tile of sums acc: C = alpha·acc
// (+ beta·C when accum), then the epilogue epi (epiRowBias | epiColBias |
// act<<epiActShift): bias[(tile row)·mr + r] added per row or
// bias[(tile column)·cols + j] per column, then the activation.
type store struct {
	alpha, beta float32
	accum       bool
	bias        []float32
	epi         int
}

// The bits of store.epi; the assembly generator has the same.
const (
	epiRowBias  = 1
	epiColBias  = 2
	epiActShift = 2
)

// edge computes the h×w part of C at (i, j) with macro from mt×nt tiles
// written to scratch with row stride ld.
func (g *gemm) edge(ws *workspace, macro macroFunc, ap, bp []float32, i, h, j, w, ld, kb, mt, nt int, beta float32, accum bool) {
	s := ws.scratch[:mt*mr*ld]
	if accum {
		for r := 0; r < h; r++ {
			copy(s[r*ld:r*ld+w], g.c[(i+r)*g.ldc+j:])
		}
	}
	macro(ap, bp, s, kb, mt, nt, ld, store{alpha: g.alpha, beta: beta, accum: accum})
	for r := 0; r < h; r++ {
		copy(g.c[(i+r)*g.ldc+j:(i+r)*g.ldc+j+w], s[r*ld:])
	}
}

// packA packs rows [i0, i0+mb) and columns [p0, p0+kb) of op(A) into mr-row
// micro-panels: dst[t*kb*mr + p*mr + r] = op(A)[i0+t*mr+r][p0+p].
func (g *gemm) packA(dst []float32, i0, mb, p0, kb int) {
	packPanels(dst, g.a, g.lda, g.transA, i0, mb, p0, kb, mr, g.im.packAN, g.im.packAT)
}

// packB packs rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) into
// nr-column micro-panels: dst[t*kb*nr + p*nr + j] = op(B)[p0+p][j0+t*nr+j].
// These are the mr-row panels of op(B)ᵀ, whose rows are B's rows when
// transB and its columns otherwise.
func (g *gemm) packB(dst []float32, p0, kb, j0, nb int) {
	packPanels(dst, g.b, g.ldb, !g.transB, j0, nb, p0, kb, nr, g.im.packBT, g.im.packBN)
}

// packPanels packs rows [i0, i0+rows) and columns [p0, p0+kb) of the matrix
// M[i][p] = x[i*ld+p] (x[p*ld+i] when trans) into w-row micro-panels,
// dst[t*kb*w + p*w + r] = M[i0+t*w+r][p0+p], with the rows past the end of
// the last panel zero. packN and packT pack full panels of either layout.
func packPanels(dst, x []float32, ld int, trans bool, i0, rows, p0, kb, w int, packN, packT func(dst, src []float32, ld, kc, n int)) {
	full := rows / w
	if full > 0 {
		if trans {
			packT(dst, x[p0*ld+i0:], ld, kb, full)
		} else {
			packN(dst, x[i0*ld+p0:], ld, kb, full)
		}
	}
	if edge := rows - full*w; edge > 0 {
		d := dst[full*kb*w : (full+1)*kb*w]
		clear(d)
		i := i0 + full*w
		for r := 0; r < edge; r++ {
			for p := 0; p < kb; p++ {
				if trans {
					d[p*w+r] = x[(p0+p)*ld+i+r]
				} else {
					d[p*w+r] = x[(i+r)*ld+p0+p]
				}
			}
		}
	}
}
