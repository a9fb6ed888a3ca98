package kernels

// Transpose sets dst (cols×rows, leading dimension ldd) to the transpose of
// src (rows×cols, leading dimension lds): dst[j*ldd+i] = src[i*lds+j]. It
// panics naming the argument when a size or length is wrong; dst must not
// share memory with src.
func Transpose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	nonNegative("rows", rows)
	nonNegative("cols", cols)
	checkMatrix("src", rows, cols, src, lds)
	checkMatrix("dst", cols, rows, dst, ldd)
	if overlaps(dst, cols, rows, ldd, src, rows, cols, lds) {
		panic("kernels: Transpose: dst shares memory with src")
	}
	Default().transpose(dst, ldd, src, lds, rows, cols)
}

// transposeGeneric is Transpose without the checks, in Go
// (Impl.transpose): 4×4 blocks, each read as four rows of src and written
// as four rows of dst, then the edges.
func transposeGeneric(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	r4, c4 := rows&^3, cols&^3
	for i := 0; i < r4; i += 4 {
		for j := 0; j < c4; j += 4 {
			s0 := src[i*lds+j : i*lds+j+4]
			s1 := src[(i+1)*lds+j : (i+1)*lds+j+4]
			s2 := src[(i+2)*lds+j : (i+2)*lds+j+4]
			s3 := src[(i+3)*lds+j : (i+3)*lds+j+4]
			d0 := dst[j*ldd+i : j*ldd+i+4]
			d1 := dst[(j+1)*ldd+i : (j+1)*ldd+i+4]
			d2 := dst[(j+2)*ldd+i : (j+2)*ldd+i+4]
			d3 := dst[(j+3)*ldd+i : (j+3)*ldd+i+4]
			d0[0], d0[1], d0[2], d0[3] = s0[0], s1[0], s2[0], s3[0]
			d1[0], d1[1], d1[2], d1[3] = s0[1], s1[1], s2[1], s3[1]
			d2[0], d2[1], d2[2], d2[3] = s0[2], s1[2], s2[2], s3[2]
			d3[0], d3[1], d3[2], d3[3] = s0[3], s1[3], s2[3], s3[3]
		}
		for j := c4; j < cols; j++ {
			for a := i; a < i+4; a++ {
				dst[j*ldd+a] = src[a*lds+j]
			}
		}
	}
	for i := r4; i < rows; i++ {
		for j := range cols {
			dst[j*ldd+i] = src[i*lds+j]
		}
	}
}
