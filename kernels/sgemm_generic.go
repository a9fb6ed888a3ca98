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
