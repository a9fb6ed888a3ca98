package kernels

// The BLIS loop nest of the packed GEMM (see docs/DESIGN.md): C is split
// into regions, one per task of the pool (run, Do); each region walks
// blocks of B (nc columns, kc deep) and of A (mc rows), packs them (pack.go)
// or takes them from an operand packed beforehand (packed.go), and
// multiplies them with the macro-kernel of its implementation
// (sgemm_generic.go, sgemm_amd64.go), which stores whole micro-tiles of C.

// maxTilesPerCall bounds one assembly call (≈ 1024 tiles ≈ 0.6 ms at kc =
// 256): assembly is never preempted, so long calls stall the GC.
const maxTilesPerCall = 1024

// gemm is one Sgemm call after argument checks, and the task its threads
// share (Do). gemms are recycled through gemms, so a call allocates nothing.
type gemm struct {
	im             *Impl
	transA, transB bool
	k              int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	ep             *Epilogue // applied to each part of C once complete; nil for none
	epv            Epilogue  // what ep points to
	pa, pb         *Packed   // op(A) and op(B) packed beforehand (packed.go); nil: packed here
	column         bool      // C is one column, computed from A in place (gemvColumn)

	// The split of C (run): m×n, tm×tn tiles, in gm×gn regions.
	m, n, tm, tn, gm, gn int
}

// gemms keeps finished call states for reuse.
var gemms freeList[gemm]

// newGemm returns a gemm for one call, reused if one is free.
func newGemm(im *Impl, transA, transB bool, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) *gemm {
	g := gemms.get(func() *gemm { return new(gemm) })
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
	gemms.put(g)
}

// workspace holds one thread's packing buffers and edge scratch.
type workspace struct {
	ap      []float32 // mcBlock×kcBlock packed A
	bp      []float32 // kcBlock×ncBlock packed B
	scratch []float32 // edge tiles: max(mcBlock×nr, mr×ncBlock)
}

// workspaces keeps the workspaces between calls: at most one per thread
// that ever ran at once.
var workspaces freeList[workspace]

// getWorkspace returns a kept workspace or a new one.
func getWorkspace() *workspace {
	return workspaces.get(func() *workspace {
		return &workspace{
			ap:      make([]float32, mcBlock*kcBlock),
			bp:      make([]float32, kcBlock*ncBlock),
			scratch: make([]float32, max(mcBlock*nr, mr*ncBlock)),
		}
	})
}

// putWorkspace keeps ws, buffers and all, for a later getWorkspace.
func putWorkspace(ws *workspace) { workspaces.put(ws) }

// minFlopsPerThread is the least work (multiply-adds) worth a thread:
// about 10 µs at the development VM's peak (50 G multiply-adds a second),
// against about 1 µs to hand a job to a polling worker
// (BenchmarkParallelHandoff), so that the second layer of a mini-batch of
// 32 (32×128×256) splits.
const minFlopsPerThread = 1 << 19

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

// run splits C into independent regions and computes them on the pool.
// Along the larger of m and n it makes, when that dimension is long
// enough, up to 4 regions per thread, so that a thread slowed by a busy
// core takes fewer. Every region would pack all of the operand the split
// does not divide; share packs it once for all of them instead, and when
// both operands are then packed, C is split in both dimensions (grid), for
// balance. K is never split and every element sees the same arithmetic in
// any region, so the result is bitwise identical for every thread count.
func (g *gemm) run(m, n int) {
	t := Threads()
	if w := work(m, n, g.k) / minFlopsPerThread; w < t {
		t = max(1, w)
	}
	splitN := n >= m
	tiles, length := (m+mr-1)/mr, m
	if splitN {
		tiles, length = (n+nr-1)/nr, n
	}
	chunks := min(tiles, t*max(1, min(4, length/chunkLen/t)))
	if t <= 1 || chunks <= 1 {
		g.region(0, m, 0, n)
		return
	}
	g.m, g.n, g.tm, g.tn = m, n, (m+mr-1)/mr, (n+nr-1)/nr
	g.gm, g.gn = chunks, 1
	if splitN {
		g.gm, g.gn = 1, chunks
	}
	if !g.column {
		if p := g.share(splitN, chunks, t); p != nil {
			defer sharedPacks.put(p)
			defer p.drop()
		}
		if g.pa != nil && g.pb != nil {
			g.gm, g.gn = grid(g.tm, g.tn, chunks, t)
		}
	}
	parallelTask(g.gm*g.gn, t, g)
}

// maxShared is the most elements of an operand that share packs (16 MiB
// of floats); a larger one is packed by each region, block by block.
const maxShared = 1 << 22

// sharedPacks keeps the buffers of the operands share packs, at most one
// per product that ever ran at once.
var sharedPacks freeList[Packed]

// share packs op(A) for a split into column chunks, op(B) for row chunks,
// once on up to t threads, where it was not packed beforehand, and sets
// g.pa or g.pb to it, when the packings by each chunk that this saves
// cost more than a thread's least work (a hand-off). It returns the
// Packed, for the caller to drop and keep, or nil.
func (g *gemm) share(splitN bool, chunks, t int) *Packed {
	side, trans, rows, cols, x, ld := byte('B'), g.transB, g.k, g.n, g.b, g.ldb
	if splitN {
		side, trans, rows, cols, x, ld = 'A', g.transA, g.m, g.k, g.a, g.lda
	}
	if side == 'A' && g.pa != nil || side == 'B' && g.pb != nil {
		return nil
	}
	if e := rows * cols; e > maxShared || (chunks-1)*e*elemCost < minFlopsPerThread {
		return nil
	}
	p := sharedPacks.get(func() *Packed { return new(Packed) })
	p.fill(side, trans, rows, cols, x, ld, g.im, t)
	if side == 'A' {
		g.pa = p
	} else {
		g.pb = p
	}
	return p
}

// drop empties p but keeps its buffer, for share's next packing.
func (p *Packed) drop() { *p = Packed{buf: p.buf} }

// grid returns the row and column chunks into which to split C's tm×tn
// tiles for t threads when no region packs anything: of the splits into
// at most chunks regions, one whose slowest thread has the fewest tiles
// (each thread taking ⌈regions/t⌉ of the largest), the one of most
// regions among those.
func grid(tm, tn, chunks, t int) (gm, gn int) {
	best := -1
	for rm := 1; rm <= min(tm, chunks); rm++ {
		for rn := 1; rn <= min(tn, chunks/rm); rn++ {
			span := (rm*rn + t - 1) / t * ((tm + rm - 1) / rm) * ((tn + rn - 1) / rn)
			if best < 0 || span < best || span == best && rm*rn > gm*gn {
				best, gm, gn = span, rm, rn
			}
		}
	}
	return gm, gn
}

// Do computes region i of C, one of the gm×gn regions run splits it into.
// Regions start at multiples of mr rows and nr columns, as Packed.panels
// needs.
func (g *gemm) Do(i int) {
	r, c := i/g.gn, i%g.gn
	g.region(g.tm*r/g.gm*mr, min(g.tm*(r+1)/g.gm*mr, g.m), g.tn*c/g.gn*nr, min(g.tn*(c+1)/g.gn*nr, g.n))
}

// region computes rows [i0,i1) and columns [j0,j1) of C on one thread.
func (g *gemm) region(i0, i1, j0, j1 int) {
	ws := getWorkspace()
	defer putWorkspace(ws)
	if g.column {
		g.gemvColumn(ws, i0, i1)
		return
	}
	nc := balance(j1-j0, ncBlock, nr)
	kc := balance(g.k, kcBlock, 8)
	mc := balance(i1-i0, mcBlock, mr)
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			bp := ws.bp
			if g.pb != nil {
				bp = g.pb.panels(pc, kb, jc, nb)
			} else {
				g.packB(bp, pc, kb, jc, nb)
			}
			beta, accum := g.beta, g.beta != 0
			if pc > 0 {
				beta, accum = 1, true
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				ap := ws.ap
				if g.pa != nil {
					ap = g.pa.panels(pc, kb, ic, mb)
				} else {
					g.packA(ap, ic, mb, pc, kb)
				}
				g.block(ws, ap, bp, ic, mb, jc, nb, kb, beta, accum, pc+kb == g.k)
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

// block runs the macro-kernel over one packed mb×kb block of A (ap) and
// kb×nb block of B (bp). Full tiles are stored straight into C; the partial
// tiles of the right and bottom edges go through ws's scratch, with the
// same arithmetic.
func (g *gemm) block(ws *workspace, ap, bp []float32, ic, mb, jc, nb, kb int, beta float32, accum, last bool) {
	mt, nt := mb/mr, nb/nr
	mtAll := (mb + mr - 1) / mr
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
			g.im.macro(ap, bp[j*kb*nr:], c, kb, mt, s, ldc, st)
		}
	}
	if w := nb - nt*nr; w > 0 && mt > 0 { // right edge: a partial column of full-height tiles
		bpe := bp[nt*kb*nr:]
		switch {
		case w == 8: // straight into C
			st := store{alpha: g.alpha, beta: beta, accum: accum}
			if last && g.ep != nil {
				st.bias, st.epi = g.ep.code(ic, mt*mr, jc+nt*nr, 8)
			}
			g.im.macro8(ap, bpe, g.c[ic*ldc+jc+nt*nr:], kb, mt, 1, ldc, st)
		case w <= columnsMax: // a column at a time, six rows a multiply-add
			g.columns(ws, ap, bpe, ic, mt, jc+nt*nr, w, kb, beta, accum)
			done(ic, mt*mr, jc+nt*nr, w)
		case w < 8: // the 6×8 tile through scratch
			g.edge(ws, g.im.macro8, ap, bpe, ic, mt*mr, jc+nt*nr, w, 8, kb, mt, 1, beta, accum)
			done(ic, mt*mr, jc+nt*nr, w)
		default:
			g.edge(ws, g.im.macro, ap, bpe, ic, mt*mr, jc+nt*nr, w, nr, kb, mt, 1, beta, accum)
			done(ic, mt*mr, jc+nt*nr, w)
		}
	}
	if mt < mtAll { // bottom edge: its h rows of the full-width tiles straight into C, the corner through scratch
		h, i := mb-mt*mr, ic+mt*mr
		ape, macro := ap[mt*kb*mr:], g.im.macroRows[mb-mt*mr]
		if nt > 0 {
			st := store{alpha: g.alpha, beta: beta, accum: accum}
			if last && g.ep != nil {
				st.bias, st.epi = g.ep.code(i, h, jc, nt*nr)
			}
			macro(ape, bp, g.c[i*ldc+jc:], kb, 1, nt, ldc, st)
		}
		if w := nb - nt*nr; w > 0 {
			g.edge(ws, macro, ape, bp[nt*kb*nr:], i, h, jc+nt*nr, w, nr, kb, 1, 1, beta, accum)
			done(i, h, jc+nt*nr, w)
		}
	}
}

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

// columnsMax is the widest right edge that columns computes: the column
// kernel reads the A panels once a column, the 6×8 tile once, with 8 lanes
// where w are used. Measured (2048×(16+w)×784, one thread, Zen 3): the
// column kernel 0.97 against 1.51 ms at w = 1, 1.11 against 1.20 at 2,
// then slower, 1.63 against 1.46 at 3 and 2.13 against 1.25 at 6.
const columnsMax = 2

// columns computes the w ≤ columnsMax columns of C at (i, j), mt full tiles high,
// from mt packed A panels and one B panel, a column at a time with
// Impl.column through scratch.
func (g *gemm) columns(ws *workspace, ap, bp []float32, i, mt, j, w, kb int, beta float32, accum bool) {
	h := mt * mr
	s := ws.scratch[:h]
	st := store{alpha: g.alpha, beta: beta, accum: accum}
	for q := range w {
		if accum {
			for r := range h {
				s[r] = g.c[(i+r)*g.ldc+j+q]
			}
		}
		g.im.column(ap, bp[q:], s, kb, mt, nr, st)
		for r := range h {
			g.c[(i+r)*g.ldc+j+q] = s[r]
		}
	}
}

// gemvRow computes C's one row, n ≥ 8 wide, as x·Bᵀ from B in place
// (Impl.gemv): a product of one row, such as a one-row Predict of a layer,
// would spend more on packing B than on the product. It walks k in the kc
// blocks of the packed path and stores each block as it does, so the row
// has the same bits (gemvBlock). Then the epilogue, as for an edge.
func (g *gemm) gemvRow(n int) {
	ws := getWorkspace()
	defer putWorkspace(ws)
	kc := balance(g.k, kcBlock, 8)
	for pc := 0; pc < g.k; pc += kc {
		kb := min(kc, g.k-pc)
		g.gemvBlock(g.b[pc:], g.ldb, g.a[pc:pc+kb], g.c[:n], kb, g.blockStore(pc), ws, (len(ws.scratch)-8)&^7)
	}
	if g.ep != nil {
		g.finish(0, 1, 0, n)
	}
}

// gemvColumnRows is the rows of C that gemvColumn computes at a time,
// through scratch when C's column is strided.
const gemvColumnRows = 128

// gemvColumn computes rows [i0, i1) of C's one column as A·x from A in
// place (Impl.gemv, A's rows as the outputs): a product of one column,
// such as a one-unit output layer's forward product, would spend more on
// packing A than on the product. As gemvRow, it walks k in the kc blocks
// of the packed path and stores each block as it does, so each element
// has the bits the column kernel gives it; C goes through scratch unless
// its column is contiguous (ldc = 1). Then the epilogue.
func (g *gemm) gemvColumn(ws *workspace, i0, i1 int) {
	kc := balance(g.k, kcBlock, 8)
	out := ws.scratch[16 : 16+gemvColumnRows] // gemvBlock takes the first 16 (calls of 8 rows)
	xs := ws.bp[8*kc : 9*kc]                  // B's column, gathered when B is k×1; gemvBlock pads in the first 8·kc
	for r0 := i0; r0 < i1; r0 += gemvColumnRows {
		h := min(gemvColumnRows, i1-r0)
		c := out[:h]
		if g.ldc == 1 {
			c = g.c[r0 : r0+h]
		} else if g.beta != 0 {
			for r := range h {
				c[r] = g.c[(r0+r)*g.ldc]
			}
		}
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			x := g.b[pc : pc+kb] // B is 1×k: x is its row
			if !g.transB {
				x = xs[:kb]
				for p := range kb {
					x[p] = g.b[(pc+p)*g.ldb]
				}
			}
			g.gemvBlock(g.a[r0*g.lda+pc:], g.lda, x, c, kb, g.blockStore(pc), ws, 8)
		}
		if g.ldc != 1 {
			for r := range h {
				g.c[(r0+r)*g.ldc] = c[r]
			}
		}
	}
	if g.ep != nil {
		g.finish(i0, i1-i0, 0, 1)
	}
}

// blockStore returns how the K block from depth pc is stored, as the
// packed path stores it: C = alpha·sum + beta·C for the first, then added.
func (g *gemm) blockStore(pc int) store {
	if pc > 0 {
		return store{alpha: g.alpha, beta: 1, accum: true}
	}
	return store{alpha: g.alpha, beta: g.beta, accum: g.beta != 0}
}

// gemvBlock sets the len(c) outputs c[r] = Σ x[p]·m[r·ld+p] over p <
// len(x) = kb, stored as st says, from the rows of m in place: call rows
// (a multiple of 8) a call of Impl.gemv, summing in ws.scratch[:call]; the
// last len(c)%8 outputs take their rows padded to 8 with zeros in ws.bp.
// How many rows a call takes matters: the kernel reads 8 columns of all
// its rows before the next 8. A product of one column, A streaming from
// memory, wants 8 (11272×1×196, one thread: 0.89 ms, against 1.24 in
// calls of 128 rows); a one-row Predict, W in cache, wants all of them
// (784-256-128-10: 42 µs, against 56 in calls of 8 rows).
func (g *gemm) gemvBlock(m []float32, ld int, x, c []float32, kb int, st store, ws *workspace, call int) {
	h := len(c)
	h8 := h &^ 7
	acc := ws.scratch[:call]
	for q := 0; q < h8; q += call {
		w := min(call, h8-q)
		clear(acc[:w])
		g.im.gemv(m[q*ld:], ld, x, acc[:w], c[q:q+w], w/8, kb, st)
	}
	if t := h - h8; t > 0 {
		pad, tail := ws.bp[:8*kb], ws.scratch[call:call+8]
		clear(pad)
		for r := range t {
			copy(pad[r*kb:(r+1)*kb], m[(h8+r)*ld:])
		}
		copy(tail, c[h8:])
		clear(acc[:8])
		g.im.gemv(pad, kb, x, acc[:8], tail, 1, kb, st)
		copy(c[h8:], tail[:t])
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
