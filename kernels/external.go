package kernels

// SgemmFunc is a row-major SGEMM with the signature and contract of Sgemm:
// C = alpha·op(A)·op(B) + beta·C, beta == 0 overwriting C.
type SgemmFunc func(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// WithSgemm returns an implementation named name that multiplies matrices
// with f and runs every other kernel as im does. Its SgemmEpilogue calls f
// and then applies the epilogue in a second pass over C, row bands on the
// pool. It is how another library's GEMM (gonum's, OpenBLAS's) is compared
// with gofma's under the same training: make it the default with Swap.
// Arguments are checked before f sees them.
func (im *Impl) WithSgemm(name string, f SgemmFunc) *Impl {
	if f == nil {
		panic("kernels: WithSgemm: f is nil")
	}
	ext := *im
	ext.name = name
	ext.ext = f
	return &ext
}

// Swap makes im the implementation the package-level functions use and
// returns the one they used before, for restoring it.
func Swap(im *Impl) *Impl {
	if im == nil {
		panic("kernels: Swap: im is nil")
	}
	return current.Swap(im)
}

// extEpilogueRows is the least rows of C per band of an external
// implementation's epilogue pass.
const extEpilogueRows = 64

// extSgemm runs im.ext, then the epilogue ep (when not nil) over all of C.
func (im *Impl) extSgemm(transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) {
	im.ext(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	if ep == nil {
		return
	}
	t := &epilogueBands{g: gemm{im: im, c: c, ldc: ldc, epv: *ep}, m: m, n: n}
	t.g.ep = &t.g.epv // a copy: the caller's ep stays on its stack
	Parallel((m+extEpilogueRows-1)/extEpilogueRows, t)
}

// epilogueBands applies an epilogue to bands of extEpilogueRows rows of C.
type epilogueBands struct {
	g    gemm
	m, n int
}

// Do applies the epilogue to band i.
func (t *epilogueBands) Do(i int) {
	lo := i * extEpilogueRows
	t.g.finish(lo, min(extEpilogueRows, t.m-lo), 0, t.n)
}
