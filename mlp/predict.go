package mlp

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gofma/gofma/mat32"
)

// evalRows is the most samples Predict and Evaluate pass at once; their
// workspace holds min(rows asked for, evalRows) samples.
const evalRows = 4096

// Metrics is how well a network fits some data.
type Metrics struct {
	Loss float64 // the training loss, a mean over the samples
	// Accuracy is the share of right predictions: per sample for
	// CrossEntropy (argmax), per output for BinaryCrossEntropy (threshold
	// ½); NaN for MeanSquaredError.
	Accuracy float64
}

// evalPool is the network's free list of workspaces for Predict,
// PredictInto and Evaluate, separate from Fit's so that Fit's callbacks
// may call them. Each call takes a workspace for the fewer of its rows and
// evalRows and gives it back when done, so calls that overlap each have
// their own. Like the kernels' free lists, it is not a sync.Pool, which
// every GC empties.
//
// The list keeps at most GOMAXPROCS workspaces (the largest, when more are
// given back), each for at most evalRows samples: more calls than that at
// once are served, by workspaces made for them and dropped after. A call
// takes the smallest free workspace large enough; when none is, it drops
// one that is too small (the largest) before making its own, so the list
// holds no more workspaces than calls have overlapped and memory follows
// the rows asked for.
type evalPool struct {
	mu   sync.Mutex
	free []*workspace // guarded by mu
}

// takeEval returns a workspace for passes over up to rows samples (at
// most evalRows) that no other call uses until giveEval.
func (n *Network) takeEval(rows int) *workspace {
	p := &n.evals
	p.mu.Lock()
	fit, small := -1, -1 // smallest workspace large enough, largest too small
	for i, ws := range p.free {
		switch {
		case ws.rows >= rows:
			if fit < 0 || ws.rows < p.free[fit].rows {
				fit = i
			}
		case small < 0 || ws.rows > p.free[small].rows:
			small = i
		}
	}
	var ws *workspace
	if fit >= 0 {
		ws = p.remove(fit)
	} else if small >= 0 {
		p.remove(small) // let it go before the new one is made
	}
	p.mu.Unlock()
	if ws == nil {
		ws = n.newWorkspace(rows, false)
		ws.y = make([]float32, rows*n.cfg.Outputs)
	}
	return ws
}

// giveEval gives ws, from takeEval, back to the free list, which keeps the
// largest GOMAXPROCS workspaces.
func (n *Network) giveEval(ws *workspace) {
	p := &n.evals
	most := runtime.GOMAXPROCS(0)
	p.mu.Lock()
	if len(p.free) >= most {
		small := 0
		for i, f := range p.free {
			if f.rows < p.free[small].rows {
				small = i
			}
		}
		if p.free[small].rows < ws.rows {
			p.remove(small)
		}
	}
	if len(p.free) < most {
		p.free = append(p.free, ws)
	}
	p.mu.Unlock()
}

// remove takes free workspace i off the list and returns it.
func (p *evalPool) remove(i int) *workspace {
	ws, last := p.free[i], len(p.free)-1
	copy(p.free[i:], p.free[i+1:]) // keep the order: the last given back stays last
	p.free[last] = nil
	p.free = p.free[:last]
	return ws
}

// last returns the free workspace given back last, or nil.
func (p *evalPool) last() *workspace {
	if len(p.free) == 0 {
		return nil
	}
	return p.free[len(p.free)-1]
}

// Predict returns the network's outputs for the samples X (N×inputs):
// probabilities for the cross-entropy heads, values for MeanSquaredError.
// It is PredictInto into a new N×outputs matrix.
func (n *Network) Predict(X *mat32.Dense) (*mat32.Dense, error) {
	if _, err := n.checkInputs(X); err != nil {
		return nil, err
	}
	rows, _ := X.Dims()
	dst := mat32.NewDense(rows, n.cfg.Outputs, nil)
	if err := n.predict(dst, X); err != nil {
		return nil, err
	}
	return dst, nil
}

// PredictInto writes the network's outputs for the samples X (N×inputs)
// into dst (N×outputs, which may be a view with a longer stride), as
// Predict returns them. dst must share no element with X.
//
// Predict, PredictInto and Evaluate may run from many goroutines at once
// (see the package doc). Each call passes up to 4,096 samples at once
// through a workspace of its own, taken from the network's free list and
// given back after: made for the fewer of the call's rows and 4,096, and
// kept for later calls, up to GOMAXPROCS workspaces. So PredictInto
// allocates nothing once a call of at least as many rows (or 4,096) has
// returned, unless more than GOMAXPROCS calls run at once.
func (n *Network) PredictInto(dst, X *mat32.Dense) error {
	if _, err := n.checkInputs(X); err != nil {
		return err
	}
	return n.predict(dst, X)
}

// predict is PredictInto for X already checked.
func (n *Network) predict(dst, X *mat32.Dense) error {
	xs := X.RawMatrix()
	outs := n.cfg.Outputs
	if dst == nil {
		return fmt.Errorf("mlp: dst is nil, need a %d×%d matrix (a row per sample of X, a column per output)", xs.Rows, outs)
	}
	if r, c := dst.Dims(); r != xs.Rows || c != outs {
		return fmt.Errorf("mlp: dst is %d×%d, need %d×%d (a row per sample of X, a column per output)", r, c, xs.Rows, outs)
	}
	ds := dst.RawMatrix()
	if dst.Shares(X) {
		return errors.New("mlp: dst shares memory with X: PredictInto needs an output matrix apart from its input")
	}
	ws := n.takeEval(min(xs.Rows, evalRows))
	defer n.giveEval(ws)
	last := len(n.layers) - 1
	for r0 := 0; r0 < xs.Rows; r0 += evalRows {
		rows := min(evalRows, xs.Rows-r0)
		n.forward(ws, xs.Data[r0*xs.Stride:], xs.Stride, rows)
		z := ws.out[last][:rows*outs]
		if ds.Stride == outs {
			n.cfg.Loss.head(ds.Data[r0*outs:(r0+rows)*outs], z, rows, outs)
			continue
		}
		n.cfg.Loss.head(z, z, rows, outs)
		for r := range rows {
			copy(ds.Data[(r0+r)*ds.Stride:(r0+r)*ds.Stride+outs], z[r*outs:(r+1)*outs])
		}
	}
	return nil
}

// Evaluate returns the loss and accuracy of the network on the samples X
// and targets Y, which are checked as Fit checks them. It takes a
// workspace as PredictInto does.
func (n *Network) Evaluate(X, Y *mat32.Dense) (Metrics, error) {
	if _, err := n.checkData(X, Y); err != nil {
		return Metrics{}, err
	}
	return n.evaluate(X, Y), nil
}

// evaluate is Evaluate for X and Y already checked (Fit's validation data
// is checked once, before its first step).
func (n *Network) evaluate(X, Y *mat32.Dense) Metrics {
	xs, ys := X.RawMatrix(), Y.RawMatrix()
	outs := n.cfg.Outputs
	sum, right, total := 0.0, 0, 0
	ws := n.takeEval(min(xs.Rows, evalRows))
	defer n.giveEval(ws)
	for r0 := 0; r0 < xs.Rows; r0 += evalRows {
		rows := min(evalRows, xs.Rows-r0)
		copyRows(ws.y, ys.Data[r0*ys.Stride:], ys.Stride, outs, rows)
		y := ws.y[:rows*outs]
		n.forward(ws, xs.Data[r0*xs.Stride:], xs.Stride, rows)
		sum += n.lossGrad(ws, y, rows, xs.Rows, false)
		r, t := n.cfg.Loss.correct(ws.out[len(n.layers)-1][:rows*outs], y, rows, outs)
		right, total = right+r, total+t
	}
	m := Metrics{Loss: sum / float64(xs.Rows), Accuracy: math.NaN()}
	if total > 0 {
		m.Accuracy = float64(right) / float64(total)
	}
	return m
}

// Clone returns a deep copy of the network's configuration and weights.
// The copy shares no memory with n, and holds no workspaces and no
// training state (the optimizer's state, the order of the samples): a Fit
// on it starts afresh, as on a new network. Clone may run while Predict,
// PredictInto and Evaluate do; it gives one network per goroutine, or a
// copy to train while n serves.
func (n *Network) Clone() *Network {
	c, err := build(n.cfg)
	if err != nil {
		panic("mlp: Clone: " + err.Error()) // n.cfg passed the same checks when n was made
	}
	copy(c.params, n.params)
	return c
}
