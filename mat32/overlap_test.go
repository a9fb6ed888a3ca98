package mat32

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/gofma/gofma/kernels"
)

// Views of one buffer that overlap, interleave or coincide: every accepted
// call must give what it would if its operands were read before the
// receiver is written, and touch nothing but the receiver; every rejected
// one must be a real shared element.

// spec is a view of a buffer: rows×cols from element off, rows stride apart.
type spec struct{ off, rows, cols, stride int }

func (v spec) on(buf []float32) *Dense {
	return NewDenseGeneral(blas32.General{Rows: v.rows, Cols: v.cols, Stride: v.stride, Data: buf[v.off:]})
}

// idx returns the buffer index of element (i, j).
func (v spec) idx(i, j int) int { return v.off + i*v.stride + j }

func (v spec) String() string { return fmt.Sprintf("%d×%d@%d/%d", v.rows, v.cols, v.off, v.stride) }

// seq returns 1, 2, …, n.
func seq(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i + 1)
	}
	return s
}

// checkBuf fails unless buf equals want element for element.
func checkBuf(t *testing.T, buf, want []float32) {
	t.Helper()
	for i := range want {
		if buf[i] != want[i] {
			t.Fatalf("buf[%d] = %v, want %v\ngot  %v\nwant %v", i, buf[i], want[i], buf, want)
		}
	}
}

// noPanic runs f and fails the test, rather than the whole run, when it
// panics.
func noPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	f()
}

func applyFn(i, j int, v float32) float32 { return 2*v + float32(3*i-j) }

func TestUnaryOverlap(t *testing.T) {
	ops := []struct {
		name string
		run  func(m, a *Dense)
		f    func(i, j int, v float32) float32
	}{
		{"Copy", func(m, a *Dense) { m.Copy(a) }, func(_, _ int, v float32) float32 { return v }},
		{"Scale", func(m, a *Dense) { m.Scale(-2, a) }, func(_, _ int, v float32) float32 { return -2 * v }},
		{"Apply", func(m, a *Dense) { m.Apply(applyFn, a) }, applyFn},
	}
	views := []struct {
		name string
		m, a spec
	}{
		{"down a row", spec{4, 4, 4, 4}, spec{0, 4, 4, 4}},
		{"up a row", spec{0, 4, 4, 4}, spec{4, 4, 4, 4}},
		{"right", spec{1, 5, 3, 4}, spec{0, 5, 3, 4}},
		{"left", spec{0, 5, 3, 4}, spec{1, 5, 3, 4}},
		{"down and right", spec{5, 4, 3, 4}, spec{0, 4, 3, 4}},
		{"up and left", spec{0, 4, 3, 4}, spec{5, 4, 3, 4}},
		{"down in a longer stride", spec{1, 3, 3, 5}, spec{0, 3, 3, 4}},
		{"up in a shorter stride", spec{0, 3, 3, 4}, spec{1, 3, 3, 5}},
		{"one row, strides differ", spec{2, 1, 5, 5}, spec{0, 1, 5, 9}},
		{"columns interleave", spec{0, 4, 2, 4}, spec{2, 4, 2, 4}},
		{"itself", spec{0, 5, 4, 4}, spec{0, 5, 4, 4}},
	}
	for _, op := range ops {
		for _, v := range views {
			t.Run(op.name+"/"+v.name, func(t *testing.T) {
				buf := seq(24)
				want := append([]float32(nil), buf...)
				for i := 0; i < v.m.rows; i++ {
					for j := 0; j < v.m.cols; j++ {
						want[v.m.idx(i, j)] = op.f(i, j, buf[v.a.idx(i, j)])
					}
				}
				noPanic(t, func() { op.run(v.m.on(buf), v.a.on(buf)) })
				checkBuf(t, buf, want)
			})
		}
	}
}

func TestBinaryOverlap(t *testing.T) {
	ops := []struct {
		name string
		run  func(m, a, b *Dense)
		f    func(x, y float32) float32
	}{
		{"Add", func(m, a, b *Dense) { m.Add(a, b) }, func(x, y float32) float32 { return x + y }},
		{"Sub", func(m, a, b *Dense) { m.Sub(a, b) }, func(x, y float32) float32 { return x - y }},
		{"MulElem", func(m, a, b *Dense) { m.MulElem(a, b) }, func(x, y float32) float32 { return x * y }},
	}
	accepted := []struct {
		name    string
		m, a, b spec
	}{
		{"columns interleave", spec{0, 4, 1, 3}, spec{1, 4, 1, 3}, spec{2, 4, 1, 3}},
		{"row spans interleave", spec{2, 2, 2, 4}, spec{4, 2, 2, 4}, spec{0, 2, 2, 4}},
		{"receiver is a, b interleaves", spec{0, 4, 1, 3}, spec{0, 4, 1, 3}, spec{1, 4, 1, 3}},
		{"receiver is b, a interleaves", spec{1, 4, 2, 4}, spec{3, 4, 2, 4}, spec{1, 4, 2, 4}},
		{"receiver is a and b", spec{0, 3, 3, 4}, spec{0, 3, 3, 4}, spec{0, 3, 3, 4}},
		{"receiver is a, one row, strides differ", spec{0, 1, 3, 5}, spec{0, 1, 3, 7}, spec{4, 1, 3, 3}},
	}
	rejected := []struct {
		name    string
		m, a, b spec
	}{
		{"shifted a column", spec{0, 2, 2, 4}, spec{1, 2, 2, 4}, spec{12, 2, 2, 4}},
		{"receiver is a, b shifted a row", spec{0, 2, 2, 4}, spec{0, 2, 2, 4}, spec{4, 2, 2, 4}},
		{"strides differ, one element shared", spec{0, 3, 1, 5}, spec{10, 3, 1, 2}, spec{20, 3, 1, 1}},
	}
	for _, op := range ops {
		for _, v := range accepted {
			t.Run(op.name+"/"+v.name, func(t *testing.T) {
				buf := seq(24)
				want := append([]float32(nil), buf...)
				for i := 0; i < v.m.rows; i++ {
					for j := 0; j < v.m.cols; j++ {
						want[v.m.idx(i, j)] = op.f(buf[v.a.idx(i, j)], buf[v.b.idx(i, j)])
					}
				}
				noPanic(t, func() { op.run(v.m.on(buf), v.a.on(buf), v.b.on(buf)) })
				checkBuf(t, buf, want)
			})
		}
		for _, v := range rejected {
			t.Run(op.name+"/"+v.name, func(t *testing.T) {
				buf := seq(24)
				want := append([]float32(nil), buf...)
				mustPanicMat32(t, "mat32: "+op.name+": the receiver partly overlaps an operand", func() {
					op.run(v.m.on(buf), v.a.on(buf), v.b.on(buf))
				})
				checkBuf(t, buf, want)
			})
		}
	}
}

func TestProductOverlap(t *testing.T) {
	type view struct {
		s spec
		t bool // transposed
	}
	accepted := []struct {
		name    string
		m       spec
		a, b    view
		alpha   float32
		beta    float32
		muladd  bool
		epiBias bool
	}{
		{name: "columns interleave", m: spec{0, 3, 2, 4}, a: view{s: spec{2, 3, 2, 4}}, b: view{s: spec{12, 2, 2, 2}}},
		{name: "transposed operand interleaves", m: spec{0, 2, 2, 4}, a: view{spec{2, 2, 2, 4}, true}, b: view{s: spec{16, 2, 2, 2}}},
		{name: "both operands interleave", m: spec{1, 2, 1, 3}, a: view{s: spec{0, 2, 1, 3}}, b: view{spec{2, 1, 1, 3}, true}},
		{name: "row spans interleave", m: spec{2, 2, 2, 4}, a: view{s: spec{4, 2, 2, 4}}, b: view{s: spec{0, 2, 2, 4}}},
		{name: "MulAdd, columns interleave", m: spec{0, 3, 2, 4}, a: view{s: spec{2, 3, 2, 4}}, b: view{s: spec{12, 2, 2, 2}},
			alpha: 0.5, beta: 2, muladd: true},
		{name: "MulEpilogue, bias between rows", m: spec{0, 2, 2, 4}, a: view{s: spec{8, 2, 2, 4}}, b: view{s: spec{16, 2, 2, 2}},
			epiBias: true},
	}
	for _, v := range accepted {
		t.Run(v.name, func(t *testing.T) {
			buf := seq(24)
			want := append([]float32(nil), buf...)
			at := func(x view, i, j int) float64 {
				if x.t {
					i, j = j, i
				}
				return float64(buf[x.s.idx(i, j)])
			}
			alpha, beta := 1.0, 0.0
			if v.muladd {
				alpha, beta = float64(v.alpha), float64(v.beta)
			}
			k := v.a.s.cols
			if v.a.t {
				k = v.a.s.rows
			}
			bias := buf[2:4] // between the receiver's rows
			for i := 0; i < v.m.rows; i++ {
				for j := 0; j < v.m.cols; j++ {
					var s float64
					for q := 0; q < k; q++ {
						s += at(v.a, i, q) * at(v.b, q, j)
					}
					s = alpha*s + beta*float64(buf[v.m.idx(i, j)])
					if v.epiBias {
						s = math.Max(0, s+float64(bias[j]))
					}
					want[v.m.idx(i, j)] = float32(s)
				}
			}
			operand := func(x view) Matrix {
				if x.t {
					return x.s.on(buf).T()
				}
				return x.s.on(buf)
			}
			m, a, b := v.m.on(buf), operand(v.a), operand(v.b)
			noPanic(t, func() {
				switch {
				case v.muladd:
					m.MulAdd(v.alpha, a, b, v.beta)
				case v.epiBias:
					m.MulEpilogue(a, b, kernels.Epilogue{Bias: bias, Act: kernels.ActReLU})
				default:
					m.Mul(a, b)
				}
			})
			checkBuf(t, buf, want)
		})
	}
	rejected := []struct {
		name    string
		m, a, b spec
	}{
		{"shifted a column", spec{0, 2, 2, 4}, spec{1, 2, 2, 4}, spec{16, 2, 2, 2}},
		{"b shares one element", spec{0, 2, 2, 4}, spec{12, 2, 2, 2}, spec{5, 2, 2, 9}},
	}
	for _, v := range rejected {
		t.Run(v.name, func(t *testing.T) {
			buf := seq(24)
			want := append([]float32(nil), buf...)
			mustPanicMat32(t, "mat32: Mul: the receiver shares memory with an operand", func() {
				v.m.on(buf).Mul(v.a.on(buf), v.b.on(buf))
			})
			checkBuf(t, buf, want)
		})
	}
}

// Vectors that alias a matrix: the sums' dst and an epilogue's bias.
func TestVectorOverlap(t *testing.T) {
	buf := seq(24)
	a := spec{0, 3, 3, 4}.on(buf)
	mustPanicMat32(t, "mat32: ColSums: dst shares memory with a", func() { ColSums(a.Row(0), a) })
	mustPanicMat32(t, "mat32: RowSums: dst shares memory with a", func() { RowSums(buf[6:9], a) })
	c := NewDense(2, 2, seq(4))
	mustPanicMat32(t, "mat32: MulEpilogue: the bias shares memory with the receiver", func() {
		c.MulEpilogue(NewDense(2, 2, nil), NewDense(2, 2, nil), kernels.Epilogue{Bias: c.Row(1)})
	})
	// Interleaved without sharing: dst in the gaps between a's rows.
	buf = seq(24)
	if s := ColSums(buf[3:4], spec{0, 3, 1, 4}.on(buf)); s[0] != 1+5+9 {
		t.Errorf("ColSums into a gap: %v", s)
	}
	if s := RowSums(buf[2:4], spec{0, 2, 2, 4}.on(buf)); s[0] != 1+2 || s[1] != 5+6 {
		t.Errorf("RowSums into a gap: %v", s)
	}
}
