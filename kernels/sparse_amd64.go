//go:build amd64 && gc && !purego

package kernels

// avx2Sparse wires the sparse products to the assembly in zsparse_amd64.s.
var avx2Sparse = sparseKernels{block: spmmAVX2, group: spmmgAVX2, groupT: spmmgtAVX2}

// spmmBlock is an assembly block kernel of whole vectors; spmmMasked one
// that ends in a partial vector whose lanes mask marks.
type (
	spmmBlock  func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, mode int) int
	spmmMasked func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, mode int, mask *int32) int
)

// The block kernels by their whole vectors: spmmBlocks[n-1] has n,
// spmmMaskedBlocks[n] has n and a partial one.
var (
	spmmBlocks = [maxSparseVecs]spmmBlock{
		spmm1, spmm2, spmm3, spmm4, spmm5, spmm6, spmm7, spmm8, spmm9, spmm10, spmm11, spmm12, spmm13,
	}
	spmmMaskedBlocks = [maxSparseVecs]spmmMasked{
		spmm0m, spmm1m, spmm2m, spmm3m, spmm4m, spmm5m, spmm6m, spmm7m, spmm8m, spmm9m, spmm10m, spmm11m, spmm12m,
	}
)

// tailMasks[8-r:16-r] marks the first r lanes of a vector.
var tailMasks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// spmmAVX2 runs the w columns in blocks of up to 13 vectors, the last one
// ending in a partial vector when w is not a multiple of 8. The checks
// before the assembly: the caller's (checkSparse, checkMatrix) bound every
// row of C and B that offs and k allow, and the assembly checks each column
// index against k before it reads B's row.
func spmmAVX2(c []float32, ldc int, offs []int, ostride, rows int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, mode int) int {
	if rows <= 0 || w == 0 {
		return -1
	}
	if ostride < 1 || len(offs) < (rows-1)*ostride+2 || len(c) < (rows-1)*ldc+w || len(vals) < len(cols) || k > 0 && len(b) < (k-1)*ldb+w {
		panic("kernels: internal error: sparse block outside its slices")
	}
	for i := range rows { // the nonzeros the assembly reads
		if p, end := offs[i*ostride], offs[i*ostride+1]; p < 0 || end > len(cols) {
			panic("kernels: internal error: sparse offsets outside cols")
		}
	}
	if mode != spmmWrite && mode != spmmScale && (mode != spmmAdd || alpha != 1 || beta != 1) {
		panic("kernels: internal error: sparse block mode")
	}
	bp := bAt(b, k) // with k == 0 every column index fails its check before B is read
	cp, vp := sparsePtrs(cols, vals)
	full, tail := w/8, w%8
	j := 0
	// Blocks of whole vectors, until what is left fits the last block:
	// nothing, or up to 12 whole vectors and the partial one. Each block
	// runs over all the rows, in calls of spmmCallRows.
	for full > 0 || tail > 0 {
		nv, masked := min(full, len(spmmBlocks)), false
		if tail > 0 && full < len(spmmMaskedBlocks) {
			nv, masked = full, true
		}
		for r := 0; r < rows; r += spmmCallRows {
			n := min(spmmCallRows, rows-r)
			var p int
			if masked {
				p = spmmMaskedBlocks[nv](&c[r*ldc+j], ldc, &offs[r*ostride], ostride, cp, vp, n, bp(j), ldb, k, alpha, beta, mode, &tailMasks[8-tail])
			} else {
				p = spmmBlocks[nv-1](&c[r*ldc+j], ldc, &offs[r*ostride], ostride, cp, vp, n, bp(j), ldb, k, alpha, beta, mode)
			}
			if p >= 0 {
				return p
			}
		}
		j += 8 * nv
		full -= nv
		if masked {
			tail = 0
		}
	}
	return -1
}

// sparsePtrs returns the pointers the assembly takes for cols and vals:
// their first elements, or nil when there are none (no row reads them).
func sparsePtrs(cols []int32, vals []float32) (*int32, *float32) {
	if len(cols) == 0 {
		return nil, nil
	}
	return &cols[0], &vals[0]
}

// bAt returns the pointer to B's element j for the assembly, or nil for
// every j when B has no rows (k == 0): then no kernel reads B.
func bAt(b []float32, k int) func(j int) *float32 {
	return func(j int) *float32 {
		if k == 0 {
			return nil
		}
		return &b[j]
	}
}

// spmmCallRows bounds the rows of one call of a block kernel, so that a
// call stays short (assembly is not preempted).
const spmmCallRows = 64

// spmmgBlock is a grouped assembly kernel of whole vectors, spmmgMasked
// one that ends in a partial vector whose lanes mask marks; spmmgtBlock and
// spmmgtMasked their Sᵀ·B counterparts.
type (
	spmmgBlock   func(c *float32, ldc int, rows *int32, offs *int, ostride, span int, cols *int32, vals *float32, groups int, b *float32, ldb int, alpha, beta float32, readC int, bias *float32, epi int)
	spmmgMasked  func(c *float32, ldc int, rows *int32, offs *int, ostride, span int, cols *int32, vals *float32, groups int, b *float32, ldb int, alpha, beta float32, readC int, bias *float32, epi int, mask *int32)
	spmmgtBlock  func(t *float32, ldt, p0 int, rows *int32, offs *int, ostride int, cols *int32, vals *float32, groups int, b *float32, ldb int)
	spmmgtMasked func(t *float32, ldt, p0 int, rows *int32, offs *int, ostride int, cols *int32, vals *float32, groups int, b *float32, ldb int, mask *int32)
)

// The grouped kernels (groups of sparseGroup rows) by their whole vectors:
// spmmgBlocks[n-1] has n, spmmgMaskedBlocks[n] has n and a partial one.
var (
	spmmgBlocks        = [sparseGroupVecs]spmmgBlock{spmmg4x1, spmmg4x2, spmmg4x3}
	spmmgMaskedBlocks  = [sparseGroupVecs]spmmgMasked{spmmg4x0m, spmmg4x1m, spmmg4x2m}
	spmmgtBlocks       = [sparseGroupVecs]spmmgtBlock{spmmgt4x1, spmmgt4x2, spmmgt4x3}
	spmmgtMaskedBlocks = [sparseGroupVecs]spmmgtMasked{spmmgt4x0m, spmmgt4x1m, spmmgt4x2m}
)

// spmmgAVX2 runs the w columns in blocks of up to 3 vectors, each block
// over all the groups, spmmgCallGroups a call. The checks before the
// assembly: the caller's bound B (k×w rows, checkMatrix); here each
// group's rows and offsets are checked against C, cols and vals. The
// column indices are those PrepareSparse checked against k.
func spmmgAVX2(r int, c []float32, ldc int, rows []int32, offs []int, ostride, span, groups int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, readC bool, bias []float32, epi int) {
	if groups <= 0 || w == 0 {
		return
	}
	if r != sparseGroup || ostride < 1 || span < 1 || span > ostride || len(offs) < (groups-1)*ostride+span+1 || len(rows) < groups*r ||
		len(vals) < r*len(cols) || k > 0 && len(b) < (k-1)*ldb+w {
		panic("kernels: internal error: grouped sparse block outside its slices")
	}
	if Activation(epi>>epiActShift) == ActTanh || epi&epiColBias != 0 && len(bias) < w {
		panic("kernels: internal error: grouped sparse epilogue of tanh, or a column bias shorter than the block")
	}
	for g := range groups {
		if p, end := offs[g*ostride], offs[g*ostride+span]; p < 0 || end > len(cols) || (p < end && k == 0) {
			panic("kernels: internal error: grouped sparse offsets outside cols")
		}
	}
	for _, row := range rows[:groups*r] {
		if row < 0 || int(row)*ldc+w > len(c) || epi&epiRowBias != 0 && int(row) >= len(bias) {
			panic("kernels: internal error: grouped sparse row outside C or its bias")
		}
	}
	biasAt := func(j int) *float32 { // the block at column j's bias
		switch {
		case epi&epiColBias != 0:
			return &bias[j]
		case epi&epiRowBias != 0:
			return &bias[0]
		}
		return nil
	}
	rc, bp := flag(readC), bAt(b, k) // with k == 0 no group has a column, and B is not read
	cp, vp := sparsePtrs(cols, vals)
	groupBlocks(w, func(j, nv int, masked bool, tail int) {
		for g := 0; g < groups; g += spmmgCallGroups {
			n := min(spmmgCallGroups, groups-g)
			rg, og := &rows[g*r], &offs[g*ostride]
			if masked {
				spmmgMaskedBlocks[nv](&c[j], ldc, rg, og, ostride, span, cp, vp, n, bp(j), ldb, alpha, beta, rc, biasAt(j), epi, &tailMasks[8-tail])
			} else {
				spmmgBlocks[nv-1](&c[j], ldc, rg, og, ostride, span, cp, vp, n, bp(j), ldb, alpha, beta, rc, biasAt(j), epi)
			}
		}
	})
}

// spmmgCallGroups bounds the groups of one call of a grouped kernel, so
// that a call stays short.
const spmmgCallGroups = 16

// spmmgtAVX2 runs the groups spmmgtCallGroups a call, each over the w
// columns in blocks of up to 3 vectors. The checks before the assembly:
// the tile holds p1−p0 rows of ldt ≥ w rounded up to 8; each group's
// offsets are in cols and vals, and its rows (with those prefetched
// ahead) in B; the columns are those PrepareSparse put in [p0, p1).
func spmmgtAVX2(r int, tile []float32, ldt, p0, p1 int, rows []int32, offs []int, ostride, groups int, cols []int32, vals []float32, b []float32, ldb, w int) {
	if groups <= 0 || w == 0 {
		return
	}
	if r != sparseGroup || ostride < 1 || len(offs) < (groups-1)*ostride+2 || ldt%8 != 0 || ldt < w || len(tile) < (p1-p0)*ldt ||
		len(vals) < r*len(cols) || len(rows) < (groups+groupPrefetch)*r {
		panic("kernels: internal error: grouped sparse block outside its slices")
	}
	for g := range groups {
		if p, end := offs[g*ostride], offs[g*ostride+1]; p < 0 || end > len(cols) {
			panic("kernels: internal error: grouped sparse offsets outside cols")
		}
	}
	for _, row := range rows[:groups*r] { // the prefetched ones need not be
		if row < 0 || int(row)*ldb+w > len(b) {
			panic("kernels: internal error: grouped sparse row outside B")
		}
	}
	cp, vp := sparsePtrs(cols, vals)
	// A call at a time of spmmgtCallGroups groups, whose rows of B stay in
	// cache while it runs over the column blocks.
	for g := 0; g < groups; g += spmmgtCallGroups {
		n := min(spmmgtCallGroups, groups-g)
		rg, og := &rows[g*r], &offs[g*ostride]
		groupBlocks(w, func(j, nv int, masked bool, tail int) {
			if masked {
				spmmgtMaskedBlocks[nv](&tile[j], ldt, p0, rg, og, ostride, cp, vp, n, &b[j], ldb, &tailMasks[8-tail])
			} else {
				spmmgtBlocks[nv-1](&tile[j], ldt, p0, rg, og, ostride, cp, vp, n, &b[j], ldb)
			}
		})
	}
}

// spmmgtCallGroups is the groups of one call of spmmgt4xN: their rows of B
// stay in cache over the column blocks.
const spmmgtCallGroups = 64
