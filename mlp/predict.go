package mlp

import (
	"math"

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

// evalWorkspace returns the workspace of Predict and Evaluate, separate
// from Fit's so that Fit's callbacks may call them, for passes over up to
// rows samples (at most evalRows). It keeps the workspace it has when that
// is large enough, and otherwise makes one for rows samples, so memory
// follows the rows asked for.
func (n *Network) evalWorkspace(rows int) *workspace {
	ws := n.eval
	if ws == nil || ws.rows < rows {
		n.eval = nil // let the old workspace go before the new one is made
		ws = n.newWorkspace(rows, false)
		ws.y = make([]float32, rows*n.cfg.Outputs)
		n.eval = ws
	}
	return ws
}

// Predict returns the network's outputs for the samples X (N×inputs):
// probabilities for the cross-entropy heads, values for MeanSquaredError.
// Predict and Evaluate pass up to 4,096 samples at once through a
// workspace that the network keeps for later calls, made for the fewer of
// N and 4,096 samples (or kept, if larger).
func (n *Network) Predict(X *mat32.Dense) (*mat32.Dense, error) {
	if err := n.checkInputs(X); err != nil {
		return nil, err
	}
	xs := X.RawMatrix()
	ws := n.evalWorkspace(min(xs.Rows, evalRows))
	outs := n.cfg.Outputs
	res := make([]float32, xs.Rows*outs)
	for r0 := 0; r0 < xs.Rows; r0 += evalRows {
		rows := min(evalRows, xs.Rows-r0)
		n.forward(ws, xs.Data[r0*xs.Stride:], xs.Stride, rows)
		n.cfg.Loss.head(res[r0*outs:(r0+rows)*outs], ws.out[len(n.layers)-1][:rows*outs], rows, outs)
	}
	return mat32.NewDense(xs.Rows, outs, res), nil
}

// Evaluate returns the loss and accuracy of the network on the samples X
// and targets Y, which are checked as Fit checks them.
func (n *Network) Evaluate(X, Y *mat32.Dense) (Metrics, error) {
	if err := n.checkData(X, Y); err != nil {
		return Metrics{}, err
	}
	xs, ys := X.RawMatrix(), Y.RawMatrix()
	outs := n.cfg.Outputs
	sum, right, total := 0.0, 0, 0
	ws := n.evalWorkspace(min(xs.Rows, evalRows))
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
	return m, nil
}
