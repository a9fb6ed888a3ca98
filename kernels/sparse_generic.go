package kernels

// The pure-Go twins of the sparse products' block kernels
// (asm_gen/gen_sparse.go): the same sums in the same order, with separate
// multiplies and adds where the assembly fuses them, so the two agree
// within rounding.

var genericSparse = sparseKernels{block: spmmGeneric, group: spmmgGeneric, groupT: spmmgtGeneric}

func spmmGeneric(c []float32, ldc int, offs []int, ostride, rows int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, mode int) int {
	if w == 0 {
		return -1
	}
	acc := getScratch(w)
	defer putScratch(acc)
	for i := range rows {
		p0, p1 := offs[i*ostride], offs[i*ostride+1]
		out := c[i*ldc : i*ldc+w]
		if mode == spmmAdd {
			if p0 >= p1 {
				continue
			}
			copy(acc, out)
		} else {
			clear(acc)
		}
		for p := p0; p < p1; p++ {
			col := int(cols[p])
			if col < 0 || col >= k {
				return p
			}
			v, row := vals[p], b[col*ldb:col*ldb+w]
			for j, x := range row {
				acc[j] += v * x
			}
		}
		for j, a := range acc {
			switch mode {
			case spmmAdd:
				out[j] = a
			case spmmScale:
				out[j] = alpha*a + beta*out[j]
			default:
				out[j] = alpha * a
			}
		}
	}
	return -1
}

// spmmgGeneric is the twin of spmmg4xN: for each group, each row's
// accumulators take its value times B's row for each union column in
// order, zeros included; then C's rows rows[r·g+i] take them, and the
// epilogue.
func spmmgGeneric(r int, c []float32, ldc int, rows []int32, offs []int, ostride, span, groups int, cols []int32, vals []float32, b []float32, ldb, k, w int, alpha, beta float32, readC bool, bias []float32, epi int) {
	if w == 0 {
		return
	}
	acc := getScratch(r * w)
	defer putScratch(acc)
	for g := range groups {
		clear(acc)
		for p := offs[g*ostride]; p < offs[g*ostride+span]; p++ {
			col := int(cols[p])
			row := b[col*ldb : col*ldb+w]
			for i := range r {
				v, a := vals[r*p+i], acc[i*w:(i+1)*w]
				for j, x := range row {
					a[j] += v * x
				}
			}
		}
		for i := range r {
			out := c[int(rows[g*r+i])*ldc:][:w]
			for j, a := range acc[i*w : (i+1)*w] {
				if readC {
					out[j] = alpha*a + beta*out[j]
				} else {
					out[j] = alpha * a
				}
			}
			if epi != 0 {
				epilogueRow(&genericVec, &genericAct, out, bias, epi, int(rows[g*r+i]), 0)
			}
		}
	}
}

// spmmgtGeneric is the twin of spmmgt4xN: for each group, each union
// column's tile row takes the group's rows of B times their values, row
// by row.
func spmmgtGeneric(r int, tile []float32, ldt, p0, p1 int, rows []int32, offs []int, ostride, groups int, cols []int32, vals []float32, b []float32, ldb, w int) {
	for g := range groups {
		for p := offs[g*ostride]; p < offs[g*ostride+1]; p++ {
			out := tile[(int(cols[p])-p0)*ldt:][:w]
			for i := range r {
				v, row := vals[r*p+i], b[int(rows[g*r+i])*ldb:][:w]
				for j, x := range row {
					out[j] += v * x
				}
			}
		}
	}
}
