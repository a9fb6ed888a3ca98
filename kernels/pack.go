package kernels

// packA packs rows [i0, i0+mb) and columns [p0, p0+kb) of op(A) into mr-row
// micro-panels: dst[t*kb*mr + p*mr + r] = op(A)[i0+t*mr+r][p0+p].
func (g *gemm) packA(dst []float32, i0, mb, p0, kb int) {
	trans, packN, packT := g.im.packers('A', g.transA)
	packPanels(dst, g.a, g.lda, trans, i0, mb, p0, kb, mr, packN, packT)
}

// packB packs rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) into
// nr-column micro-panels: dst[t*kb*nr + p*nr + j] = op(B)[p0+p][j0+t*nr+j].
func (g *gemm) packB(dst []float32, p0, kb, j0, nb int) {
	trans, packN, packT := g.im.packers('B', g.transB)
	packPanels(dst, g.b, g.ldb, trans, j0, nb, p0, kb, nr, packN, packT)
}

// packers returns how im packs op(A) (side 'A') or op(B) (side 'B') with
// the transpose flag trans: packPanels' trans and its packers of full
// panels of either layout. The nr-column panels of op(B) are the panels of
// op(B)ᵀ, whose rows are B's rows when transB and its columns otherwise.
func (im *Impl) packers(side byte, trans bool) (panelTrans bool, packN, packT func(dst, src []float32, ld, kc, n int)) {
	if side == 'A' {
		return trans, im.packAN, im.packAT
	}
	return !trans, im.packBT, im.packBN
}

// packPanels packs rows [i0, i0+rows) and columns [p0, p0+kb) of the matrix
// M[i][p] = x[i*ld+p] (x[p*ld+i] when trans) into w-row micro-panels,
// dst[t*kb*w + p*w + r] = M[i0+t*w+r][p0+p], with the rows past the end of
// the last panel zero. packN and packT pack full panels of either layout.
func packPanels(dst, x []float32, ld int, trans bool, i0, rows, p0, kb, w int, packN, packT func(dst, src []float32, ld, kc, n int)) {
	full := rows / w
	if full > 0 {
		if trans {
			packT(dst, x[p0*ld+i0:], ld, kb, full)
		} else {
			packN(dst, x[i0*ld+p0:], ld, kb, full)
		}
	}
	if edge := rows - full*w; edge > 0 {
		d := dst[full*kb*w : (full+1)*kb*w]
		clear(d)
		i := i0 + full*w
		for r := 0; r < edge; r++ {
			for p := 0; p < kb; p++ {
				if trans {
					d[p*w+r] = x[(p0+p)*ld+i+r]
				} else {
					d[p*w+r] = x[(i+r)*ld+p0+p]
				}
			}
		}
	}
}
