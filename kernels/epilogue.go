package kernels

import "fmt"

// Activation is the function a fused GEMM epilogue applies to C.
type Activation int

// The activations of a fused epilogue. Their values are the codes the
// macro-kernels take (zconst.go).
const (
	ActIdentity Activation = actIdentity // f(x) = x
	ActSigmoid  Activation = actSigmoid  // f(x) = 1/(1+e^−x), as Sigmoid
	ActTanh     Activation = actTanh     // f(x) = tanh x, as Tanh
	ActReLU     Activation = actReLU     // f(x) = max(x, 0), as ReLU
)

// String returns the activation's name: identity, sigmoid, tanh or relu.
func (a Activation) String() string {
	switch a {
	case ActIdentity:
		return "identity"
	case ActSigmoid:
		return "sigmoid"
	case ActTanh:
		return "tanh"
	case ActReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Epilogue is what SgemmEpilogue applies to each finished part of C before
// it leaves the cache: a bias, then an activation.
type Epilogue struct {
	// Bias is added to C before the activation; nil adds nothing. With
	// BiasPerRow it has one element per row of C (m), else one per column (n).
	// It may share memory with C: it is then copied first.
	Bias       []float32
	BiasPerRow bool       // Bias has one element per row of C, not per column
	Act        Activation // applied after the bias
}

// SgemmEpilogue computes C = act(alpha*op(A)*op(B) + beta*C + bias) with the
// arguments and semantics of Sgemm. The macro-kernels apply ep to each tile
// of C while it is still in registers, after its last K block (edge tiles
// right after, while in cache), so a forward layer sigmoid(W·X + b) is one
// pass over C, not three.
func SgemmEpilogue(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	current.Load().SgemmEpilogue(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
}

// SgemmEpilogue is the package-level SgemmEpilogue on this implementation.
func (im *Impl) SgemmEpilogue(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	im.product(transA, transB, m, n, k, alpha, a, lda, nil, b, ldb, nil, beta, c, ldc, &ep)
}

// check panics unless the epilogue fits an m×n C.
func (ep *Epilogue) check(m, n int) {
	if ep.Act < ActIdentity || ep.Act > ActReLU {
		panic(fmt.Sprintf("kernels: epilogue activation %v is not one of identity, sigmoid, tanh, relu", ep.Act))
	}
	if ep.Bias == nil {
		return
	}
	want, per := n, "column"
	if ep.BiasPerRow {
		want, per = m, "row"
	}
	if len(ep.Bias) != want {
		panic(fmt.Sprintf("kernels: len(bias) = %d, need %d (one per %s of C)", len(ep.Bias), want, per))
	}
}

// code returns the bias and the epi code of a macro-kernel store (see
// store) for the h×w part of C at (i, j).
func (ep *Epilogue) code(i, h, j, w int) (bias []float32, epi int) {
	epi = int(ep.Act) << epiActShift
	switch {
	case ep.Bias == nil:
	case ep.BiasPerRow:
		bias, epi = ep.Bias[i:i+h], epi|epiRowBias
	default:
		bias, epi = ep.Bias[j:j+w], epi|epiColBias
	}
	return bias, epi
}

// finish applies the epilogue to the h×w part of C at (i, j): for edges,
// which the macro-kernels compute through scratch, and for alpha = 0.
func (g *gemm) finish(i, h, j, w int) { g.im.finishPart(g.ep, g.c, g.ldc, i, h, j, w) }

// finishPart applies ep to the h×w part at (i, j) of c, leading dimension
// ldc, one row at a time with im's kernels.
func (im *Impl) finishPart(ep *Epilogue, c []float32, ldc, i, h, j, w int) {
	bias, epi := ep.code(i, h, j, w)
	for r := 0; r < h; r++ {
		epilogueRow(&im.vec, &im.act, c[(i+r)*ldc+j:(i+r)*ldc+j+w], bias, epi, r, 0)
	}
}

// epilogueRow applies the epilogue code epi (see store) to row, which is
// row r of a part of C, from column j of that part; bias is the part's, as
// code returns it; vec and act are an implementation's kernels. The Go
// macro-kernel applies it to each stored row.
func epilogueRow(vec *vecKernels, act *actKernels, row, bias []float32, epi, r, j int) {
	switch {
	case epi&epiRowBias != 0:
		vec.addCol(row, 1, len(row), bias[r:r+1])
	case epi&epiColBias != 0:
		vec.addRow(row, 1, len(row), bias[j:j+len(row)])
	}
	switch Activation(epi >> epiActShift) {
	case ActSigmoid:
		act.sigmoid(row, row)
	case ActTanh:
		act.tanh(row, row)
	case ActReLU:
		act.relu(row, row)
	}
}
