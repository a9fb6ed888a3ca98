package mlp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"gonum.org/v1/gonum/blas/blas32"
)

// FitConfig says how Fit trains.
type FitConfig struct {
	// Optimizer is the update rule, for example GD{LR: 0.1}; required.
	Optimizer Optimizer
	// Iterations is the number of steps to take; 0 means no limit.
	Iterations int
	// Epochs is the number of passes over the data; 0 means no limit.
	// Fit stops at whichever of Iterations and Epochs comes first, and
	// needs at least one of them. With Resume both count from the start
	// of training, the steps of earlier Fits included, so the FitConfig of
	// an interrupted run, given again, trains to the same end.
	Epochs int
	// BatchSize is the number of samples per step; 0, or at least the
	// number of samples, means the full batch. Mini-batches are drawn from
	// a permutation of the samples made anew each epoch, and the last one
	// of an epoch may be smaller.
	BatchSize int
	// Seed seeds the shuffling of mini-batches and the dropout masks.
	Seed uint64
	// Resume continues the training state the network holds, from the
	// Fits before this one or from the model file it was loaded from: the
	// optimizer's moments and step count, the place in the data order and
	// the learning-rate schedule's step. The optimizer must be of the
	// same type (its hyperparameters may change) and X must have as many
	// samples. Given the same data and FitConfig, training N steps at
	// once, or in parts with Resume in between (saved and loaded, even in
	// another process), gives bitwise the same weights. Without Resume,
	// Fit starts a training state afresh.
	Resume bool
	// Sparse says whether the first layer's products skip X's zeros
	// (sparse.go); the default, SparseAuto, does when X is sparse enough
	// to pay. Both paths train the same model up to float32 rounding.
	Sparse SparseMode

	// Schedule scales the optimizer's learning rate by step (nil:
	// constant); see Schedule.
	Schedule Schedule
	// WeightDecay is an L2 penalty λ on the weights (not the biases),
	// for every optimizer: each step adds λ·w to a weight's gradient
	// before the update rule sees it, as PyTorch's weight_decay does. The
	// loss Fit reports leaves the penalty out. AdamW's own decay is
	// decoupled from the gradient. 0 means none.
	WeightDecay float32
	// Dropout is the probability, in [0, 1), that a hidden unit's output
	// is zeroed in a training step (inverted dropout: the kept ones are
	// scaled by 1/(1−Dropout), so Predict and Evaluate, which drop
	// nothing, need no rescaling). The masks are drawn from Seed, the step
	// and the sample's place in its batch, so training stays bitwise the
	// same on any number of threads, and when resumed. 0 means none.
	Dropout float32

	// ValX and ValY are validation data, checked as X and Y are: when
	// set, Fit evaluates the network on them every ValEvery steps (0: at
	// the end of every epoch) after the step's update, reports the
	// metrics to the callbacks and in Result, and keeps the best
	// (lowest) validation loss.
	ValX, ValY *mat32.Dense
	ValEvery   int
	// Patience, when not 0, stops Fit (without an error; Result.Stopped
	// says so) after that many validations in a row without a lower
	// validation loss than the best so far in this Fit.
	Patience int
	// RestoreBest makes Fit return with the weights of its best
	// validation (Result.BestStep), however it ends. The training state
	// keeps the optimizer's from the last step, so a later Resume
	// continues the last step's moments from the best weights.
	RestoreBest bool

	// OnStep, when set, is called after every step; an error it returns
	// stops Fit, which returns it.
	OnStep func(Progress) error
	// OnEpoch, when set, is called after the last step of every epoch
	// whose steps all ran (after that step's OnStep), even when that
	// OnStep stopped Fit or ctx was cancelled during the step; it is not
	// called for an epoch cut short by Iterations or by a stop. An error
	// it returns stops Fit, which returns it; when that step's OnStep
	// failed too, Fit returns OnStep's error joined with it (errors.Join).
	//
	// Neither callback sees a step whose loss became NaN or infinite:
	// Fit stops with an error first. Both may save the network (Save,
	// SaveFile): the file then holds the training state after that step,
	// and resumes from it.
	OnEpoch func(Progress) error
}

// Progress is what Fit's callbacks learn.
type Progress struct {
	Step  int     // steps taken so far (since training began, with Resume)
	Epoch int     // the current epoch, from 1; in OnEpoch the epochs finished
	Loss  float64 // the step's batch loss before its update; in OnEpoch the epoch's mean
	LR    float64 // the learning rate of the step: the optimizer's times the schedule's factor
	// Validated says that Val holds the validation metrics of the weights
	// after this step (FitConfig.ValX); in OnEpoch, of the epoch's last
	// step.
	Validated bool
	Val       Metrics
	Elapsed   time.Duration // since Fit began
}

// Result sums up a Fit.
type Result struct {
	Steps    int           // steps taken by this Fit
	Epochs   float64       // passes over the data by this Fit, fractional when one was cut short
	Samples  int           // samples processed
	Loss     float64       // the last step's batch loss
	Elapsed  time.Duration // whole Fit, callbacks included
	Forward  time.Duration // forward passes and losses
	Backward time.Duration // gradients
	Update   time.Duration // optimizer steps
	// Prepacked names the operands Fit packed once for all its steps,
	// e.g. "X as op(A) of layer 1's forward product"; nil for none.
	Prepacked []string
	// Sparse reports whether the first layer's products took the sparse
	// path, and Density the fraction of X's elements that are not zero
	// (counted when Fit checks X, whatever the mode).
	Sparse  bool
	Density float64
	// With validation data: Val is the last validation's metrics, Best
	// the best one's (lowest loss) and BestStep its step (0 when Fit
	// validated nothing); Stopped says Patience ended Fit, and Restored
	// that Fit returned with the weights of BestStep (RestoreBest).
	Val, Best Metrics
	BestStep  int
	Stopped   bool
	Restored  bool
}

// prepackX says whether full-batch Fit packs X once; tests turn it off to
// compare with the unpacked path.
var prepackX = true

// Fit trains the network on the samples X (N×inputs) and targets Y
// (N×outputs) as cfg says, and returns what it did. It checks ctx before
// each step and stops early, with an error that wraps ErrCanceled and the
// context's error, when ctx is done: a step under way finishes, with its
// callbacks, and a Fit whose last step has run returns no error. Bad data
// or settings give an error before any step.
//
// X must not change during Fit, in its callbacks either. With the full
// batch, Fit packs X once for all its steps (kernels.PackA, PackB) as the
// operand of the first layer's forward product and of its weight gradient
// (Result.Prepacked): two copies of about X's size each, which Elapsed
// includes and which the network keeps for its next Fit, as it keeps its
// other workspaces; a mini-batch Fit drops them.
func (n *Network) Fit(ctx context.Context, X, Y *mat32.Dense, cfg FitConfig) (Result, error) {
	var res Result
	nonzero, err := n.checkFit(X, Y, &cfg)
	if err != nil {
		return res, err
	}
	xs, ys := X.RawMatrix(), Y.RawMatrix()
	N := xs.Rows
	batch := cfg.BatchSize
	if batch == 0 || batch > N {
		batch = N
	}
	if isGD(cfg.Optimizer) && batch < N {
		return res, fmt.Errorf("mlp: GD is full-batch gradient descent, but BatchSize is %d of %d samples: use SGD for mini-batches", batch, N)
	}
	st, up, err := n.startState(cfg, N, batch)
	if err != nil {
		return res, err
	}
	n.state = st
	if n.train == nil || n.train.rows != batch {
		n.train = nil // let the old workspace go before the new one is made
		n.train = n.newWorkspace(batch, true)
	}
	ws := n.train
	ws.update.setDecay(n, cfg.WeightDecay, up.decoupled())
	ws.setDropout(n, cfg.Dropout, cfg.Seed)
	defer ws.setDropout(n, 0, 0)

	// Full batch: the data is used in place (Y copied once if strided);
	// mini-batches are gathered into the workspace.
	full := batch == N
	start := time.Now()
	res.Density = float64(nonzero) / (float64(N) * float64(xs.Cols))
	switch cfg.Sparse {
	case SparseAuto:
		res.Sparse = res.Density <= SparseDensity && (full || batch >= SparseMinBatch)
	case SparseOn:
		res.Sparse = true
	}
	if res.Sparse {
		ws.startSparse(X, full)
	} else {
		ws.sp = nil // as the dense path releases X packed, below
	}
	ws.sparse = res.Sparse
	defer func() { ws.sparse = false }()
	// The full batch's samples in the order of its rows, when not X's;
	// the steps read Y from ws.y when it is copied (reordered, compacted
	// or gathered).
	order := ws.order()
	copyY := !full || ys.Stride != ys.Cols || order != nil
	if copyY {
		ws.y = grow(ws.y, batch*ys.Cols)
	}
	if !full && !res.Sparse {
		ws.x = grow(ws.x, batch*xs.Cols)
	} else if full && order != nil {
		ws.gather.run(ws, xs, ys, order) // Y's rows only: X's are the sparse path's
	} else if full && ys.Stride != ys.Cols {
		copyRows(ws.y, ys.Data, ys.Stride, ys.Cols, N)
	}
	if ws.drop != nil {
		ws.drop.order = order
	}

	// Steps alternate the weights between the network's buffer and the
	// gradients' (see step): Fit returns with them in the network's own,
	// or with the best validation's.
	own := n.params
	val := newValidation(n, &cfg)
	defer func() {
		if &n.params[0] != &own[0] {
			copy(own, n.params)
			ws.grads = n.params
			n.setParams(own)
		}
		if val != nil && cfg.RestoreBest && val.best != nil {
			copy(own, val.best) // done said so in Result.Restored
		}
	}()
	if full && prepackX && !res.Sparse {
		res.Prepacked = ws.packX(xs.Data, xs.Stride, N, xs.Cols)
		defer func() { ws.packed = false }()
	} else {
		ws.packed = false
		ws.xa.Release()
		ws.xb.Release()
	}
	done := func() (Result, error) {
		res.Elapsed = time.Since(start)
		res.Epochs = float64(res.Samples) / float64(N)
		if val != nil {
			res.Val, res.Best, res.BestStep = val.last, val.bestM, val.bestStep
			res.Restored = cfg.RestoreBest && val.best != nil
		}
		return res, nil
	}
	for {
		t := st.step + 1
		if cfg.Iterations > 0 && t > cfg.Iterations || cfg.Epochs > 0 && st.epochs >= cfg.Epochs {
			break // done: whichever limit comes first, before ctx is asked
		}
		if err := ctx.Err(); err != nil {
			r, _ := done()
			return r, fmt.Errorf("%w after %d steps: %w", ErrCanceled, st.step, err)
		}
		if !full && st.perm == nil {
			st.shuffle(cfg.Seed) // the first epoch's order; each next one's is shuffled at the end of the one before
		}
		x, ldx, y := xs.Data, xs.Stride, ys.Data
		rows := batch
		if full {
			if copyY {
				y = ws.y
			}
		} else {
			idx := st.perm[st.pos:min(st.pos+batch, N)]
			rows = len(idx)
			ws.gather.run(ws, xs, ys, idx)
			x, ldx, y = ws.x, xs.Cols, ws.y
			if res.Sparse {
				ws.sp.gather(idx)
			}
		}
		lr, err := stepRate(up.rate(), cfg.Schedule, t)
		if err != nil {
			r, _ := done()
			return r, err
		}

		loss, phases, err := n.step(ws, x, ldx, y, rows, up, t, float32(lr))
		res.Forward += phases[0]
		res.Backward += phases[1]
		res.Update += phases[2]
		if err != nil {
			if errors.Is(err, errUpdateDiverged) && len(st.moments) > 0 {
				n.state = nil // the moments took the step the weights did not
			}
			r, _ := done()
			return r, err
		}
		st.step, st.pos, st.epochLoss = t, st.pos+rows, st.epochLoss+loss*float64(rows)
		res.Steps, res.Samples, res.Loss = res.Steps+1, res.Samples+rows, loss
		epochEnd := st.pos == N
		p := Progress{Step: t, Epoch: st.epochs + 1, Loss: loss, LR: lr}
		epochLoss := st.epochLoss / float64(N)
		if epochEnd {
			st.epochs, st.pos, st.epochLoss = st.epochs+1, 0, 0
			if !full {
				st.shuffle(cfg.Seed)
			}
		}
		if val != nil && (cfg.ValEvery > 0 && t%cfg.ValEvery == 0 || cfg.ValEvery == 0 && epochEnd) {
			p.Validated, p.Val = true, val.run(t)
		}

		var stop error
		if cfg.OnStep != nil {
			p.Elapsed = time.Since(start)
			stop = cfg.OnStep(p)
		}
		if epochEnd && cfg.OnEpoch != nil { // the epoch ran to its end, even if OnStep stops Fit
			p.Loss, p.Elapsed = epochLoss, time.Since(start)
			if err := cfg.OnEpoch(p); err != nil {
				if stop == nil {
					stop = err
				} else {
					stop = errors.Join(stop, err)
				}
			}
		}
		if stop != nil {
			r, _ := done()
			return r, stop
		}
		if val != nil && cfg.Patience > 0 && val.stale >= cfg.Patience {
			res.Stopped = true
			break
		}
	}
	return done()
}

// checkFit returns an error unless X, Y and cfg suit a Fit of the
// network, and the number of X's elements that are not zero.
func (n *Network) checkFit(X, Y *mat32.Dense, cfg *FitConfig) (nonzero int, err error) {
	if nonzero, err = n.checkData(X, Y); err != nil {
		return 0, err
	}
	return nonzero, n.checkConfig(cfg)
}

// checkConfig returns an error unless cfg suits a Fit of the network.
func (n *Network) checkConfig(cfg *FitConfig) error {
	switch {
	case cfg.Optimizer == nil:
		return errors.New("mlp: FitConfig.Optimizer is nil: set one, for example mlp.GD{LR: 0.1}")
	case cfg.Iterations < 0 || cfg.Epochs < 0 || cfg.BatchSize < 0:
		return fmt.Errorf("mlp: negative Iterations (%d), Epochs (%d) or BatchSize (%d)", cfg.Iterations, cfg.Epochs, cfg.BatchSize)
	case cfg.Sparse < SparseAuto || cfg.Sparse > SparseOff:
		return fmt.Errorf("mlp: FitConfig.Sparse is %v: set SparseAuto, SparseOn or SparseOff", cfg.Sparse)
	case cfg.Iterations == 0 && cfg.Epochs == 0:
		return errors.New("mlp: set FitConfig.Iterations or Epochs: with neither, Fit would never stop")
	case !(cfg.WeightDecay >= 0) || math.IsInf(float64(cfg.WeightDecay), 0):
		return fmt.Errorf("mlp: FitConfig.WeightDecay is %v: need a finite number ≥ 0", cfg.WeightDecay)
	case !(cfg.Dropout >= 0 && cfg.Dropout < 1):
		return fmt.Errorf("mlp: FitConfig.Dropout is %v: need a probability in [0, 1)", cfg.Dropout)
	case cfg.Dropout > 0 && len(n.layers) == 1:
		return errors.New("mlp: FitConfig.Dropout: the network has no hidden layer to drop units of")
	case cfg.ValEvery < 0 || cfg.Patience < 0:
		return fmt.Errorf("mlp: negative ValEvery (%d) or Patience (%d)", cfg.ValEvery, cfg.Patience)
	case (cfg.ValX == nil) != (cfg.ValY == nil):
		return errors.New("mlp: set both FitConfig.ValX and ValY, or neither")
	case cfg.ValX == nil && (cfg.ValEvery > 0 || cfg.Patience > 0 || cfg.RestoreBest):
		return errors.New("mlp: FitConfig.ValEvery, Patience and RestoreBest need validation data: set ValX and ValY")
	}
	if cfg.ValX != nil {
		if _, err := n.checkData(cfg.ValX, cfg.ValY); err != nil {
			return fmt.Errorf("mlp: validation data (FitConfig.ValX, ValY): %s", strings.TrimPrefix(err.Error(), "mlp: "))
		}
	}
	if cfg.Schedule != nil {
		if err := checkSchedule(cfg.Schedule); err != nil {
			return err
		}
	}
	return nil
}

// stepRate returns the learning rate of step t: base times the schedule's
// factor, or an error when that is negative, not finite or not a float32.
func stepRate(base float32, s Schedule, t int) (float64, error) {
	if s == nil {
		return float64(base), nil
	}
	f := s.Factor(t)
	lr := float64(base) * f
	if !(f >= 0) || math.IsInf(f, 0) || lr > math.MaxFloat32 {
		return 0, fmt.Errorf("mlp: the schedule %v gives factor %v at step %d: need a finite number ≥ 0", s, f, t)
	}
	return lr, nil
}

// ErrCanceled is the error Fit returns (wrapped, for errors.Is, together
// with the context's own error) when its context is done before its last
// step.
var ErrCanceled = errors.New("mlp: training canceled")

// ErrDiverged is the error Fit returns (wrapped, for errors.Is) when
// training diverges: a step's loss, or a weight a step would set, is not
// finite. The network then keeps its weights from before that step.
var ErrDiverged = errors.New("mlp: training diverged")

// errUpdateDiverged wraps ErrDiverged for a step whose update ran (the
// optimizer's moments took it) but whose new weights were not all finite.
var errUpdateDiverged = fmt.Errorf("%w", ErrDiverged)

// step takes optimizer step t, with learning rate lr, on rows samples x (leading dimension ldx)
// with targets y, and returns the batch's loss before the update and the
// time of the forward pass and loss, the backward pass and the update. A
// loss that is not finite ends the step before the backward pass, and
// new weights that are not all finite are not taken: either way the
// network is unchanged and the error wraps ErrDiverged. The update writes
// the new weights over the gradients, and the two buffers then trade
// places, so taking them costs no copy.
func (n *Network) step(ws *workspace, x []float32, ldx int, y []float32, rows int, up updater, t int, lr float32) (float64, [3]time.Duration, error) {
	t0 := time.Now()
	if ws.drop != nil {
		ws.drop.step = t
	}
	n.forward(ws, x, ldx, rows)
	loss := n.lossGrad(ws, y, rows, rows, true) / float64(rows)
	t1 := time.Now()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, [3]time.Duration{t1.Sub(t0)}, fmt.Errorf("%w: the loss became %v at step %d; the weights are those from before it: lower the learning rate", ErrDiverged, loss, t)
	}
	n.backward(ws, x, ldx, rows)
	t2 := time.Now()
	if !ws.update.run(up, n.params, ws.grads, t, lr) {
		return loss, [3]time.Duration{t1.Sub(t0), t2.Sub(t1), time.Since(t2)},
			fmt.Errorf("%w: step %d would make a weight infinite or NaN (its loss was %v); the weights are those from before it: lower the learning rate", errUpdateDiverged, t, loss)
	}
	p := n.params
	n.setParams(ws.grads)
	ws.grads = p
	return loss, [3]time.Duration{t1.Sub(t0), t2.Sub(t1), time.Since(t2)}, nil
}

// isGD reports whether o is full-batch gradient descent.
func isGD(o Optimizer) bool { return optimizerNames[optimizerKind(o)] == "GD" }

// gatherTask copies the samples of a mini-batch into the workspace, in
// tiles of gatherRows rows on the pool: the rows are scattered over the
// data, so the copy waits on memory, and threads overlap those waits.
type gatherTask struct {
	ws     *workspace
	xs, ys blas32.General
	idx    []int
}

// gatherRows is the rows a gather tile copies: a batch of 32 makes two.
const gatherRows = 16

// run gathers rows idx of xs and ys into ws.x and ws.y.
func (g *gatherTask) run(ws *workspace, xs, ys blas32.General, idx []int) {
	*g = gatherTask{ws: ws, xs: xs, ys: ys, idx: idx}
	kernels.Parallel((len(idx)+gatherRows-1)/gatherRows, g)
}

// Do copies tile i.
func (g *gatherTask) Do(i int) {
	lo := i * gatherRows
	for k, r := range g.idx[lo:min(lo+gatherRows, len(g.idx))] {
		k += lo
		if !g.ws.sparse { // the sparse path gathers its own (sparseInput.gather)
			copy(g.ws.x[k*g.xs.Cols:(k+1)*g.xs.Cols], g.xs.Data[r*g.xs.Stride:r*g.xs.Stride+g.xs.Cols])
		}
		copy(g.ws.y[k*g.ys.Cols:(k+1)*g.ys.Cols], g.ys.Data[r*g.ys.Stride:r*g.ys.Stride+g.ys.Cols])
	}
}

// grow returns b if it holds n floats, else a new slice of n.
func grow(b []float32, n int) []float32 {
	if len(b) >= n {
		return b[:n]
	}
	return make([]float32, n)
}

// copyRows copies rows rows of src (leading dimension ld) into the compact
// dst.
func copyRows(dst, src []float32, ld, cols, rows int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*cols:(r+1)*cols], src[r*ld:r*ld+cols])
	}
}

// checkData returns an error unless X and Y suit the network: matching
// shapes, at least one sample, finite inputs, targets the loss accepts;
// and the number of X's elements that are not zero.
func (n *Network) checkData(X, Y *mat32.Dense) (nonzero int, err error) {
	if X == nil || Y == nil || X.IsEmpty() {
		return 0, errors.New("mlp: no data: X and Y need at least one sample")
	}
	if nonzero, err = n.checkInputs(X); err != nil {
		return 0, err
	}
	xr, _ := X.Dims()
	yr, yc := Y.Dims()
	if yr != xr {
		return 0, fmt.Errorf("mlp: X has %d samples (rows) but Y has %d", xr, yr)
	}
	if yc != n.cfg.Outputs {
		return 0, fmt.Errorf("mlp: Y has %d columns, the network has %d outputs", yc, n.cfg.Outputs)
	}
	for r := 0; r < yr; r++ {
		if err := n.cfg.Loss.checkTargets(Y.Row(r), r); err != nil {
			return 0, err
		}
	}
	return nonzero, nil
}

// checkInputs returns an error unless X has the network's input width, at
// least one row and only finite values, and, from the same read, the
// number of its elements that are not zero (as X.Density counts them).
func (n *Network) checkInputs(X *mat32.Dense) (nonzero int, err error) {
	if X == nil || X.IsEmpty() {
		return 0, errors.New("mlp: no data: X needs at least one sample")
	}
	xr, xc := X.Dims()
	if xc != n.cfg.Inputs {
		return 0, fmt.Errorf("mlp: X has %d columns, the network has %d inputs", xc, n.cfg.Inputs)
	}
	for r := 0; r < xr; r++ {
		nz, j := kernels.CountNonzero(X.Row(r))
		if j >= 0 {
			return 0, fmt.Errorf("mlp: X[%d,%d] is %v: inputs must be finite", r, j, X.At(r, j))
		}
		nonzero += nz
	}
	return nonzero, nil
}
