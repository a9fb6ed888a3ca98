package mlp

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// The reference workload's shape: MNIST 5 vs 8, 784-196-1, full batch.
const (
	refSamples = 11272
	refInputs  = 784
	refHidden  = 196
)

// refData returns random data of the reference workload's shape: pixels
// in [0, 1] and 0/1 labels.
func refData(rows int) (X, Y *mat32.Dense) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, rows*refInputs)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]float32, rows)
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	return mat32.NewDense(rows, refInputs, x), mat32.NewDense(rows, 1, y)
}

// refNet returns the reference workload's network.
func refNet(tb testing.TB) *Network {
	n, err := New(Config{Inputs: refInputs, Hidden: []Layer{{refHidden, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// stepper runs single training steps of a network on fixed data.
type stepper struct {
	n    *Network
	X, Y *mat32.Dense
	up   updater
	step int
}

func newStepper(tb testing.TB, n *Network, X, Y *mat32.Dense) *stepper {
	up, err := GD{LR: 0.1}.start(n.NumParams())
	if err != nil {
		tb.Fatal(err)
	}
	rows, _ := X.Dims()
	n.train = n.newWorkspace(rows, true)
	return &stepper{n: n, X: X, Y: Y, up: up}
}

// run takes one full-batch step.
func (s *stepper) run() {
	n, ws := s.n, s.n.train
	xs, ys := s.X.RawMatrix(), s.Y.RawMatrix()
	s.step++
	n.step(ws, xs.Data, xs.Stride, ys.Data, xs.Rows, s.up, s.step, s.up.rate())
}

// gemms runs the step's matrix products alone, as plain Sgemm calls.
func (s *stepper) gemms() {
	n, ws := s.n, s.n.train
	xs := s.X.RawMatrix()
	rows := xs.Rows
	for i, l := range n.layers {
		a, lda := n.input(ws, i, xs.Data, xs.Stride)
		kernels.Sgemm(false, true, rows, l.out, l.in, 1, a, lda, l.w, l.in, 0, ws.out[i][:rows*l.out], l.out)
	}
	for i := len(n.layers) - 1; i >= 0; i-- {
		l := n.layers[i]
		a, lda := n.input(ws, i, xs.Data, xs.Stride)
		dz := ws.grad[0][:rows*l.out]
		kernels.Sgemm(true, false, l.out, l.in, rows, 1, dz, l.out, a, lda, 0, ws.grads[l.off:l.off+l.out*l.in], l.in)
		if i > 0 {
			kernels.Sgemm(false, false, rows, l.in, l.out, 1, dz, l.out, l.w, l.in, 0, ws.grad[1][:rows*l.in], l.in)
		}
	}
}

// BenchmarkStepOverhead alternates a training step and its GEMMs alone on
// the same shapes, and reports their time ratio: what everything besides
// GEMM costs.
func BenchmarkStepOverhead(b *testing.B) {
	X, Y := refData(refSamples)
	s := newStepper(b, refNet(b), X, Y)
	s.run()
	var step, gemm time.Duration
	for b.Loop() {
		t0 := time.Now()
		s.run()
		t1 := time.Now()
		s.gemms()
		gemm += time.Since(t1)
		step += t1.Sub(t0)
	}
	b.ReportMetric(float64(step.Microseconds())/1e3/float64(b.N), "step-ms")
	b.ReportMetric(float64(gemm.Microseconds())/1e3/float64(b.N), "gemm-ms")
	b.ReportMetric(float64(step)/float64(gemm), "step/gemm")
}

// useImpl makes the kernels' implementation name the default for the rest
// of the test or benchmark.
func useImpl(tb testing.TB, name string) {
	prev := kernels.Default().Name()
	if err := kernels.Use(name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := kernels.Use(prev); err != nil {
			panic(fmt.Sprint(err))
		}
	})
}
