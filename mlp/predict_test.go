package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// evalData returns a network of shape 6-16-outs for loss, with weights
// scaled up so that outputs spread, and rows samples.
func evalData(t *testing.T, loss Loss, outs, rows int) (*Network, *mat32.Dense, *mat32.Dense) {
	t.Helper()
	n, err := New(Config{Inputs: 6, Hidden: []Layer{{16, Tanh}}, Outputs: outs, Loss: loss, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(loss), 9))
	for i := range n.params {
		n.params[i] *= 2
	}
	x := make([]float32, rows*6)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, rows*outs)
	for r := 0; r < rows; r++ {
		switch loss {
		case CrossEntropy:
			y[r*outs+rng.IntN(outs)] = 1
		case BinaryCrossEntropy:
			for j := 0; j < outs; j++ {
				y[r*outs+j] = float32(rng.IntN(2))
			}
		default:
			for j := 0; j < outs; j++ {
				y[r*outs+j] = float32(rng.NormFloat64())
			}
		}
	}
	return n, mat32.NewDense(rows, 6, x), mat32.NewDense(rows, outs, y)
}

// TestPredict checks Predict's outputs against the float64 reference's
// heads: probabilities for sigmoid, distributions for softmax.
func TestPredict(t *testing.T) {
	const rows = 50
	for _, im := range kernels.Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			useImpl(t, im.Name())
			for _, c := range []struct {
				loss Loss
				outs int
			}{{BinaryCrossEntropy, 1}, {BinaryCrossEntropy, 3}, {CrossEntropy, 4}, {MeanSquaredError, 2}} {
				n, X, _ := evalData(t, c.loss, c.outs, rows)
				p, err := n.Predict(X)
				if err != nil {
					t.Fatal(err)
				}
				if r, cols := p.Dims(); r != rows || cols != c.outs {
					t.Fatalf("%v: Predict gave %d×%d, want %d×%d", c.loss, r, cols, rows, c.outs)
				}
				ref := newRefMLP(n)
				_, post := ref.forward(ref.params, toF64(X), rows)
				z := post[len(post)-1]
				for r := 0; r < rows; r++ {
					want := ref.head(z[r*c.outs : (r+1)*c.outs])
					got := p.Row(r)
					sum := 0.0
					for j, v := range got {
						if c.loss != MeanSquaredError && (v < 0 || v > 1) {
							t.Errorf("%v: output [%d,%d] = %v is not a probability", c.loss, r, j, v)
						}
						if math.Abs(float64(v)-want[j]) > 1e-5*math.Max(1, math.Abs(want[j])) {
							t.Errorf("%v: output [%d,%d] = %v, float64 reference %v", c.loss, r, j, v, want[j])
						}
						sum += float64(v)
					}
					if c.loss == CrossEntropy && math.Abs(sum-1) > 1e-5 {
						t.Errorf("softmax row %d sums to %v", r, sum)
					}
				}
			}
		})
	}
}

// TestEvaluateChunks evaluates more than evalRows samples, which Predict
// and Evaluate pass in chunks, and compares with the float64 reference,
// with predicting in pieces and with a strided view of the same data.
func TestEvaluateChunks(t *testing.T) {
	rows := 2*evalRows + 123
	if testing.Short() {
		rows = evalRows + 5
	}
	for _, c := range []struct {
		loss Loss
		outs int
	}{{BinaryCrossEntropy, 2}, {CrossEntropy, 3}, {MeanSquaredError, 1}} {
		t.Run("loss="+c.loss.String(), func(t *testing.T) {
			n, X, Y := evalData(t, c.loss, c.outs, rows)
			m, err := n.Evaluate(X, Y)
			if err != nil {
				t.Fatal(err)
			}
			ref := newRefMLP(n)
			x, y := toF64(X), toF64(Y)
			want := ref.lossAt(ref.params, x, y, rows)
			acc := ref.accuracy(x, y, rows)
			if math.Abs(m.Loss-want) > 1e-5*math.Max(1, want) {
				t.Errorf("loss %.9g, float64 reference %.9g", m.Loss, want)
			}
			if c.loss == MeanSquaredError {
				if !math.IsNaN(m.Accuracy) {
					t.Errorf("MSE accuracy %v, want NaN", m.Accuracy)
				}
			} else if math.Abs(m.Accuracy-acc) > 2.0/float64(rows) {
				t.Errorf("accuracy %.6f, float64 reference %.6f", m.Accuracy, acc)
			}
			if c.loss != MeanSquaredError && (m.Accuracy < 0.2 || m.Accuracy > 0.8) {
				t.Logf("accuracy %v: random data should give about chance", m.Accuracy)
			}

			// Predicting all at once equals predicting in pieces.
			all, err := n.Predict(X)
			if err != nil {
				t.Fatal(err)
			}
			for _, cut := range [][2]int{{0, 1000}, {1000, evalRows + 1}, {evalRows + 1, rows}} {
				part, err := n.Predict(X.Slice(cut[0], cut[1], 0, 6))
				if err != nil {
					t.Fatal(err)
				}
				for r := cut[0]; r < cut[1]; r++ {
					for j, v := range part.Row(r - cut[0]) {
						if math.Float32bits(v) != math.Float32bits(all.At(r, j)) {
							t.Fatalf("row %d: Predict of rows %v gives %v, of all rows %v", r, cut, v, all.At(r, j))
						}
					}
				}
			}

			// A strided view of the same data evaluates the same.
			wide := mat32.NewDense(rows, 9, nil)
			wideY := mat32.NewDense(rows, c.outs+2, nil)
			for r := 0; r < rows; r++ {
				copy(wide.Row(r)[1:], X.Row(r))
				copy(wideY.Row(r)[2:], Y.Row(r))
			}
			Xs, Ys := wide.Slice(0, rows, 1, 7), wideY.Slice(0, rows, 2, 2+c.outs)
			ms, err := n.Evaluate(Xs, Ys)
			if err != nil {
				t.Fatal(err)
			}
			if ms.Loss != m.Loss || !(ms.Accuracy == m.Accuracy || math.IsNaN(m.Accuracy)) {
				t.Errorf("strided view: %+v, compact: %+v", ms, m)
			}
			ps, err := n.Predict(Xs)
			if err != nil {
				t.Fatal(err)
			}
			if !mat32.Equal(ps, all) {
				t.Error("strided view: Predict differs from the compact matrix's")
			}
		})
	}
}

// TestFitStrided checks that Fit on strided views of the data trains
// exactly as on compact copies, full batch and in mini-batches.
func TestFitStrided(t *testing.T) {
	n0, X, Y := evalData(t, CrossEntropy, 3, 40)
	wide := mat32.NewDense(40, 8, nil)
	wideY := mat32.NewDense(40, 5, nil)
	for r := 0; r < 40; r++ {
		copy(wide.Row(r)[2:], X.Row(r))
		copy(wideY.Row(r)[1:], Y.Row(r))
	}
	Xs, Ys := wide.Slice(0, 40, 2, 8), wideY.Slice(0, 40, 1, 4)
	for _, cfg := range []FitConfig{
		{Optimizer: GD{}, Iterations: 3},
		{Optimizer: Adam{}, Epochs: 2, BatchSize: 7, Seed: 3},
	} {
		a, b := n0.Clone(), n0.Clone()
		ra, err := a.Fit(t.Context(), X, Y, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Fit(t.Context(), Xs, Ys, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if ra.Loss != rb.Loss {
			t.Errorf("%v: last loss %v on compact data, %v on strided views", cfg.Optimizer, ra.Loss, rb.Loss)
		}
		for i := range a.params {
			if math.Float32bits(a.params[i]) != math.Float32bits(b.params[i]) {
				t.Fatalf("%v: param %d is %v on compact data, %v on strided views", cfg.Optimizer, i, a.params[i], b.params[i])
			}
		}
	}
}

// TestEvalMemoryFollowsRows checks that Predict and Evaluate of a few rows
// allocate in proportion to those rows, not to evalRows: on a model of
// 0.4 MB whose workspace for evalRows rows would take 0.5 GiB. It also
// checks that the workspace is reused, and grown, without changing any
// result.
func TestEvalMemoryFollowsRows(t *testing.T) {
	cfg := Config{Inputs: 1, Hidden: []Layer{{1 << 15, ReLU}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 2}
	nets := make([]*Network, 3)
	for i := range nets {
		var err error
		if nets[i], err = New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	n := nets[0]
	model := uint64(4 * n.NumParams())
	X := mat32.NewDense(9, 1, []float32{-2, -1, -0.5, 0, 0.25, 0.5, 1, 2, 3})
	Y := mat32.NewDense(9, 1, []float32{0, 1, 0, 1, 0, 1, 0, 1, 1})
	one, oneY := X.Slice(0, 1, 0, 1), Y.Slice(0, 1, 0, 1)
	// The kernels keep scratch for products of this shape, which does not
	// depend on the rows: let another network make it first.
	if _, err := nets[2].Evaluate(one, oneY); err != nil {
		t.Fatal(err)
	}
	allocated := func(f func() error) uint64 {
		t.Helper()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := f()
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	var p1 *mat32.Dense
	if d := allocated(func() (err error) { p1, err = n.Predict(one); return err }); d > 2*model {
		t.Errorf("Predict of 1 row allocated %d bytes, the model has %d", d, model)
	}
	if d := allocated(func() error { _, err := nets[1].Evaluate(one, oneY); return err }); d > 2*model {
		t.Errorf("Evaluate of 1 row allocated %d bytes, the model has %d", d, model)
	}
	if d := allocated(func() error { _, err := n.Predict(one); return err }); d > 1<<10 {
		t.Errorf("a second Predict of 1 row allocated %d bytes: the workspace was not reused", d)
	}
	if n.evals.last().rows != 1 {
		t.Errorf("the workspace holds %d rows after passes over 1", n.evals.last().rows)
	}

	// The workspace grows to the rows asked for; results do not depend on
	// its size: every row alone predicts as among all.
	all, err := n.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	if n.evals.last().rows != 9 || len(n.evals.free) != 1 {
		t.Errorf("the free list holds %d workspaces, the last of %d rows, after a pass over 9", len(n.evals.free), n.evals.last().rows)
	}
	if math.Float32bits(p1.At(0, 0)) != math.Float32bits(all.At(0, 0)) {
		t.Errorf("row 0: %v alone, %v among 9", p1.At(0, 0), all.At(0, 0))
	}
	for r := range 9 {
		p, err := n.Predict(X.Slice(r, r+1, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if math.Float32bits(p.At(0, 0)) != math.Float32bits(all.At(r, 0)) {
			t.Errorf("row %d: %v alone, %v among 9", r, p.At(0, 0), all.At(r, 0))
		}
	}
	m9, err := n.Evaluate(X, Y)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := nets[1].Evaluate(X, Y); err != nil || m != m9 {
		t.Errorf("Evaluate of 9 rows: %+v after passes over 1 and 9 rows, %+v after one over 1 (%v)", m9, m, err)
	}
}

// TestEvalPool checks the free list of evaluation workspaces: calls that
// overlap each get their own workspace; given back, the largest
// GOMAXPROCS are kept; a call takes the smallest large enough, or drops a
// free one that is too small before making its own.
func TestEvalPool(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	n, _, _ := evalData(t, CrossEntropy, 3, 1)
	rowsOf := func() []int {
		var r []int
		for _, ws := range n.evals.free {
			r = append(r, ws.rows)
		}
		return r
	}
	var taken []*workspace
	for _, rows := range []int{5, 1, 40, 9, 7} {
		taken = append(taken, n.takeEval(rows))
	}
	seen := map[*workspace]bool{}
	for _, ws := range taken {
		if seen[ws] {
			t.Fatal("two calls at once were given one workspace")
		}
		seen[ws] = true
	}
	for _, ws := range taken {
		n.giveEval(ws)
	}
	if got := fmt.Sprint(rowsOf()); got != "[40 9 7]" {
		t.Fatalf("after giving back workspaces of 5, 1, 40, 9, 7 rows with GOMAXPROCS 3, the list keeps %s, want [40 9 7]", got)
	}
	if ws := n.takeEval(8); ws.rows != 9 {
		t.Errorf("a call of 8 rows took the workspace of %d, want the smallest large enough, 9", ws.rows)
	} else {
		n.giveEval(ws)
	}
	a, b := n.takeEval(40), n.takeEval(8) // the free list keeps 7
	c := n.takeEval(100)                  // drops the 7
	if got := fmt.Sprint(rowsOf()); a.rows != 40 || b.rows != 9 || c.rows != 100 || got != "[]" {
		t.Errorf("took %d, %d and %d rows, left %s; want 40, 9, 100 and none", a.rows, b.rows, c.rows, got)
	}
	for _, ws := range []*workspace{a, b, c} {
		n.giveEval(ws)
	}
	if got := fmt.Sprint(rowsOf()); got != "[40 9 100]" {
		t.Errorf("the list keeps %s, want [40 9 100]", got)
	}
}
