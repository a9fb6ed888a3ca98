package mat32

import "unsafe"

// Overlap between views of one buffer. A Dense's elements are its rows:
// rows runs of cols elements, stride apart. Two views may share memory
// without sharing an element (alternate columns, rows that fall between
// each other's rows); the tests here are exact, so only views that really
// share an element are treated as overlapping. Each costs O(1) when the
// views' spans are disjoint or their strides equal, O(rows) otherwise.

// offset returns the distance in elements from a's first element to b's,
// and whether their spans (first element to last) intersect; when they do
// not, a and b share no element. Spans that intersect lie in one array, so
// the distance is then a whole number of elements.
func offset(a, b *Dense) (d int, ok bool) {
	if !overlaps(a.data, b.data) {
		return 0, false
	}
	const size = unsafe.Sizeof(float32(0))
	a0 := uintptr(unsafe.Pointer(unsafe.SliceData(a.data)))
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(b.data)))
	return int(b0-a0) / int(size), true
}

// Shares reports whether m and b have an element in common. It is exact:
// views of one buffer that only interleave (alternate columns, rows that
// fall between each other's rows) share none.
func (m *Dense) Shares(b *Dense) bool { return shares(m, b) }

// shares reports whether a and b have an element in common.
func shares(a, b *Dense) bool {
	d, ok := offset(a, b)
	if !ok {
		return false
	}
	if d < 0 {
		a, b, d = b, a, -d
	}
	// b starts d ≥ 0 elements after a.
	if s := a.stride; s == b.stride {
		// b's row k starts at column r of a's row q+k and, as r < s and
		// b.cols ≤ s, ends before a's row q+k+2: k = 0 meets a row of a
		// if any does.
		q, r := d/s, d%s
		return q < a.rows && r < a.cols || q+1 < a.rows && r+b.cols > s
	}
	if a.rows <= b.rows {
		for i := range a.rows {
			if meetsRow(b, d, i*a.stride, a.cols) {
				return true
			}
		}
		return false
	}
	for k := range b.rows {
		if meetsRow(a, 0, d+k*b.stride, b.cols) {
			return true
		}
	}
	return false
}

// meetsRow reports whether the n elements from position lo share an element
// with m, whose first element is at position m0.
func meetsRow(m *Dense, m0, lo, n int) bool {
	k := 0 // m's first row that ends after lo
	if e := lo - m0 - m.cols; e >= 0 {
		k = e/m.stride + 1
	}
	return k < m.rows && m0+k*m.stride < lo+n
}

// sharesSlice reports whether s has an element in common with m.
func sharesSlice(s []float32, m *Dense) bool {
	return len(s) > 0 && shares(&Dense{rows: 1, cols: len(s), stride: len(s), data: s}, m)
}

// identical reports whether a and b are one view: each element (i, j) of a
// is element (i, j) of b.
func identical(a, b *Dense) bool {
	return a.rows == b.rows && a.cols == b.cols && same(a.data, b.data) &&
		(a.stride == b.stride || a.rows == 1)
}

// source returns how m = f(a), elementwise, can run as if a were read
// before m is written: from a itself, element by element in reverse order
// when backward is set (m starts after a, with a's stride), or from a copy
// of a when the two share elements at different strides.
func (m *Dense) source(a *Dense) (src *Dense, backward bool) {
	d, ok := offset(a, m)
	switch {
	case !ok:
		return a, false
	case m.stride == a.stride || m.rows == 1:
		// In reverse order, every element of a not yet read lies before
		// the element being written (and in forward order, after it).
		return a, d > 0
	case shares(m, a):
		return a.Clone(), false
	}
	return a, false
}
