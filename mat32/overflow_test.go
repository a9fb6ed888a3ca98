package mat32

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Hostile geometry: strides and increments whose offsets wrap around int.
// With 1<<62, row 4 (or element 4) lands at 4<<62 ≡ 0, the first element:
// without overflow-safe checks the call succeeds on the wrong elements.

const wrap = 1 << 62

// mustPanicMat32 fails unless f panics with a string that contains want (a
// runtime error, such as an index out of range, does not count).
func mustPanicMat32(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if _, ok := r.(runtime.Error); ok {
			t.Errorf("runtime panic %v, want a mat32 panic containing %q", r, want)
			return
		}
		if s, ok := r.(string); !ok {
			t.Errorf("panic %v, want one containing %q", r, want)
		} else if !strings.Contains(s, want) {
			t.Errorf("panic %q, want one containing %q", s, want)
		}
	}()
	f()
}

func TestNewDenseGeneralStrideWraps(t *testing.T) {
	for _, g := range []blas32.General{
		{Rows: 5, Cols: 1, Stride: wrap, Data: make([]float32, 1)},                 // (5-1)·2⁶² ≡ 0
		{Rows: 5, Cols: 2, Stride: wrap + 1, Data: make([]float32, 6)},             // ≡ 4
		{Rows: 3, Cols: 1, Stride: math.MaxInt/2 + 1, Data: make([]float32, 1)},    // negative
		{Rows: 2, Cols: 2, Stride: math.MaxInt, Data: make([]float32, 1)},          // +Cols overflows
		{Rows: math.MaxInt, Cols: math.MaxInt, Stride: math.MaxInt, Data: nil},     // everything
		{Rows: 1 << 32, Cols: 1 << 31, Stride: 1 << 32, Data: make([]float32, 16)}, // rows·stride
	} {
		t.Run(fmt.Sprintf("%d×%d/stride=%d", g.Rows, g.Cols, g.Stride), func(t *testing.T) {
			mustPanicMat32(t, "mat32: NewDenseGeneral: stride", func() {
				m := NewDenseGeneral(g)
				m.Set(g.Rows-1, 0, 7) // before the fix: reaches Data[0] or beyond
			})
			if g.Data != nil && g.Data[0] != 0 {
				t.Errorf("Set(%d, 0) wrote Data[0]", g.Rows-1)
			}
		})
	}
	// The largest stride that does not overflow is still accepted.
	m := NewDenseGeneral(blas32.General{Rows: 1, Cols: 2, Stride: math.MaxInt, Data: make([]float32, 2)})
	m.Set(0, 1, 3)
	if m.At(0, 1) != 3 {
		t.Error("a one-row matrix with stride MaxInt")
	}
}

// The BLAS routines with fast paths, and their strided fallbacks to gonum,
// whose own length checks wrap the same way. Each case's out must be left
// as it was: before the fix, element 0 of an operand is read (or out[0]
// updated) several times instead.
func TestBLASStrideWraps(t *testing.T) {
	var impl BLAS
	ones := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 1
		}
		return s
	}
	cases := []struct {
		name, want string
		outLen     int
		run        func(out []float32)
	}{
		{"Sger/lda", "mat32: BLAS.Sger: lda", 1, func(out []float32) {
			impl.Sger(5, 1, 1, []float32{1, 0, 0, 0, 1}, 1, []float32{1}, 1, out, wrap)
		}},
		{"Sger/incX", "mat32: BLAS.Sger: incX", 5, func(out []float32) {
			impl.Sger(5, 1, 1, []float32{1}, wrap, []float32{1}, 1, out, 1)
		}},
		{"Sgemv/Trans/lda", "mat32: BLAS.Sgemv: lda", 1, func(out []float32) {
			impl.Sgemv(blas.Trans, 5, 1, 1, ones(1), wrap, []float32{1, 0, 0, 0, 1}, 1, 1, out, 1)
		}},
		{"Sgemv/NoTrans/lda", "mat32: BLAS.Sgemv: lda", 5, func(out []float32) {
			impl.Sgemv(blas.NoTrans, 5, 1, 1, ones(1), wrap, []float32{1}, 1, 1, out, 1)
		}},
		{"Sgemv/NoTrans/incY", "mat32: BLAS.Sgemv: incY", 1, func(out []float32) {
			impl.Sgemv(blas.NoTrans, 5, 1, 1, ones(5), 1, []float32{1}, 1, 1, out, math.MinInt)
		}},
		{"Saxpy/incY", "mat32: BLAS.Saxpy: incY", 1, func(out []float32) {
			impl.Saxpy(5, 1, ones(5), 1, out, -wrap)
		}},
		{"Saxpy/incX", "mat32: BLAS.Saxpy: incX", 1, func(out []float32) {
			impl.Saxpy(5, 1, ones(1), wrap, out, wrap)
		}},
		{"Sscal/incX", "mat32: BLAS.Sscal: incX", 1, func(out []float32) {
			impl.Sscal(5, 2, out, wrap)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := ones(c.outLen)
			mustPanicMat32(t, c.want, func() { c.run(out) })
			for i, v := range out {
				if v != 1 {
					t.Errorf("out[%d] = %v: written before the panic", i, v)
				}
			}
		})
	}
	// Sgemm runs on kernels.Sgemm, whose checks already hold.
	t.Run("Sgemm/lda", func(t *testing.T) {
		defer func() {
			if r := recover(); !isMat32Panic(r, "kernels: lda = 4611686018427387904") {
				t.Errorf("panic %v, want kernels' panic about lda", r)
			}
		}()
		impl.Sgemm(blas.NoTrans, blas.NoTrans, 5, 1, 1, 1, []float32{1}, wrap, []float32{1}, 1, 0, make([]float32, 5), 1)
	})
}
