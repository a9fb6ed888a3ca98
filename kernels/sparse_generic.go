package kernels

// The pure-Go twins of the sparse products' block kernels
// (asm_gen/gen_sparse.go): the same sums in the same order, with separate
// multiplies and adds where the assembly fuses them, so the two agree
// within rounding.

var genericSparse = sparseKernels{block: spmmGeneric}

func spmmGeneric(c []float32, ldc int, offs []int, ostride, rows int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, readC bool) int {
	if w == 0 {
		return -1
	}
	acc := getScratch(w)
	defer putScratch(acc)
	for i := range rows {
		clear(acc)
		for p := offs[i*ostride]; p < offs[i*ostride+1]; p++ {
			col := int(cols[p])
			if col < 0 || col >= k {
				return p
			}
			v, row := vals[p], b[col*ldb:col*ldb+w]
			for j, x := range row {
				acc[j] += v * x
			}
		}
		out := c[i*ldc : i*ldc+w]
		for j, a := range acc {
			if readC {
				out[j] = alpha*a + beta*out[j]
			} else {
				out[j] = alpha * a
			}
		}
	}
	return -1
}
