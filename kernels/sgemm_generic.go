package kernels

import "unsafe"

// macroGeneric is the pure-Go macro-kernel: for each of the mt×nt full 6×16
// tiles it accumulates the packed panels over kc and stores them as st
// says. Tiles are walked B-panel outer, A-panel inner, like the assembly.
func macroGeneric(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	macroGenericCols(ap, bp, c, kc, mt, nt, ldc, st, mr, nr)
}

// macroGeneric8 is macroGeneric storing only the first 8 columns of each
// tile (the assembly's sgemmKernel6x8), for right edges of at most 8.
func macroGeneric8(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	macroGenericCols(ap, bp, c, kc, mt, nt, ldc, st, mr, 8)
}

// macroRowsGeneric is the Go twin of the assembly's sgemmKernel1x16 …
// sgemmKernel5x16: entry h stores the first h rows of one A panel's tiles
// (Impl.macroRows).
var macroRowsGeneric = [mr]macroFunc{1: rowsGeneric(1), 2: rowsGeneric(2), 3: rowsGeneric(3), 4: rowsGeneric(4), 5: rowsGeneric(5)}

func rowsGeneric(rows int) macroFunc {
	return func(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
		if mt != 1 {
			panic("kernels: internal error: a macro-kernel of fewer rows takes one A panel")
		}
		macroGenericCols(ap, bp, c, kc, mt, nt, ldc, st, rows, nr)
	}
}

// columnGeneric is the Go twin of the assembly's sgemmColumn
// (Impl.column): out[6·it + r] = alpha·(row r of A panel it)·b (+
// beta·out), b strided by ldb.
func columnGeneric(ap, b, out []float32, kc, mt, ldb int, st store) {
	if kc <= 0 || mt <= 0 || ldb <= 0 || len(ap) < mt*kc*mr || len(b) < (kc-1)*ldb+1 || len(out) < mt*mr {
		panic("kernels: internal error: generic column kernel arguments out of range")
	}
	for it := range mt {
		a := ap[it*kc*mr : (it+1)*kc*mr]
		for r := range mr {
			var sum float32
			for p := range kc {
				sum += a[p*mr+r] * b[p*ldb]
			}
			o := &out[it*mr+r]
			if st.accum {
				*o = st.alpha*sum + st.beta**o
			} else {
				*o = st.alpha * sum
			}
		}
	}
}

// gemvGeneric is the Go twin of the assembly's sgemv8 (Impl.gemv):
// c[j] = alpha·Σ x[p]·b[j·ldb+p] over p < kb (+ beta·c[j]) for j <
// 8·groups, the sum kept in acc (zero on entry) as the assembly keeps it.
func gemvGeneric(b []float32, ldb int, x, acc, c []float32, groups, kb int, st store) {
	if kb <= 0 || groups <= 0 || !holds(len(b), 8*groups, kb, ldb) || len(x) < kb || len(acc) < 8*groups || len(c) < 8*groups {
		panic("kernels: internal error: generic gemv arguments out of range")
	}
	for j := range 8 * groups {
		row := b[j*ldb : j*ldb+kb]
		sum := acc[j]
		for p, v := range row {
			sum += x[p] * v
		}
		if st.accum {
			c[j] = st.alpha*sum + st.beta*c[j]
		} else {
			c[j] = st.alpha * sum
		}
	}
}

// macroGenericCols stores the first rows rows (mr, or fewer when mt = 1)
// and cols columns of each tile.
func macroGenericCols(ap, bp, c []float32, kc, mt, nt, ldc int, st store, rows, cols int) {
	height := mt * mr
	if rows < mr {
		height = rows
	}
	if kc <= 0 || len(ap) < mt*kc*mr || len(bp) < nt*kc*nr || !holds(len(c), height, (nt-1)*cols+cols, ldc) {
		panic("kernels: internal error: generic macro-kernel arguments out of range")
	}
	var acc [mr * nr]float32
	for jt := 0; jt < nt; jt++ {
		b := bp[jt*kc*nr : (jt+1)*kc*nr]
		for it := 0; it < mt; it++ {
			a := ap[it*kc*mr : (it+1)*kc*mr]
			for r := 0; r < mr; r += 3 {
				for j := 0; j < cols; j += 2 {
					block3x2(a, b, kc, r, j, acc[r*nr+j:])
				}
			}
			ct := c[it*mr*ldc+jt*cols:]
			for r := 0; r < rows; r++ {
				row := ct[r*ldc : r*ldc+cols]
				ar := acc[r*nr : r*nr+cols]
				if st.accum {
					for j := range row {
						row[j] = st.alpha*ar[j] + st.beta*row[j]
					}
				} else {
					for j := range row {
						row[j] = st.alpha * ar[j]
					}
				}
				if st.epi != 0 {
					epilogueRow(&genericVec, &genericAct, row, st.bias, st.epi, it*mr+r, jt*cols)
				}
			}
		}
	}
}

// block3x2 sums rows r..r+2, columns j, j+1 of a tile over the packed
// panels a (kc×mr) and b (kc×nr) into acc (row stride nr). Six accumulators
// are as many as the Go compiler keeps in registers without spilling; the
// bounds are checked once, up front.
func block3x2(a, b []float32, kc, r, j int, acc []float32) {
	_ = a[(kc-1)*mr+r+2]
	_ = b[(kc-1)*nr+j+1]
	_ = acc[2*nr+1]
	pa := unsafe.Pointer(&a[r])
	pb := unsafe.Pointer(&b[j])
	var c00, c01, c10, c11, c20, c21 float32
	end := kc * mr * 4
	for oa, ob := 0, 0; oa < end; oa, ob = oa+mr*4, ob+nr*4 {
		aa := (*[3]float32)(unsafe.Add(pa, oa))
		bb := (*[2]float32)(unsafe.Add(pb, ob))
		b0, b1 := bb[0], bb[1]
		c00 += aa[0] * b0
		c01 += aa[0] * b1
		c10 += aa[1] * b0
		c11 += aa[1] * b1
		c20 += aa[2] * b0
		c21 += aa[2] * b1
	}
	acc[0], acc[1] = c00, c01
	acc[nr], acc[nr+1] = c10, c11
	acc[2*nr], acc[2*nr+1] = c20, c21
}
