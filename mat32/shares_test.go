package mat32

import (
	"math"
	"testing"
)

// TestSharesExhaustive checks shares and identical against listing the
// elements, for every pair of small views of one buffer (one-row views also
// with a huge stride), and shares for views of different buffers.
func TestSharesExhaustive(t *testing.T) {
	const n = 16
	buf := make([]float32, n)
	var specs []spec
	for rows := 1; rows <= 3; rows++ {
		for cols := 1; cols <= 3; cols++ {
			strides := []int{cols, cols + 1, cols + 2, cols + 5}
			if rows == 1 {
				strides = append(strides, math.MaxInt)
			}
			for _, s := range strides {
				extent := cols
				if rows > 1 {
					extent = (rows-1)*s + cols
				}
				for off := 0; off+extent <= n; off++ {
					specs = append(specs, spec{off, rows, cols, s})
				}
			}
		}
	}
	for _, v := range specs {
		vd := v.on(buf)
		for _, w := range specs {
			wd := w.on(buf)
			if got, want := shares(vd, wd), v.meets(w); got != want {
				t.Fatalf("shares(%v, %v) = %t, want %t", v, w, got, want)
			}
			if got, want := identical(vd, wd), v.same(w); got != want {
				t.Fatalf("identical(%v, %v) = %t, want %t", v, w, got, want)
			}
		}
		if shares(vd, v.on(make([]float32, n))) {
			t.Fatalf("%v shares an element with a view of another buffer", v)
		}
	}
	if sharesSlice(nil, NewDense(1, 1, nil)) || !sharesSlice(buf[3:4], spec{0, 2, 1, 3}.on(buf)) || sharesSlice(buf[4:6], spec{0, 3, 1, 3}.on(buf)) {
		t.Error("sharesSlice")
	}
}
