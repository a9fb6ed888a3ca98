//go:build !purego

package kernels

import "fmt"

// macroAVX2 wires the assembly macro-kernel sgemmKernel6x16 after checking
// that every panel and the C tiles lie inside their slices.
func macroAVX2(ap, bp, c []float32, kc, mt, nt, ldc int, alpha, beta float32, accum bool) {
	if kc <= 0 || mt <= 0 || nt <= 0 || ldc < nt*nr ||
		len(ap) < mt*kc*mr || len(bp) < nt*kc*nr || len(c) < (mt*mr-1)*ldc+nt*nr {
		panic(fmt.Sprintf("kernels: internal error: macro-kernel kc=%d mt=%d nt=%d ldc=%d len(ap)=%d len(bp)=%d len(c)=%d",
			kc, mt, nt, ldc, len(ap), len(bp), len(c)))
	}
	acc := 0
	if accum {
		acc = 1
	}
	sgemmKernel6x16(&ap[0], &bp[0], &c[0], kc, mt, nt, ldc, alpha, beta, acc)
}

// packBTAVX2 packs op(B) = Bᵀ with the assembly 16×8 transpose for full
// panels and the Go version for the rest.
func packBTAVX2(dst, b []float32, ldb, p0, kb, j0, nb int) {
	k8 := kb &^ 7
	full := nb / nr
	if k8 == 0 || full == 0 {
		packBTGeneric(dst, b, ldb, p0, kb, j0, nb)
		return
	}
	for t := 0; t < full; t++ {
		d := dst[t*kb*nr : (t+1)*kb*nr]
		j := j0 + t*nr
		// Rows j..j+15 of b, columns p0..p0+k8-1.
		if len(b) < (j+nr-1)*ldb+p0+k8 {
			panic("kernels: internal error: packBT16 out of range")
		}
		packBT16(&d[0], &b[j*ldb+p0], ldb, k8)
		if k8 < kb { // remaining columns p
			for jj := 0; jj < nr; jj++ {
				src := b[(j+jj)*ldb+p0+k8 : (j+jj)*ldb+p0+kb]
				for p, v := range src {
					d[(k8+p)*nr+jj] = v
				}
			}
		}
	}
	if full*nr < nb {
		packBTGeneric(dst[full*kb*nr:], b, ldb, p0, kb, j0+full*nr, nb-full*nr)
	}
}
