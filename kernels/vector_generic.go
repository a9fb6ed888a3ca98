package kernels

import (
	"fmt"
	"math"
)

// The pure-Go twins of the vector kernels (see vecKernels for their
// contracts). The elementwise ones perform exactly the float32 operations of
// the assembly in the same order, so on amd64 the two agree bit for bit;
// the sums share the blocking but not the order of additions.

var genericVec = vecKernels{
	addRow:   addRowGeneric,
	addCol:   addColGeneric,
	colSums:  colSumsGeneric,
	rowSums:  rowSumsGeneric,
	axpy:     axpyGeneric,
	scale:    scaleGeneric,
	mul:      mulGeneric,
	count:    countGeneric,
	compress: compressGeneric,
}

// compressGeneric is the twin of compressKernel, on any length: each
// element is written to the place reached, which advances past the
// nonzeros only, without a branch on the data, while it is inside idx and
// vals; with a branch per element after that.
func compressGeneric(idx []int32, vals []float32, x []float32, first int32) int {
	p, room := 0, min(len(idx), len(vals))
	i := 0
	for ; i < len(x) && p < room; i++ {
		v := x[i]
		idx[p], vals[p] = first+int32(i), v
		p += int((math.Float32bits(v)&0x7fffffff + 0x7fffffff) >> 31)
	}
	for ; i < len(x); i++ {
		if v := x[i]; math.Float32bits(v)&0x7fffffff != 0 {
			if p >= room {
				panic(fmt.Sprintf("kernels: len(idx) = %d and len(vals) = %d hold fewer than x's nonzeros", len(idx), len(vals)))
			}
			idx[p], vals[p] = first+int32(i), v
			p++
		}
	}
	return p
}

// countGeneric is the twin of countNonzeroKernel, on any length: from each
// element's bits, with no branch on them, four counts at a time, in
// pieces of at most 2^30 elements (2^28 a count).
func countGeneric(x []float32) (nonzero, bad int) {
	bad = -1
	for lo := 0; lo < len(x); lo += 1 << 30 {
		c := x[lo:min(lo+1<<30, len(x))]
		var n0, n1, n2, n3, e uint32 // e: bit 31 set once an exponent is all ones
		i := 0
		for ; i+4 <= len(c); i += 4 {
			q := c[i : i+4 : i+4]
			b0, b1, b2, b3 := math.Float32bits(q[0]), math.Float32bits(q[1]), math.Float32bits(q[2]), math.Float32bits(q[3])
			n0 += (b0&0x7fffffff + 0x7fffffff) >> 31 // 1 unless ±0
			n1 += (b1&0x7fffffff + 0x7fffffff) >> 31
			n2 += (b2&0x7fffffff + 0x7fffffff) >> 31
			n3 += (b3&0x7fffffff + 0x7fffffff) >> 31
			e |= (b0&0x7f800000 + 0x00800000) | (b1&0x7f800000 + 0x00800000) | (b2&0x7f800000 + 0x00800000) | (b3&0x7f800000 + 0x00800000)
		}
		for _, v := range c[i:] {
			b := math.Float32bits(v)
			n0 += (b&0x7fffffff + 0x7fffffff) >> 31
			e |= b&0x7f800000 + 0x00800000
		}
		nonzero += int(n0) + int(n1) + int(n2) + int(n3)
		if e>>31 != 0 && bad < 0 {
			bad = lo + firstNonFinite(c)
		}
	}
	return nonzero, bad
}

// firstNonFinite returns the index of the first NaN or infinity in x, or -1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if !finite32(v) {
			return i
		}
	}
	return -1
}

func addRowGeneric(x []float32, rows, cols int, v []float32) {
	v = v[:cols]
	for i := 0; i < rows; i++ {
		r := x[i*cols : i*cols+cols]
		for j, b := range v {
			r[j] += b
		}
	}
}

func addColGeneric(x []float32, rows, cols int, v []float32) {
	v = v[:rows]
	for i, b := range v {
		r := x[i*cols : i*cols+cols]
		for j := range r {
			r[j] += b
		}
	}
}

func colSumsGeneric(dst, x []float32, rows, cols int) {
	colSumsWith(dst, x, rows, cols, colSumsBlockGeneric)
}

// colSumsBlockGeneric sets dst to the column sums of x (rows ≥ 1) as the
// assembly does: the rows in blocks of sumBlock, each block summed strip by
// strip of 8 columns (then column by column) and added into dst.
func colSumsBlockGeneric(dst, x []float32, rows, cols int) {
	dst = dst[:cols]
	clear(dst)
	for i0 := 0; i0 < rows; i0 += sumBlock {
		i1 := min(i0+sumBlock, rows)
		j := 0
		for ; j+8 <= cols; j += 8 {
			var s [8]float32
			for i := i0; i < i1; i++ {
				r := (*[8]float32)(x[i*cols+j:])
				for k := range s {
					s[k] += r[k]
				}
			}
			d := (*[8]float32)(dst[j:])
			for k := range s {
				d[k] += s[k]
			}
		}
		for ; j < cols; j++ {
			var s float32
			for i := i0; i < i1; i++ {
				s += x[i*cols+j]
			}
			dst[j] += s
		}
	}
}

// rowSumsGeneric sums each row in 8 interleaved partial sums, flushed into
// outer sums every sumBlock steps, then the last len%8 elements in order.
func rowSumsGeneric(dst, x []float32, rows, cols int) {
	dst = dst[:rows]
	for i := range dst {
		r := x[i*cols : i*cols+cols]
		var outer [8]float32
		j := 0
		for j+8 <= len(r) {
			var inner [8]float32
			for s := 0; s < sumBlock && j+8 <= len(r); s++ {
				c := r[j : j+8]
				inner[0] += c[0]
				inner[1] += c[1]
				inner[2] += c[2]
				inner[3] += c[3]
				inner[4] += c[4]
				inner[5] += c[5]
				inner[6] += c[6]
				inner[7] += c[7]
				j += 8
			}
			for k := range outer {
				outer[k] += inner[k]
			}
		}
		s := ((outer[0] + outer[4]) + (outer[2] + outer[6])) + ((outer[1] + outer[5]) + (outer[3] + outer[7]))
		var t float32
		for _, e := range r[j:] {
			t += e
		}
		dst[i] = s + t
	}
}

func axpyGeneric(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i, e := range x {
		y[i] += alpha * e
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func mulGeneric(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}
