package mat32

import (
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/gofma/gofma/kernels"
)

// Fuzz targets for hostile geometry and overlapping views. CI runs each
// briefly: go test -run '^$' -fuzz '^FuzzX$' -fuzztime 20s ./mat32.

// bytesIn draws small numbers from fuzz input; past its end it draws zeros.
type bytesIn []byte

func (b *bytesIn) n(k int) int {
	if len(*b) == 0 {
		return 0
	}
	v := int((*b)[0]) % k
	*b = (*b)[1:]
	return v
}

// fuzzBuf is the length of FuzzOverlap's buffer; every view lies inside.
const fuzzBuf = 48

// draw returns a random rows×cols view spec inside the buffer, usually with
// a small stride, sometimes (one row) with a huge one.
func (b *bytesIn) draw(rows, cols int) spec {
	stride := cols + b.n(5)
	if rows == 1 && b.n(4) == 0 {
		stride = math.MaxInt - b.n(3)
	}
	extent := (rows-1)*stride + cols
	if rows == 1 {
		extent = cols
	}
	return spec{off: b.n(fuzzBuf - extent + 1), rows: rows, cols: cols, stride: stride}
}

// elems returns the buffer indices of v's elements.
func (v spec) elems() map[int]bool {
	s := map[int]bool{}
	for i := range v.rows {
		for j := range v.cols {
			s[v.idx(i, j)] = true
		}
	}
	return s
}

// meets reports, by listing elements, whether v and w share one.
func (v spec) meets(w spec) bool {
	we := w.elems()
	for e := range v.elems() {
		if we[e] {
			return true
		}
	}
	return false
}

// same reports whether v and w are one view.
func (v spec) same(w spec) bool {
	return v.off == w.off && v.rows == w.rows && v.cols == w.cols && (v.stride == w.stride || v.rows == 1)
}

// FuzzOverlap builds a receiver and operands as random views of one buffer
// (overlapping, interleaved, identical or apart) and checks every
// elementwise operation and product against a reference that reads all
// operands first. A call must either give that result and change nothing
// outside the receiver, or (as documented) panic, unchanged, on a receiver
// that shares an element with an operand.
func FuzzOverlap(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 3, 3, 0, 4, 0, 0, 0, 4}, // Copy, down a row
		{1, 3, 3, 0, 0, 4, 0, 1, 0},
		{2, 2, 2, 1, 0, 2, 0, 0, 0},
		{3, 3, 0, 2, 0, 0, 2, 0, 1, 2, 0, 2},
		{6, 2, 1, 2, 2, 0, 0, 4, 2, 0, 8, 2, 0, 30},
		{7, 2, 2, 1, 4, 0, 9, 1, 1, 2, 0, 5, 0, 3},
		{8, 1, 1, 1, 0, 0, 0, 0, 0, 2, 0, 0, 3},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytesIn(data)
		op := in.n(9)
		rows, cols, k := 1+in.n(4), 1+in.n(4), 1+in.n(4)
		buf := seq(fuzzBuf)
		before := append([]float32(nil), buf...)
		want := append([]float32(nil), buf...)
		m := in.draw(rows, cols)
		val := func(v spec, i, j int) float64 { return float64(before[v.idx(i, j)]) }
		var run func()
		var reject bool
		switch op {
		case 0, 1, 2: // Copy, Scale, Apply: any overlap is fine
			a := in.draw(rows, cols)
			fn := []func(i, j int, v float64) float64{
				func(_, _ int, v float64) float64 { return v },
				func(_, _ int, v float64) float64 { return -2 * v },
				func(i, j int, v float64) float64 { return float64(applyFn(i, j, float32(v))) },
			}[op]
			for i := range rows {
				for j := range cols {
					want[m.idx(i, j)] = float32(fn(i, j, val(a, i, j)))
				}
			}
			run = func() {
				md, ad := m.on(buf), a.on(buf)
				switch op {
				case 0:
					md.Copy(ad)
				case 1:
					md.Scale(-2, ad)
				default:
					md.Apply(applyFn, ad)
				}
			}
		case 3, 4, 5: // Add, Sub, MulElem: the receiver may be an operand
			a, b := in.draw(rows, cols), in.draw(rows, cols)
			if in.n(4) == 0 {
				a = m
			}
			if in.n(4) == 0 {
				b = m
			}
			fn := []func(x, y float64) float64{
				func(x, y float64) float64 { return x + y },
				func(x, y float64) float64 { return x - y },
				func(x, y float64) float64 { return x * y },
			}[op-3]
			for i := range rows {
				for j := range cols {
					want[m.idx(i, j)] = float32(fn(val(a, i, j), val(b, i, j)))
				}
			}
			reject = !m.same(a) && m.meets(a) || !m.same(b) && m.meets(b)
			run = func() {
				md, ad, bd := m.on(buf), a.on(buf), b.on(buf)
				[]func(){func() { md.Add(ad, bd) }, func() { md.Sub(ad, bd) }, func() { md.MulElem(ad, bd) }}[op-3]()
			}
		default: // Mul, MulAdd, MulEpilogue: no shared element at all
			ta, tb := in.n(2) == 1, in.n(2) == 1
			a, b := in.draw(rows, k), in.draw(k, cols)
			if ta {
				a = in.draw(k, rows)
			}
			if tb {
				b = in.draw(cols, k)
			}
			at := func(v spec, t bool, i, j int) float64 {
				if t {
					i, j = j, i
				}
				return val(v, i, j)
			}
			alpha, beta := 1.0, 0.0
			if op == 7 {
				alpha, beta = 0.5, 2
			}
			perRow := in.n(2) == 1
			nb := cols
			if perRow {
				nb = rows
			}
			bo := in.n(fuzzBuf - nb + 1)
			bias := spec{bo, 1, nb, nb}
			for i := range rows {
				for j := range cols {
					var s float64
					for q := range k {
						s += at(a, ta, i, q) * at(b, tb, q, j)
					}
					s = alpha*s + beta*val(m, i, j)
					if op == 8 {
						bi := j
						if perRow {
							bi = i
						}
						s += float64(before[bo+bi])
					}
					want[m.idx(i, j)] = float32(s)
				}
			}
			reject = m.meets(a) || m.meets(b) || op == 8 && m.meets(bias)
			run = func() {
				md := m.on(buf)
				var am, bm Matrix = a.on(buf), b.on(buf)
				if ta {
					am = am.T()
				}
				if tb {
					bm = bm.T()
				}
				switch op {
				case 6:
					md.Mul(am, bm)
				case 7:
					md.MulAdd(0.5, am, bm, 2)
				default:
					md.MulEpilogue(am, bm, kernels.Epilogue{Bias: buf[bo : bo+nb], BiasPerRow: perRow, Act: kernels.ActIdentity})
				}
			}
		}
		r := catch(run)
		if reject {
			if s, ok := r.(string); !ok || !strings.HasPrefix(s, "mat32: ") ||
				!(strings.Contains(s, "overlaps") || strings.Contains(s, "shares memory")) {
				t.Fatalf("op %d, receiver %v: panic %v, want a mat32 overlap panic", op, m, r)
			}
			want = before
		} else if r != nil {
			t.Fatalf("op %d, receiver %v: panic %v", op, m, r)
		}
		for i := range want {
			if buf[i] != want[i] {
				t.Fatalf("op %d, receiver %v: buf[%d] = %v, want %v\ngot  %v\nwant %v", op, m, i, buf[i], want[i], buf, want)
			}
		}
	})
}

// equalSlices reports whether x and y have equal elements (-0 == 0).
func equalSlices(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// catch runs f and returns what it panicked with, or nil.
func catch(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// isMat32Panic reports whether r is one of the package's own panics with
// the given prefix, not a runtime error.
func isMat32Panic(r any, prefix string) bool {
	if _, ok := r.(runtime.Error); ok {
		return false
	}
	s, ok := r.(string)
	return ok && strings.HasPrefix(s, prefix)
}

// bigSpan returns (rows-1)·stride + cols exactly.
func bigSpan(rows, cols, stride int) *big.Int {
	s := big.NewInt(int64(rows - 1))
	s.Mul(s, big.NewInt(int64(stride)))
	return s.Add(s, big.NewInt(int64(cols)))
}

// FuzzGeometry gives NewDenseGeneral any rows, cols and stride (huge ones
// included) over a short buffer, then At, Set, Row and Slice any indices:
// each must either reach exactly the element the geometry names or panic
// with the package's own message, never a runtime error.
func FuzzGeometry(f *testing.F) {
	f.Add(5, 1, 1<<62, uint16(1), 4, 0)
	f.Add(5, 2, 1<<62+1, uint16(6), 4, 1)
	f.Add(3, 1, math.MaxInt/2+1, uint16(1), 2, 0)
	f.Add(2, 2, math.MaxInt, uint16(4), 1, 1)
	f.Add(1, 3, math.MaxInt, uint16(3), 0, 2)
	f.Add(math.MaxInt, 1, 1, uint16(100), math.MaxInt-1, 0)
	f.Add(3, 4, 5, uint16(14), 2, 3)
	f.Add(3, 4, 5, uint16(13), -1, 3)
	f.Add(4, 1<<31, 1<<32, uint16(9), 1, 1<<30)
	f.Fuzz(func(t *testing.T, rows, cols, stride int, n uint16, i, j int) {
		data := make([]float32, n)
		g := blas32.General{Rows: rows, Cols: cols, Stride: stride, Data: data}
		valid := rows > 0 && cols > 0 && stride >= cols && bigSpan(rows, cols, stride).Cmp(big.NewInt(int64(n))) <= 0
		var m *Dense
		r := catch(func() { m = NewDenseGeneral(g) })
		if !valid {
			if !isMat32Panic(r, "mat32: NewDenseGeneral: ") {
				t.Fatalf("NewDenseGeneral(%d×%d, stride %d, len %d): panic %v, want a mat32 panic", rows, cols, stride, n, r)
			}
			return
		}
		if r != nil {
			t.Fatalf("NewDenseGeneral(%d×%d, stride %d, len %d): panic %v", rows, cols, stride, n, r)
		}
		if gr, gc := m.Dims(); gr != rows || gc != cols || m.Stride() != stride || m.RawMatrix().Rows != rows {
			t.Fatalf("Dims %d×%d, stride %d", gr, gc, m.Stride())
		}
		in := 0 <= i && i < rows && 0 <= j && j < cols
		if !in {
			for _, call := range []func(){
				func() { m.At(i, j) },
				func() { m.Set(i, j, 1) },
				func() { m.T().At(j, i) },
			} {
				if r := catch(call); !isMat32Panic(r, "mat32: index (") {
					t.Fatalf("(%d, %d) of %d×%d: panic %v, want a mat32 index panic", i, j, rows, cols, r)
				}
			}
			if 0 <= i && i < rows {
				return
			}
			if r := catch(func() { m.Row(i) }); !isMat32Panic(r, "mat32: row ") {
				t.Fatalf("Row(%d) of %d×%d: panic %v", i, rows, cols, r)
			}
			if r := catch(func() { m.Slice(i, i+1, 0, cols) }); !isMat32Panic(r, "mat32: Slice(") {
				t.Fatalf("Slice(%d, %d, 0, %d) of %d×%d: panic %v", i, i+1, cols, rows, cols, r)
			}
			return
		}
		// Set exactly element i·stride + j, and nothing else.
		at := i*stride + j // no overflow: bounded by the span, ≤ n
		m.Set(i, j, 7)
		for e, v := range data {
			if (v == 7) != (e == at) {
				t.Fatalf("Set(%d, %d) on %d×%d stride %d: data[%d] = %v, want only data[%d] set", i, j, rows, cols, stride, e, v, at)
			}
		}
		if m.At(i, j) != 7 || m.T().At(j, i) != 7 || m.Row(i)[j] != 7 || len(m.Row(i)) != cols {
			t.Fatalf("At, T().At or Row at (%d, %d) misses the element Set", i, j)
		}
		s := m.Slice(i, rows, j, cols)
		if s.At(0, 0) != 7 {
			t.Fatalf("Slice(%d, %d, %d, %d) does not start at the element", i, rows, j, cols)
		}
		back := NewDenseGeneral(s.RawMatrix())
		if back.At(0, 0) != 7 {
			t.Fatal("NewDenseGeneral(RawMatrix()) differs")
		}
	})
}

// FuzzBLAS calls the BLAS routines with fast paths (Saxpy, Sscal, Sger,
// Sgemv) with any sizes, increments and leading dimensions, huge ones
// included, on short slices: each call must either panic with a blas or
// mat32 message exactly when a slice is too short for what it describes (or
// an argument is invalid), or give the naive result.
func FuzzBLAS(f *testing.F) {
	f.Add(uint8(0), 5, 1, 1, 1, 1, uint8(5), uint8(5), uint8(0), int8(2), int8(0), false)
	f.Add(uint8(0), 3, 1, -2, 3, 1, uint8(5), uint8(7), uint8(0), int8(1), int8(0), false)
	f.Add(uint8(0), 5, 1, 1<<62, 1<<62, 1, uint8(1), uint8(1), uint8(0), int8(1), int8(0), false)
	f.Add(uint8(1), 4, 1, 2, 1, 1, uint8(7), uint8(0), uint8(0), int8(-2), int8(0), false)
	f.Add(uint8(1), 5, 1, 1<<62, 1, 1, uint8(1), uint8(0), uint8(0), int8(3), int8(0), false)
	f.Add(uint8(2), 3, 4, 1, 1, 5, uint8(3), uint8(4), uint8(14), int8(1), int8(0), false)
	f.Add(uint8(2), 5, 1, 1, 1, 1<<62, uint8(5), uint8(1), uint8(1), int8(1), int8(0), false)
	f.Add(uint8(2), 3, 2, -1, 2, 3, uint8(3), uint8(3), uint8(8), int8(2), int8(0), false)
	f.Add(uint8(3), 3, 4, 1, 1, 4, uint8(3), uint8(4), uint8(12), int8(1), int8(2), true)
	f.Add(uint8(3), 3, 4, 1, -1, 4, uint8(4), uint8(3), uint8(12), int8(1), int8(0), false)
	f.Add(uint8(3), 2, 3, 2, 1, 3, uint8(4), uint8(5), uint8(6), int8(1), int8(0), true)
	f.Add(uint8(3), 5, 1, 1, math.MinInt, 1<<62, uint8(5), uint8(1), uint8(1), int8(1), int8(1), true)
	f.Fuzz(func(t *testing.T, routine uint8, m, n, incX, incY, lda int, lx, ly, la uint8, alpha8, beta8 int8, trans bool) {
		ramp := func(l uint8, from int) []float32 {
			s := make([]float32, l%40)
			for i := range s {
				s[i] = float32((from+i)%7 - 3)
			}
			return s
		}
		x, y, a := ramp(lx, 1), ramp(ly, 2), ramp(la, 3)
		alpha, beta := float32(alpha8%4), float32(beta8%4)
		wantY, wantA := append([]float32(nil), y...), append([]float32(nil), a...)
		// holds reports whether s holds k elements |inc| apart.
		holds := func(s []float32, k, inc int) bool {
			if k <= 0 {
				return true
			}
			span := new(big.Int).Abs(big.NewInt(int64(inc)))
			span.Mul(span, big.NewInt(int64(k-1))).Add(span, big.NewInt(1))
			return span.Cmp(big.NewInt(int64(len(s)))) <= 0
		}
		// at returns the index of element i of k with increment inc.
		at := func(i, k, inc int) int {
			if inc < 0 {
				return (k - 1 - i) * -inc
			}
			return i * inc
		}
		var call func()
		var valid bool
		impl := BLAS{}
		switch routine % 4 {
		case 0:
			call = func() { impl.Saxpy(m, alpha, x, incX, y, incY) }
			valid = incX != 0 && incY != 0 && m >= 0 && holds(x, m, incX) && holds(y, m, incY)
			if valid && alpha != 0 {
				for i := range m {
					wantY[at(i, m, incY)] += alpha * x[at(i, m, incX)]
				}
			}
		case 1:
			call = func() { impl.Sscal(m, alpha, x, incX) }
			valid = incX < 0 || incX > 0 && m >= 0 && holds(x, m, incX)
			y, wantY = x, append([]float32(nil), x...)
			if valid && incX > 0 {
				for i := range m {
					wantY[i*incX] *= alpha
				}
			}
		case 2:
			call = func() { impl.Sger(m, n, alpha, x, incX, y, incY, a, lda) }
			valid = m >= 0 && n >= 0 && lda >= max(1, n) && incX != 0 && incY != 0 &&
				(m == 0 || n == 0 || holds(x, m, incX) && holds(y, n, incY) && bigSpan(m, n, lda).Cmp(big.NewInt(int64(len(a)))) <= 0)
			if valid && alpha != 0 {
				for i := range m {
					for j := range n {
						wantA[i*lda+j] += alpha * x[at(i, m, incX)] * y[at(j, n, incY)]
					}
				}
			}
		default:
			tA, lenX, lenY := blas.NoTrans, n, m
			if trans {
				tA, lenX, lenY = blas.Trans, m, n
			}
			call = func() { impl.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY) }
			valid = m >= 0 && n >= 0 && lda >= max(1, n) && incX != 0 && incY != 0 &&
				(m == 0 || n == 0 || holds(x, lenX, incX) && holds(y, lenY, incY) && bigSpan(m, n, lda).Cmp(big.NewInt(int64(len(a)))) <= 0)
			if valid && m > 0 && n > 0 {
				for r := range lenY {
					var s float32
					for q := range lenX {
						e := r*lda + q
						if trans {
							e = q*lda + r
						}
						s += a[e] * x[at(q, lenX, incX)]
					}
					wantY[at(r, lenY, incY)] = beta*y[at(r, lenY, incY)] + alpha*s
				}
			}
		}
		r := catch(call)
		if !valid {
			if !isMat32Panic(r, "mat32: BLAS.") && !isMat32Panic(r, "blas: ") {
				t.Fatalf("routine %d, m=%d n=%d incX=%d incY=%d lda=%d len=%d,%d,%d: panic %v, want a blas or mat32 panic",
					routine%4, m, n, incX, incY, lda, len(x), len(y), len(a), r)
			}
			return
		}
		if r != nil {
			t.Fatalf("routine %d, m=%d n=%d incX=%d incY=%d lda=%d len=%d,%d,%d: panic %v", routine%4, m, n, incX, incY, lda, len(x), len(y), len(a), r)
		}
		if !equalSlices(y, wantY) || !equalSlices(a, wantA) {
			t.Fatalf("routine %d, m=%d n=%d incX=%d incY=%d lda=%d alpha=%v beta=%v:\ny %v, want %v\na %v, want %v",
				routine%4, m, n, incX, incY, lda, alpha, beta, y, wantY, a, wantA)
		}
	})
}
