package kernels

// The pure-Go panel packers, the twins of the assembly (pack_amd64.go).

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
