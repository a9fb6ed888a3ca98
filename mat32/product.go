package mat32

import (
	"fmt"

	"github.com/gofma/gofma/kernels"
)

// Mul sets m = a·b; an empty m is allocated. m must share no element with a
// or b.
func (m *Dense) Mul(a, b Matrix) { m.mulAdd("Mul", 1, a, b, 0) }

// MulAdd sets m = alpha·a·b + beta·m, as SGEMM does: with beta = 0 the old
// m is not read. An empty m is allocated (then beta has nothing to scale).
// Transposed operands (Dense.T) go to SGEMM as flags, without a copy. m must
// share no element with a or b (views that interleave with them are fine).
func (m *Dense) MulAdd(alpha float32, a, b Matrix, beta float32) {
	m.mulAdd("MulAdd", alpha, a, b, beta)
}

func (m *Dense) mulAdd(op string, alpha float32, a, b Matrix, beta float32) {
	g := m.product(op, a, b)
	kernels.Sgemm(g.ta, g.tb, g.m, g.n, g.k, alpha, g.a.data, g.a.stride, g.b.data, g.b.stride, beta, m.data, m.stride)
}

// MulEpilogue sets m = act(a·b + bias) in one pass over m: SGEMM applies
// the bias and activation of ep to each block of m while it is in cache
// (kernels.SgemmEpilogue). A layer's forward pass sigmoid(W·X + b) is
// m.MulEpilogue(w, x, kernels.Epilogue{Bias: b, BiasPerRow: true, Act:
// kernels.ActSigmoid}). m must share no element with a, b or the bias.
func (m *Dense) MulEpilogue(a, b Matrix, ep kernels.Epilogue) {
	g := m.product("MulEpilogue", a, b)
	if sharesSlice(ep.Bias, m) {
		panic("mat32: MulEpilogue: the bias shares memory with the receiver")
	}
	kernels.SgemmEpilogue(g.ta, g.tb, g.m, g.n, g.k, 1, g.a.data, g.a.stride, g.b.data, g.b.stride, 0, m.data, m.stride, ep)
}

// operands of one product, as SGEMM takes them.
type operands struct {
	a, b    *Dense
	ta, tb  bool
	m, n, k int
}

// product checks a·b's shapes against m (allocating an empty m) and that m
// shares no element with a or b.
func (m *Dense) product(op string, a, b Matrix) operands {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ac != br {
		panic(fmt.Sprintf("mat32: %s: inner dimensions differ: %s · %s", op, shape(a), shape(b)))
	}
	m.reuseAs(ar, bc, op, a, b)
	g := operands{m: ar, n: bc, k: ac}
	g.a, g.ta = raw(a)
	g.b, g.tb = raw(b)
	if shares(m, g.a) || shares(m, g.b) {
		panic(fmt.Sprintf("mat32: %s: the receiver shares memory with an operand", op))
	}
	return g
}

// raw returns the Dense behind a Matrix and whether it is transposed.
func raw(x Matrix) (*Dense, bool) {
	switch x := x.(type) {
	case *Dense:
		return x, false
	case Transpose:
		return x.Dense, true
	}
	panic(fmt.Sprintf("mat32: operand of type %T: want *Dense or Transpose", x))
}
