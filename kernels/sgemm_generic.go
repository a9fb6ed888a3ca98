package kernels

import "unsafe"

// macroGeneric is the pure-Go macro-kernel: for each of the mt×nt full 6×16
// tiles it accumulates the packed panels over kc and stores them as st
// says. Tiles are walked B-panel outer, A-panel inner, like the assembly.
func macroGeneric(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	macroGenericCols(ap, bp, c, kc, mt, nt, ldc, st, nr)
}

// macroGeneric8 is macroGeneric storing only the first 8 columns of each
// tile (the assembly's sgemmKernel6x8), for right edges of at most 8.
func macroGeneric8(ap, bp, c []float32, kc, mt, nt, ldc int, st store) {
	macroGenericCols(ap, bp, c, kc, mt, nt, ldc, st, 8)
}

func macroGenericCols(ap, bp, c []float32, kc, mt, nt, ldc int, st store, cols int) {
	if kc <= 0 || len(ap) < mt*kc*mr || len(bp) < nt*kc*nr || !holds(len(c), mt*mr, (nt-1)*cols+cols, ldc) {
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
			for r := 0; r < mr; r++ {
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

// packANGeneric packs n micro-panels of op(A) = A:
// dst[t*kc*mr + p*mr + r] = src[(t*mr+r)*ld + p] for r < mr, p < kc.
func packANGeneric(dst, src []float32, ld, kc, n int) {
	for t := 0; t < n; t++ {
		d := dst[t*kc*mr : (t+1)*kc*mr]
		s := src[t*mr*ld:]
		r0 := s[0*ld : 0*ld+kc]
		r1 := s[1*ld : 1*ld+kc]
		r2 := s[2*ld : 2*ld+kc]
		r3 := s[3*ld : 3*ld+kc]
		r4 := s[4*ld : 4*ld+kc]
		r5 := s[5*ld : 5*ld+kc]
		for p := range r0 {
			dd := d[p*mr : p*mr+mr : p*mr+mr]
			dd[0], dd[1], dd[2], dd[3], dd[4], dd[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
	}
}

// packATGeneric packs n micro-panels of op(A) = Aᵀ:
// dst[t*kc*mr + p*mr + r] = src[p*ld + t*mr + r], row by row of src.
func packATGeneric(dst, src []float32, ld, kc, n int) {
	dst = dst[:n*kc*mr]
	for p := 0; p < kc; p++ {
		row := src[p*ld : p*ld+n*mr]
		for t := 0; t < n; t++ {
			s := row[t*mr : t*mr+mr : t*mr+mr]
			d := dst[t*kc*mr+p*mr : t*kc*mr+p*mr+mr : t*kc*mr+p*mr+mr]
			d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
		}
	}
}

// packBNGeneric packs n micro-panels of op(B) = B:
// dst[t*kc*nr + p*nr + j] = src[p*ld + t*nr + j], row by row of src.
func packBNGeneric(dst, src []float32, ld, kc, n int) {
	dst = dst[:n*kc*nr]
	for p := 0; p < kc; p++ {
		row := src[p*ld : p*ld+n*nr]
		for t := 0; t < n; t++ {
			copy(dst[t*kc*nr+p*nr:t*kc*nr+p*nr+nr], row[t*nr:])
		}
	}
}

// packBTGeneric packs n micro-panels of op(B) = Bᵀ:
// dst[t*kc*nr + p*nr + j] = src[(t*nr+j)*ld + p].
func packBTGeneric(dst, src []float32, ld, kc, n int) {
	for t := 0; t < n; t++ {
		d := dst[t*kc*nr : (t+1)*kc*nr]
		for j := 0; j < nr; j++ {
			s := src[(t*nr+j)*ld : (t*nr+j)*ld+kc]
			for p, v := range s {
				d[p*nr+j] = v
			}
		}
	}
}
