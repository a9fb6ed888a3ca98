//go:build amd64 && gc && !purego

package kernels

// avx2Sparse wires the sparse products to the assembly in zsparse_amd64.s.
var avx2Sparse = sparseKernels{block: spmmAVX2}

// spmmBlock is an assembly block kernel of whole vectors; spmmMasked one
// that ends in a partial vector whose lanes mask marks.
type (
	spmmBlock  func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, readC int) int
	spmmMasked func(c *float32, ldc int, offs *int, ostride int, cols *int32, vals *float32, rows int, b *float32, ldb, k int, alpha, beta float32, readC int, mask *int32) int
)

// The block kernels by their whole vectors: spmmBlocks[n-1] has n,
// spmmMaskedBlocks[n] has n and a partial one.
var (
	spmmBlocks = [...]spmmBlock{
		spmm1, spmm2, spmm3, spmm4, spmm5, spmm6, spmm7, spmm8, spmm9, spmm10, spmm11, spmm12, spmm13,
	}
	spmmMaskedBlocks = [...]spmmMasked{
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
func spmmAVX2(c []float32, ldc int, offs []int, ostride, rows int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, readC bool) int {
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
	rc := 0
	if readC {
		rc = 1
	}
	var cp *int32
	var vp *float32
	if len(cols) > 0 {
		cp, vp = &cols[0], &vals[0]
	}
	bp := func(j int) *float32 { // with k == 0 every column index fails its check before B is read
		if k == 0 {
			return nil
		}
		return &b[j]
	}
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
				p = spmmMaskedBlocks[nv](&c[r*ldc+j], ldc, &offs[r*ostride], ostride, cp, vp, n, bp(j), ldb, k, alpha, beta, rc, &tailMasks[8-tail])
			} else {
				p = spmmBlocks[nv-1](&c[r*ldc+j], ldc, &offs[r*ostride], ostride, cp, vp, n, bp(j), ldb, k, alpha, beta, rc)
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

// spmmCallRows bounds the rows of one call of a block kernel, so that a
// call stays short (assembly is not preempted).
const spmmCallRows = 64
