package mlp_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// serveNet returns a 20-32-16-outs network for loss with random weights,
// and rows random samples for it with their targets.
func serveNet(t testing.TB, loss mlp.Loss, outs, rows int) (*mlp.Network, *mat32.Dense, *mat32.Dense) {
	t.Helper()
	const inputs = 20
	n, err := mlp.New(mlp.Config{Inputs: inputs, Hidden: []mlp.Layer{{Units: 32, Act: mlp.Tanh}, {Units: 16, Act: mlp.ReLU}},
		Outputs: outs, Loss: loss, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(outs)))
	X := mat32.NewDense(rows, inputs, nil)
	Y := mat32.NewDense(rows, outs, nil)
	for r := range rows {
		for j := range inputs {
			X.Set(r, j, float32(2*rng.NormFloat64()))
		}
		switch loss {
		case mlp.CrossEntropy:
			Y.Set(r, rng.IntN(outs), 1)
		case mlp.BinaryCrossEntropy:
			for j := range outs {
				Y.Set(r, j, float32(rng.IntN(2)))
			}
		default:
			for j := range outs {
				Y.Set(r, j, float32(rng.NormFloat64()))
			}
		}
	}
	return n, X, Y
}

// padded returns a copy of m inside a larger matrix: left columns before
// it, right after it, every other element set to guard.
func padded(m *mat32.Dense, left, right int, guard float32) (view, whole *mat32.Dense) {
	r, c := m.Dims()
	whole = mat32.NewDense(r, left+c+right, nil)
	for i := range r {
		row := whole.Row(i)
		for j := range row {
			row[j] = guard
		}
		copy(row[left:], m.Row(i))
	}
	return whole.Slice(0, r, left, left+c), whole
}

// sameBits reports the first element where a and b differ in their bits.
func sameBits(t *testing.T, what string, got, want *mat32.Dense) {
	t.Helper()
	r, c := want.Dims()
	if gr, gc := got.Dims(); gr != r || gc != c {
		t.Fatalf("%s: %d×%d, want %d×%d", what, gr, gc, r, c)
	}
	for i := range r {
		for j := range c {
			if math.Float32bits(got.At(i, j)) != math.Float32bits(want.At(i, j)) {
				t.Fatalf("%s: [%d,%d] = %v, want %v", what, i, j, got.At(i, j), want.At(i, j))
			}
		}
	}
}

// TestPredictIntoMatchesPredict checks that PredictInto writes Predict's
// outputs bitwise, into compact and strided destinations from compact
// and strided inputs, for row counts around evalRows (4,096), touching
// nothing of dst's matrix outside the view.
func TestPredictIntoMatchesPredict(t *testing.T) {
	for _, c := range []struct {
		loss mlp.Loss
		outs int
	}{{mlp.CrossEntropy, 5}, {mlp.BinaryCrossEntropy, 3}, {mlp.MeanSquaredError, 1}} {
		t.Run("loss="+c.loss.String(), func(t *testing.T) {
			n, X, _ := serveNet(t, c.loss, c.outs, 2*4096+3)
			for _, rows := range []int{1, 7, 64, 4095, 4096, 4097, 2*4096 + 3} {
				x := X.Slice(0, rows, 0, 20)
				want, err := n.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				xs, _ := padded(x, 3, 2, 7)
				guard := float32(math.Pi)
				compact := mat32.NewDense(rows, c.outs, nil)
				ds, whole := padded(compact, 1, 4, guard)
				for _, in := range []*mat32.Dense{x, xs} {
					for _, dst := range []*mat32.Dense{compact, ds} {
						if err := n.PredictInto(dst, in); err != nil {
							t.Fatal(err)
						}
						sameBits(t, fmt.Sprintf("%d rows, X stride %d, dst stride %d", rows, in.Stride(), dst.Stride()), dst, want)
					}
				}
				for i := range rows {
					row := whole.Row(i)
					for j, v := range row {
						if (j < 1 || j >= 1+c.outs) && v != guard {
							t.Fatalf("%d rows: PredictInto wrote %v at [%d,%d], outside dst", rows, v, i, j)
						}
					}
				}
			}
		})
	}
}

// TestPredictIntoErrors checks PredictInto's errors, and that views of one
// buffer that share no element are accepted.
func TestPredictIntoErrors(t *testing.T) {
	n, X, _ := serveNet(t, mlp.CrossEntropy, 4, 10)
	buf := mat32.NewDense(10, 30, nil) // room for X and outputs side by side
	for r := range 10 {
		copy(buf.Row(r), X.Row(r))
	}
	// X3 is 3 samples at a stride of 40: elements [0,20), [40,60), [80,100)
	// of wide; at strides other than X3's, destinations may fall between
	// its rows or meet them.
	wide := make([]float32, 200)
	for r := range 3 {
		copy(wide[40*r:], X.Row(r))
	}
	X3 := mat32.NewDense(3, 40, wide[:120]).Slice(0, 3, 0, 20)
	at := func(off, stride int) *mat32.Dense {
		return mat32.NewDense(3, stride, wide[off:off+3*stride]).Slice(0, 3, 0, 4)
	}
	for _, c := range []struct {
		name   string
		dst, X *mat32.Dense
		want   string // in the error; "" for none
	}{
		{"ok", mat32.NewDense(10, 4, nil), X, ""},
		{"nil dst", nil, X, "dst is nil, need a 10×4 matrix"},
		{"empty dst", &mat32.Dense{}, X, "dst is 0×0, need 10×4"},
		{"short dst", mat32.NewDense(9, 4, nil), X, "dst is 9×4, need 10×4"},
		{"narrow dst", mat32.NewDense(10, 3, nil), X, "dst is 10×3, need 10×4"},
		{"nil X", mat32.NewDense(10, 4, nil), nil, "X needs at least one sample"},
		{"wide X", mat32.NewDense(10, 4, nil), mat32.NewDense(10, 21, nil), "X has 21 columns, the network has 20 inputs"},
		{"NaN X", mat32.NewDense(1, 4, nil), mat32.NewDense(1, 20, append(make([]float32, 19), float32(math.NaN()))), "X[0,19] is NaN"},
		{"dst is X", buf.Slice(0, 10, 0, 4), buf.Slice(0, 10, 0, 20), "dst shares memory with X"},
		{"dst in X's last column", buf.Slice(0, 10, 19, 23), buf.Slice(0, 10, 0, 20), "dst shares memory with X"},
		{"dst beside X", buf.Slice(0, 10, 20, 24), buf.Slice(0, 10, 0, 20), ""},
		{"dst beside X, a row down", buf.Slice(1, 10, 20, 24), buf.Slice(0, 9, 0, 20), ""},
		{"dst between X's rows", at(20, 40), X3, ""},
		{"dst between X's rows, longer stride", at(24, 44), X3, ""},
		{"dst meets X's second row", at(20, 30), X3, "dst shares memory with X"},
		{"dst meets X's first row", at(16, 44), X3, "dst shares memory with X"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := n.PredictInto(c.dst, c.X)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "mlp: ")):
				t.Fatalf("error %v, want one with %q", err, c.want)
			}
			if err == nil {
				want, err := n.Predict(c.X)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, c.name, c.dst, want)
			}
		})
	}
}

// TestPredictIntoAllocs checks that PredictInto allocates nothing once a
// call of as many rows has returned.
func TestPredictIntoAllocs(t *testing.T) {
	n, X, _ := serveNet(t, mlp.CrossEntropy, 10, 256)
	for _, rows := range []int{1, 16, 256} {
		x := X.Slice(0, rows, 0, 20)
		dst := mat32.NewDense(rows, 10, nil)
		if err := n.PredictInto(dst, x); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(20, func() {
			if err := n.PredictInto(dst, x); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("PredictInto of %d rows: %v allocations a call", rows, a)
		}
	}
	// A workspace for 256 rows serves fewer without allocating.
	dst, x := mat32.NewDense(3, 10, nil), X.Slice(5, 8, 0, 20)
	if a := testing.AllocsPerRun(20, func() { _ = n.PredictInto(dst, x) }); a != 0 {
		t.Errorf("PredictInto of 3 rows after 256: %v allocations a call", a)
	}
}

// TestConcurrentServe runs Predict, PredictInto, Evaluate and Clone from
// 16 goroutines at once on one network, for row counts up to past
// evalRows, and checks every result against the one-goroutine results
// bitwise. Run it under -race.
func TestConcurrentServe(t *testing.T) {
	n, X, Y := serveNet(t, mlp.CrossEntropy, 4, 4100)
	sizes := []int{1, 3, 16, 100, 4100}
	type want struct {
		x, y *mat32.Dense
		p    *mat32.Dense
		m    mlp.Metrics
	}
	wants := make([]want, len(sizes))
	for i, rows := range sizes {
		w := &wants[i]
		w.x, w.y = X.Slice(0, rows, 0, 20), Y.Slice(0, rows, 0, 4)
		var err error
		if w.p, err = n.Predict(w.x); err != nil {
			t.Fatal(err)
		}
		if w.m, err = n.Evaluate(w.x, w.y); err != nil {
			t.Fatal(err)
		}
	}
	const goroutines = 16
	iters := 12
	if testing.Short() {
		iters = 4
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			dsts := make([]*mat32.Dense, len(sizes))
			for i, rows := range sizes {
				dsts[i] = mat32.NewDense(rows, 4, nil)
			}
			for it := range iters {
				i := (g + it) % len(sizes)
				w := &wants[i]
				var err error
				switch (g + 2*it) % 4 {
				case 0:
					var p *mat32.Dense
					if p, err = n.Predict(w.x); err == nil && !mat32.Equal(p, w.p) {
						err = fmt.Errorf("Predict of %d rows differs from one goroutine's", sizes[i])
					}
				case 1:
					if err = n.PredictInto(dsts[i], w.x); err == nil && !mat32.Equal(dsts[i], w.p) {
						err = fmt.Errorf("PredictInto of %d rows differs from one goroutine's", sizes[i])
					}
				case 2:
					var m mlp.Metrics
					if m, err = n.Evaluate(w.x, w.y); err == nil && m != w.m {
						err = fmt.Errorf("Evaluate of %d rows gives %+v, one goroutine %+v", sizes[i], m, w.m)
					}
				case 3:
					if sizes[i] > 100 {
						continue
					}
					var p *mat32.Dense
					if p, err = n.Clone().Predict(w.x); err == nil && !mat32.Equal(p, w.p) {
						err = fmt.Errorf("a Clone's Predict of %d rows differs from the original's", sizes[i])
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCloneIndependent checks that a Clone predicts as the original does,
// and that training it, even while the original serves from other
// goroutines, leaves the original's weights and predictions unchanged.
func TestCloneIndependent(t *testing.T) {
	n, X, Y := serveNet(t, mlp.BinaryCrossEntropy, 2, 200)
	before, err := n.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	c := n.Clone()
	if got, want := fmt.Sprint(c.Config()), fmt.Sprint(n.Config()); got != want {
		t.Errorf("Clone's Config is %s, the original's %s", got, want)
	}
	p, err := c.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "Clone's Predict", p, before)
	for l := range n.NumLayers() {
		if &c.Weights(l).RawMatrix().Data[0] == &n.Weights(l).RawMatrix().Data[0] || &c.Bias(l)[0] == &n.Bias(l)[0] {
			t.Fatalf("layer %d: the Clone shares the original's weights", l)
		}
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			dst := mat32.NewDense(200, 2, nil)
			for {
				if err := n.PredictInto(dst, X); err != nil {
					t.Error(err)
					return
				}
				if !mat32.Equal(dst, before) {
					t.Error("the original's predictions changed while its Clone trained")
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	_, err = c.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.Adam{LR: 0.01}, Epochs: 3, BatchSize: 50, Seed: 1})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	after, err := n.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "the original's Predict after its Clone trained", after, before)
	trained, err := c.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	if mat32.Equal(trained, before) {
		t.Error("training the Clone did not change its predictions")
	}
}

// A server answers requests from several goroutines on one network, each
// goroutine predicting into a matrix it reuses, so that serving allocates
// nothing once each has answered its first request.
func ExampleNetwork_PredictInto() {
	X := mat32.NewDense(4, 2, []float32{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{0, 1, 1, 0})
	net, err := mlp.New(mlp.Config{Inputs: 2, Hidden: []mlp.Layer{{Units: 8, Act: mlp.Tanh}}, Outputs: 1,
		Loss: mlp.BinaryCrossEntropy, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := net.Fit(context.Background(), X, Y, mlp.FitConfig{Optimizer: mlp.Adam{LR: 0.05}, Iterations: 300}); err != nil {
		log.Fatal(err)
	}

	// Requests: one sample each; answers: the class, 0 or 1.
	requests := make(chan int)
	answers := make([]int, 12)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			out := mat32.NewDense(1, 1, nil) // this goroutine's, reused
			for i := range requests {
				in := X.Slice(i%4, i%4+1, 0, 2)
				if err := net.PredictInto(out, in); err != nil {
					log.Fatal(err)
				}
				if out.At(0, 0) >= 0.5 {
					answers[i] = 1
				}
			}
		})
	}
	for i := range answers {
		requests <- i
	}
	close(requests)
	wg.Wait()
	fmt.Println(answers)
	// Output: [0 1 1 0 0 1 1 0 0 1 1 0]
}
