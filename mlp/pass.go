package mlp

import (
	"sync/atomic"

	"github.com/gofma/gofma/kernels"
)

// The passes of a training step, as tiles on the kernels' worker pool.
//
// A step over rows samples (x: rows×inputs, y: rows×outputs) runs:
//   - forward: each layer out = act(a·Wᵀ + b) as one fused GEMM (the
//     kernels split it into tiles of C); with the full batch, the first
//     layer's GEMM reads x packed once per Fit (workspace.packX);
//   - loss: row tiles of the logits each compute their loss sum, the fused
//     output gradient dz = (a − y)/N, and their partial bias gradient;
//   - backward, per layer from the last: dW = dzᵀ·a and dA = dz·W as two
//     concurrent GEMMs (each split into tiles by the kernels; the first
//     layer's dW reads x packed, as the forward does), then row
//     tiles that turn dA into the previous layer's dz through its
//     activation and sum their part of its bias gradient;
//   - update: the optimizer over fixed chunks of the parameters.
//
// Tile boundaries depend only on the shapes, and partial sums are added in
// tile order, so results do not depend on the thread count.

const (
	tileElems   = 1 << 12 // elements per row tile, 16 KiB: a batch of 32 makes two tiles of 256 units
	maxPartials = 1 << 20 // bias-gradient partial sums per pass, at most
	updateChunk = 1 << 14 // parameters per update tile
)

// tileRows returns the rows per tile for a pass over rows×width values:
// at least 16, and few enough tiles that their tiles×width partial sums
// fit in maxPartials.
func tileRows(rows, width int) int {
	most := max(1, maxPartials/width) // tiles
	return max(16, tileElems/width, (rows+most-1)/most)
}

// maxTiles returns the most tiles a pass over up to rows rows of width
// values makes (fewer rows may make more tiles than rows do).
func maxTiles(rows, width int) int {
	least := max(16, tileElems/width) // rows per tile
	return min((rows+least-1)/least, max(1, maxPartials/width))
}

// workspace holds everything a pass over up to rows samples writes, so a
// step allocates nothing.
type workspace struct {
	rows   int
	out    [][]float32    // out[l]: outputs of layer l (logits for the last)
	grad   [2][]float32   // dz and dA of the current layer, alternately
	part   []float32      // per-tile partial bias gradients
	loss   []float64      // per-tile loss sums
	grads  []float32      // gradients, laid out like Network.params (training only)
	x, y   []float32      // a gathered batch, compact targets: made when needed
	xa, xb kernels.Packed // the full batch packed (packX)
	packed bool           // xa and xb hold the current full batch
	sp     *sparseInput   // the first layer's input in CSR form (sparse.go)
	drop   *dropout       // the hidden layers' dropout in training (dropout.go)
	sparse bool           // the first layer takes the sparse path (sp)
	tiles  tileTask
	pair   pairTask
	update updateTask
	gather gatherTask
}

// newWorkspace returns a workspace for passes over up to rows samples;
// training adds room for gradients.
func (n *Network) newWorkspace(rows int, training bool) *workspace {
	ws := &workspace{rows: rows}
	maxWidth, most := 0, 0 // widest layer, most partial sums
	for _, l := range n.layers {
		ws.out = append(ws.out, make([]float32, rows*l.out))
		maxWidth = max(maxWidth, l.out, l.in)
		most = max(most, maxTiles(rows, l.out)*l.out)
	}
	ws.part = make([]float32, most)
	ws.loss = make([]float64, most)
	if training {
		ws.grad[0] = make([]float32, rows*maxWidth)
		ws.grad[1] = make([]float32, rows*maxWidth)
		ws.grads = make([]float32, len(n.params))
	}
	return ws
}

// workspaceFloats returns the 4-byte words newWorkspace(rows, training)
// allocates (ws.loss's float64s count two each).
func (n *Network) workspaceFloats(rows int, training bool) int64 {
	var words, widest, most int64
	for _, l := range n.layers {
		words += int64(rows) * int64(l.out)
		widest = max(widest, int64(l.out), int64(l.in))
		most = max(most, int64(maxTiles(rows, l.out))*int64(l.out))
	}
	words += 3 * most // part and loss
	if training {
		words += 2*int64(rows)*widest + int64(len(n.params))
	}
	return words
}

// WorkspaceBytes returns the bytes of the buffers the network makes and
// keeps for its passes: Fit's for batches of batch samples (outputs of
// every layer, gradients, and a gathered batch when batch is less than
// samples) and one Predict's or Evaluate's for samples rows (at most 4,096
// at once; calls that overlap make one each, and the network keeps up to
// GOMAXPROCS of them). Dropout adds two floats per hidden unit and sample
// of a batch. It leaves out the parameters themselves, the optimizer's state
// (up to two copies of them) and X's copies for the first layer: packed
// for its two products with the full batch (two copies of about X's
// size), or, on the sparse path, in CSR form (8 bytes a nonzero) and, with
// the full batch, prepared for the sparse products (kernels.SparseA: about
// 20 bytes per column of a group's union), or a mini-batch's rows of it
// and their transpose, instead of the gathered batch.
func (n *Network) WorkspaceBytes(batch, samples int) int64 {
	words := n.workspaceFloats(batch, true) + n.workspaceFloats(min(samples, evalRows), false) +
		int64(min(samples, evalRows))*int64(n.cfg.Outputs)
	if batch < samples {
		words += int64(batch) * int64(n.cfg.Inputs+n.cfg.Outputs)
	}
	return 4 * words
}

// packX packs x (rows×cols, leading dimension ld), the full batch of a
// Fit, once for all its steps, reusing the buffers: into ws.xa as op(A) of
// layer 0's forward product and into ws.xb as op(B) of its weight
// gradient, the two products that read x. It returns what it packed, for
// Result.Prepacked: nothing on kernels whose products come from another
// library (kernels' WithSgemm), which multiply x itself.
func (ws *workspace) packX(x []float32, ld, rows, cols int) []string {
	kernels.PackA(&ws.xa, false, rows, cols, x, ld)
	kernels.PackB(&ws.xb, false, rows, cols, x, ld)
	ws.packed = true
	var packed []string
	if ws.xa.Len() > 0 {
		packed = append(packed, "X as op(A) of layer 1's forward product")
	}
	if ws.xb.Len() > 0 {
		packed = append(packed, "X as op(B) of layer 1's weight gradient")
	}
	return packed
}

// input returns the input of layer l and its leading dimension.
func (n *Network) input(ws *workspace, l int, x []float32, ldx int) ([]float32, int) {
	if l == 0 {
		return x, ldx
	}
	if ws.drop != nil {
		return ws.drop.out[l-1], n.layers[l-1].out
	}
	return ws.out[l-1], n.layers[l-1].out
}

// forward computes every layer's outputs for rows samples x (leading
// dimension ldx) into ws.out.
func (n *Network) forward(ws *workspace, x []float32, ldx, rows int) {
	for i, l := range n.layers {
		if i == 0 && ws.sparse {
			ws.sp.forward(l, ws.out[0])
		} else {
			a, lda := n.input(ws, i, x, ldx)
			var pa *kernels.Packed
			if i == 0 && ws.packed {
				pa = &ws.xa // x itself
			}
			kernels.SgemmPacked(false, true, rows, l.out, l.in, 1, a, lda, pa, l.w, l.in, nil, 0, ws.out[i][:rows*l.out], l.out,
				kernels.Epilogue{Bias: l.b, Act: l.act.kernel()})
		}
		if ws.drop != nil && i < len(n.layers)-1 {
			ws.drop.apply(ws, i, rows, l.out)
		}
	}
}

// lossGrad returns the loss summed over rows samples against targets y and,
// when training, sets ws.grad[0] to the output gradient (scaled by 1/scaleN)
// and ws.part to the last layer's partial bias gradients.
func (n *Network) lossGrad(ws *workspace, y []float32, rows, scaleN int, training bool) float64 {
	last := len(n.layers) - 1
	t := &ws.tiles
	*t = tileTask{n: n, ws: ws, kind: tileLoss, l: last, rows: rows, y: y, training: training, scale: 1 / float32(scaleN)}
	tiles := t.start(n.layers[last].out)
	sum := 0.0
	for _, s := range ws.loss[:tiles] {
		sum += s
	}
	return sum
}

// backward computes every gradient into ws.grads from the output gradient
// in ws.grad[0] and the partial bias gradients of the last layer in
// ws.part.
func (n *Network) backward(ws *workspace, x []float32, ldx, rows int) {
	cur := 0
	for i := len(n.layers) - 1; i >= 0; i-- {
		l := n.layers[i]
		n.sumBias(ws, i, rows)
		p := &ws.pair
		*p = pairTask{n: n, ws: ws, l: i, rows: rows, dz: ws.grad[cur][:rows*l.out]}
		p.a, p.lda = n.input(ws, i, x, ldx)
		if i == 0 {
			p.Do(0) // the first layer needs no input gradient
			break
		}
		p.da = ws.grad[1-cur][:rows*l.in]
		kernels.Parallel(2, p)
		cur = 1 - cur
		ws.tiles = tileTask{n: n, ws: ws, kind: tileActivation, l: i - 1, rows: rows, training: true}
		ws.tiles.grad = ws.grad[cur]
		ws.tiles.start(l.in)
	}
}

// sumBias adds the partial bias gradients of layer i in tile order.
func (n *Network) sumBias(ws *workspace, i, rows int) {
	l := n.layers[i]
	gb := ws.grads[l.off+l.out*l.in : l.off+l.out*l.in+l.out]
	clear(gb)
	tr := tileRows(rows, l.out)
	for t := 0; t*tr < rows; t++ {
		kernels.Axpy(1, ws.part[t*l.out:(t+1)*l.out], gb)
	}
}

// tileKind says what a tileTask computes.
type tileKind uint8

const (
	tileLoss       tileKind = iota // loss, output gradient, bias partials
	tileActivation                 // dz = act′·dA in place, bias partials
)

// tileTask is a pass over row tiles of one layer's rows×width values.
type tileTask struct {
	n        *Network
	ws       *workspace
	kind     tileKind
	l        int // the layer whose outputs the tiles cover
	rows     int
	per      int       // rows per tile
	y        []float32 // targets (tileLoss)
	grad     []float32 // the layer's dA, turned into dz (tileActivation)
	scale    float32   // 1/N (tileLoss)
	training bool      // compute gradients, not only the loss
}

// start runs the tiles over width-wide rows and returns their number.
func (t *tileTask) start(width int) int {
	t.per = tileRows(t.rows, width)
	tiles := (t.rows + t.per - 1) / t.per
	kernels.Parallel(tiles, t)
	return tiles
}

// Do computes tile i.
func (t *tileTask) Do(i int) {
	l := t.n.layers[t.l]
	w := l.out
	r0, r1 := i*t.per, min((i+1)*t.per, t.rows)
	lo, hi := r0*w, r1*w
	var g []float32
	switch t.kind {
	case tileLoss:
		z := t.ws.out[t.l]
		if t.training {
			g = t.ws.grad[0][lo:hi]
		}
		t.ws.loss[i] = t.n.cfg.Loss.sum(g, z[lo:hi], t.y[lo:hi], r1-r0, w, t.scale)
	case tileActivation:
		g = t.grad[lo:hi]
		if d := t.ws.drop; d != nil {
			kernels.Mul(g, g, d.mask[t.l][lo:hi])
		}
		l.act.backward(g, g, t.ws.out[t.l][lo:hi])
	}
	if g != nil {
		kernels.ColSums(t.ws.part[i*w:(i+1)*w], g, r1-r0, w)
	}
}

// pairTask computes one layer's weight gradient dW = dzᵀ·a (part 0) and
// input gradient dA = dz·W (part 1) concurrently.
type pairTask struct {
	n      *Network
	ws     *workspace
	l      int
	rows   int
	dz, da []float32
	a      []float32
	lda    int
}

// Do computes part i.
func (p *pairTask) Do(i int) {
	l := p.n.layers[p.l]
	if i == 0 {
		gw := p.ws.grads[l.off : l.off+l.out*l.in]
		if p.l == 0 && p.ws.sparse {
			p.ws.sp.weightGrad(l, p.dz, gw)
			return
		}
		var pb *kernels.Packed
		if p.l == 0 && p.ws.packed {
			pb = &p.ws.xb // p.a is x
		}
		kernels.SgemmPacked(true, false, l.out, l.in, p.rows, 1, p.dz, l.out, nil, p.a, p.lda, pb, 0, gw, l.in, kernels.Epilogue{})
		return
	}
	kernels.Sgemm(false, false, p.rows, l.in, l.out, 1, p.dz, l.out, l.w, l.in, 0, p.da, l.in)
}

// updateTask applies the optimizer to fixed chunks of the parameters, with
// the weight decays.
type updateTask struct {
	u       updater
	w, g    []float32
	step    int
	lr      float32
	l2      float32     // FitConfig.WeightDecay: added to the gradients as l2·w
	wd      float32     // the optimizer's decoupled decay: lr·wd·w off the new weights
	weights [][2]int    // each layer's weights' range in the parameters (not the biases)
	bad     atomic.Bool // a new weight is not finite
}

// setDecay sets the weight decays of n's steps: l2 through the gradients,
// decoupled apart from them.
func (u *updateTask) setDecay(n *Network, l2, decoupled float32) {
	u.l2, u.wd, u.weights = l2, decoupled, u.weights[:0]
	for _, l := range n.layers {
		u.weights = append(u.weights, [2]int{l.off, l.off + l.out*l.in})
	}
}

// run takes optimizer step t with learning rate lr over all parameters w
// with gradients g, writes the new weights over g and reports whether they
// are all finite.
func (u *updateTask) run(up updater, w, g []float32, t int, lr float32) bool {
	u.u, u.w, u.g, u.step, u.lr = up, w, g, t, lr
	u.bad.Store(false)
	kernels.Parallel((len(w)+updateChunk-1)/updateChunk, u)
	return !u.bad.Load()
}

// Do updates chunk i: g += l2·w on its weights, the optimizer's step into
// g, then g −= lr·wd·w on its weights.
func (u *updateTask) Do(i int) {
	lo, hi := i*updateChunk, min((i+1)*updateChunk, len(u.w))
	if u.l2 != 0 {
		for _, r := range u.weights {
			if a, b := max(lo, r[0]), min(hi, r[1]); a < b {
				kernels.Axpy(u.l2, u.w[a:b], u.g[a:b])
			}
		}
	}
	ok := u.u.update(u.g, u.w, u.g, lo, hi, u.step, u.lr)
	if u.wd != 0 {
		for _, r := range u.weights {
			if a, b := max(lo, r[0]), min(hi, r[1]); a < b {
				ok = kernels.SGDUpdate(u.g[a:b], u.g[a:b], u.w[a:b], u.lr*u.wd) && ok
			}
		}
	}
	if !ok {
		u.bad.Store(true)
	}
}
