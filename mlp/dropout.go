package mlp

import (
	"math"

	"github.com/gofma/gofma/kernels"
)

// dropout is inverted dropout on the hidden layers' outputs during
// training (FitConfig.Dropout). The forward pass keeps each hidden layer's
// output as its activation made it (the backward pass derives the
// activation from it) and gives the next layer out[l] = act ⊙ mask[l],
// where a mask element is 0 with probability p and 1/(1−p) otherwise; the
// backward pass multiplies that layer's input gradient by the same mask.
//
// A mask element depends only on the seed, the step, the layer, the row
// in the batch (with the full batch, the sample's index in X: the sparse
// path keeps its rows in another order) and the column: each row draws
// its own SplitMix64 sequence, two elements a number, so masks do not
// depend on the threads, the tiling or the path, and a resumed run draws
// the masks it would have drawn.
type dropout struct {
	thr       uint64  // an element is dropped when its 32 random bits are below thr = p·2³²
	keep      float32 // 1/(1−p), a kept element's factor
	seed      uint64
	step      int
	order     []int       // the full batch's sample in each row, when not X's order (ws.order)
	mask, out [][]float32 // per hidden layer: rows×units
	task      dropTask
}

// setDropout sets the dropout of ws's training passes over n: probability
// p (0: none) with masks drawn from seed.
func (ws *workspace) setDropout(n *Network, p float32, seed uint64) {
	if p == 0 {
		ws.drop = nil
		return
	}
	d := &dropout{}
	for _, l := range n.layers[:len(n.layers)-1] {
		d.mask = append(d.mask, make([]float32, ws.rows*l.out))
		d.out = append(d.out, make([]float32, ws.rows*l.out))
	}
	d.thr = uint64(math.Round(float64(p) * (1 << 32)))
	d.keep = float32(1 / (1 - float64(p)))
	d.seed = seed
	ws.drop = d
}

// apply draws hidden layer l's masks for the rows×width outputs in
// ws.out[l] of the current step and sets d.out[l], on the pool.
func (d *dropout) apply(ws *workspace, l, rows, width int) {
	d.task = dropTask{d: d, in: ws.out[l], l: l, rows: rows, width: width, per: tileRows(rows, width)}
	kernels.Parallel((rows+d.task.per-1)/d.task.per, &d.task)
}

// dropTask draws the masks of a layer in tiles of rows.
type dropTask struct {
	d                   *dropout
	in                  []float32
	l, rows, width, per int
}

// Do draws the masks of tile i's rows and applies them.
func (t *dropTask) Do(i int) {
	d := t.d
	r0, r1 := i*t.per, min((i+1)*t.per, t.rows)
	lo, hi := r0*t.width, r1*t.width
	mask := d.mask[t.l]
	for r := r0; r < r1; r++ {
		sample := r
		if d.order != nil {
			sample = d.order[r]
		}
		d.drawRow(mask[r*t.width:(r+1)*t.width], t.l, sample)
	}
	kernels.Mul(d.out[t.l][lo:hi], t.in[lo:hi], mask[lo:hi])
}

// golden is SplitMix64's increment, 2⁶⁴ over the golden ratio.
const golden = 0x9e3779b97f4a7c15

// drawRow fills m with row r's mask of layer l at the current step.
func (d *dropout) drawRow(m []float32, l, r int) {
	s := mix64(mix64(mix64(d.seed)+uint64(d.step)) + uint64(l)<<32 + uint64(r))
	for j := 0; j < len(m); j += 2 {
		s += golden
		z := mix64(s)
		m[j] = d.pick(z & 0xffffffff)
		if j+1 < len(m) {
			m[j+1] = d.pick(z >> 32)
		}
	}
}

// pick returns the mask element of 32 random bits u.
func (d *dropout) pick(u uint64) float32 {
	if u < d.thr {
		return 0
	}
	return d.keep
}

// mix64 is SplitMix64's output function: a bijection of 64-bit words that
// mixes every input bit into every output bit.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
