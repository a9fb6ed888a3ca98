package kernels

// macroGeneric is the pure-Go macro-kernel: for each of the mt×nt full 6×16
// tiles it accumulates the packed panels over kc and stores alpha*acc
// (+ beta*C when accum). Tiles are walked B-panel outer, A-panel inner, like
// the assembly; each tile is computed in 2×4 register blocks.
func macroGeneric(ap, bp, c []float32, kc, mt, nt, ldc int, alpha, beta float32, accum bool) {
	for jt := 0; jt < nt; jt++ {
		b := bp[jt*kc*nr : (jt+1)*kc*nr]
		for it := 0; it < mt; it++ {
			a := ap[it*kc*mr : (it+1)*kc*mr]
			ct := c[it*mr*ldc+jt*nr:]
			for r := 0; r < mr; r += 2 {
				for j := 0; j < nr; j += 4 {
					tile2x4(a, b, kc, r, j, ct[r*ldc+j:], ldc, alpha, beta, accum)
				}
			}
		}
	}
}

// tile2x4 computes rows r, r+1 and columns j..j+3 of a tile from packed
// panels a (kc×mr) and b (kc×nr) and stores them at c (row stride ldc).
func tile2x4(a, b []float32, kc, r, j int, c []float32, ldc int, alpha, beta float32, accum bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[r : (kc-1)*mr+r+2]
	b = b[j : (kc-1)*nr+j+4]
	for p := 0; p < kc; p++ {
		aa := a[p*mr : p*mr+2 : p*mr+2]
		bb := b[p*nr : p*nr+4 : p*nr+4]
		a0, a1 := aa[0], aa[1]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	r0 := c[:4:4]
	r1 := c[ldc : ldc+4 : ldc+4]
	if accum {
		r0[0] = alpha*c00 + beta*r0[0]
		r0[1] = alpha*c01 + beta*r0[1]
		r0[2] = alpha*c02 + beta*r0[2]
		r0[3] = alpha*c03 + beta*r0[3]
		r1[0] = alpha*c10 + beta*r1[0]
		r1[1] = alpha*c11 + beta*r1[1]
		r1[2] = alpha*c12 + beta*r1[2]
		r1[3] = alpha*c13 + beta*r1[3]
		return
	}
	r0[0], r0[1], r0[2], r0[3] = alpha*c00, alpha*c01, alpha*c02, alpha*c03
	r1[0], r1[1], r1[2], r1[3] = alpha*c10, alpha*c11, alpha*c12, alpha*c13
}

// packANGeneric packs a micro-panel of op(A) = A: dst[p*mr+r] = src[r*ld+p]
// for r < mr, p < kc.
func packANGeneric(dst, src []float32, ld, kc int) {
	r0 := src[0*ld : 0*ld+kc]
	r1 := src[1*ld : 1*ld+kc]
	r2 := src[2*ld : 2*ld+kc]
	r3 := src[3*ld : 3*ld+kc]
	r4 := src[4*ld : 4*ld+kc]
	r5 := src[5*ld : 5*ld+kc]
	dst = dst[:kc*mr]
	for p := range r0 {
		d := dst[p*mr : p*mr+mr : p*mr+mr]
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packATGeneric packs a micro-panel of op(A) = Aᵀ: dst[p*mr+r] = src[p*ld+r].
func packATGeneric(dst, src []float32, ld, kc int) {
	dst = dst[:kc*mr]
	for p := 0; p < kc; p++ {
		s := src[p*ld : p*ld+mr : p*ld+mr]
		d := dst[p*mr : p*mr+mr : p*mr+mr]
		d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
	}
}

// packBNGeneric packs a micro-panel of op(B) = B: dst[p*nr+j] = src[p*ld+j]
// for p < kc, j < nr.
func packBNGeneric(dst, src []float32, ld, kc int) {
	dst = dst[:kc*nr]
	for p := 0; p < kc; p++ {
		s := src[p*ld : p*ld+nr : p*ld+nr]
		d := dst[p*nr : p*nr+nr : p*nr+nr]
		d0, d1 := d[:8:8], d[8:16:16]
		s0, s1 := s[:8:8], s[8:16:16]
		d0[0], d0[1], d0[2], d0[3], d0[4], d0[5], d0[6], d0[7] = s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], s0[6], s0[7]
		d1[0], d1[1], d1[2], d1[3], d1[4], d1[5], d1[6], d1[7] = s1[0], s1[1], s1[2], s1[3], s1[4], s1[5], s1[6], s1[7]
	}
}

// packBTGeneric packs a micro-panel of op(B) = Bᵀ: dst[p*nr+j] = src[j*ld+p].
func packBTGeneric(dst, src []float32, ld, kc int) {
	dst = dst[:kc*nr]
	for j := 0; j < nr; j++ {
		s := src[j*ld : j*ld+kc]
		for p, v := range s {
			dst[p*nr+j] = v
		}
	}
}
