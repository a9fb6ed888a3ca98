package mlp

import (
	"fmt"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// SparseMode says whether Fit computes the first layer's two products
// (the forward X·W₁ᵀ and the weight gradient dZ₁ᵀ·X) from X in compressed
// sparse row form, which skips its zeros.
type SparseMode int

const (
	// SparseAuto takes the sparse path when X's density (the fraction of
	// its elements that are not zero) is at most SparseDensity and the
	// batch has at least SparseMinBatch samples (or is the full batch).
	SparseAuto SparseMode = iota
	// SparseOn always takes the sparse path.
	SparseOn
	// SparseOff never does.
	SparseOff
)

// SparseDensity is the density of X at or below which SparseAuto takes
// the sparse path, on batches of at least SparseMinBatch samples (the full
// batch included). kernels' BenchmarkSparseMM puts the crossing of the
// sparse and dense products of a 784-input first layer at a density of
// 0.33 to 0.4 on the 2-vCPU development VM (AMD EPYC Zen 3, one thread;
// random nonzeros, which favour neither path); this is a little below.
const SparseDensity = 0.3

// SparseMinBatch is the smallest batch on which SparseAuto takes the
// sparse path. A sparse Fit also builds X's sparse form once (about 0.05 s
// for MNIST's 60,000 images on two threads; 0.15 s when the runs below
// were made), and a sparse step gathers its batch in that
// form and transposes W₁, work that does not shrink with the batch. Three
// epochs of the everyday run (mnistbench, 784-256-128-10, Adam; three runs
// each on the 2-vCPU Zen 3 VM) took, sparse against dense: batches of 128,
// 1.98–2.19 s against 2.43–2.68 on one thread and 1.13–1.36 against
// 1.36–1.59 on two; of 64, 2.19–2.24 against 2.73–2.94 on one thread but
// 1.73–2.12 against 1.73–1.78 on two; of 32, 3.23–3.49 against 3.84–4.00
// and 2.55–3.15 against 2.19–3.00. One epoch of batches of 128 still runs
// as fast dense (0.45–0.50 s against 0.46–0.74 on two threads): its steps
// do not yet repay building the sparse form.
const SparseMinBatch = 128

// String returns the mode's name: auto, on or off.
func (m SparseMode) String() string {
	switch m {
	case SparseAuto:
		return "auto"
	case SparseOn:
		return "on"
	case SparseOff:
		return "off"
	}
	return fmt.Sprintf("SparseMode(%d)", int(m))
}

// ParseSparseMode returns the mode named s (auto, on, off).
func ParseSparseMode(s string) (SparseMode, error) {
	for _, m := range []SparseMode{SparseAuto, SparseOn, SparseOff} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown sparse mode %q (want auto, on or off)", s)
}

// sparseInput is the first layer's input in sparse form, for Fit's sparse
// path. With the full batch, X is prepared once per Fit for both products
// (kernels.PrepareSparse: rows in groups of four that share columns, each
// group's union of columns loaded once for its four rows), its samples in
// the groups' order (kernels.ClusterOrder), which the step's rows, Y's
// copy and dropout's masks follow (workspace.order); a mini-batch
// gathers its rows of X's CSR form and transposes them, as preparing costs
// about as much as the batch's two products.
type sparseInput struct {
	all   mat32.CSR       // every sample of X, made once per Fit
	full  bool            // the full batch: the products read prep
	prep  kernels.SparseA // all, prepared (the full batch)
	batch mat32.CSR       // a mini-batch's rows of all
	t     mat32.CSR       // the transpose of the batch
	x     *mat32.CSR      // the step's input: all or batch
	wt    []float32       // W₁ᵀ, inputs×units (rows kernels.LeadingDim apart), for the forward product
	// order (the full batch): the sample in each row of the step, X's
	// rows in kernels.ClusterOrder, in which all and prep hold them.
	order []int
}

// startSparse makes X's sparse forms for a Fit: its CSR form and, when
// full (the full batch), its prepared form, once for all steps.
func (ws *workspace) startSparse(X *mat32.Dense, full bool) {
	if ws.sp == nil {
		ws.sp = new(sparseInput)
	}
	sp := ws.sp
	sp.all = *mat32.NewCSR(X)
	sp.x, sp.full = &sp.all, full
	if full {
		// The samples in clustered order: the grouped products then write
		// and read the rows of the layer's outputs and gradients one after
		// another rather than all over them (the weight gradient, which
		// reads dZ₁'s: 7–11% less time on MNIST's 5 vs 8, one thread).
		rows, in := sp.all.Dims()
		offs, idx, _ := sp.all.RawCSR()
		if cap(sp.order) < rows {
			sp.order = make([]int, rows)
		}
		sp.order = sp.order[:rows]
		for i, r := range kernels.ClusterOrder(nil, rows, in, offs, idx) {
			sp.order[i] = int(r)
		}
		var ordered mat32.CSR
		sp.all.GatherRows(&ordered, sp.order)
		sp.all = ordered
		sp.t = mat32.CSR{} // a mini-batch Fit's, not needed
		offs, idx, vals := sp.all.RawCSR()
		kernels.PrepareSparse(&sp.prep, rows, in, offs, idx, vals, false)
	} else {
		sp.order = nil
		sp.prep.Release()
	}
}

// order returns the samples of the full batch's rows, in order, when they
// are not X's rows in X's order (the sparse path), else nil.
func (ws *workspace) order() []int {
	if !ws.sparse || !ws.sp.full {
		return nil
	}
	return ws.sp.order
}

// gather makes the step's input the rows idx of X, and its transpose.
func (sp *sparseInput) gather(idx []int) {
	sp.all.GatherRows(&sp.batch, idx)
	sp.batch.TransposeInto(&sp.t)
	sp.x = &sp.batch
}

// forward computes layer l's outputs act(x·Wᵀ + b) from the sparse input.
func (sp *sparseInput) forward(l layer, out []float32) {
	ld := kernels.LeadingDim(l.out) // not 256 floats apart: the product reads blocks of W₁ᵀ's rows
	sp.wt = grow(sp.wt, l.in*ld)
	kernels.Transpose(sp.wt, ld, l.w, l.in, l.out, l.in)
	rows, _ := sp.x.Dims()
	ep := kernels.Epilogue{Bias: l.b, Act: l.act.kernel()}
	if sp.full {
		kernels.SparseAMM(l.out, 1, &sp.prep, sp.wt, ld, 0, out[:rows*l.out], l.out, ep)
		return
	}
	offs, idx, vals := sp.x.RawCSR()
	kernels.SparseMM(rows, l.out, l.in, 1, offs, idx, vals, sp.wt, ld, 0, out[:rows*l.out], l.out, ep)
}

// weightGrad sets gw (out×in) to dzᵀ·x.
func (sp *sparseInput) weightGrad(l layer, dz, gw []float32) {
	if sp.full {
		kernels.SparseATMMTrans(l.out, 1, &sp.prep, dz, l.out, 0, gw, l.in)
		return
	}
	in, rows := sp.t.Dims()
	offs, idx, vals := sp.t.RawCSR()
	kernels.SparseMMTrans(in, l.out, rows, 1, offs, idx, vals, dz, l.out, 0, gw, l.in)
}
