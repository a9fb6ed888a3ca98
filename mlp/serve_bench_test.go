package mlp_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// servingRows are the request sizes the serving benchmarks measure: one
// sample, a small batch, a large one.
var servingRows = []int{1, 16, 256}

// servingNet returns the everyday network, 784-256-128-10 with sigmoid
// hidden layers and softmax cross-entropy, with New's random weights.
func servingNet(b *testing.B) *mlp.Network {
	n, err := mlp.New(mlp.Config{Inputs: 784, Hidden: []mlp.Layer{{Units: 256, Act: mlp.Sigmoid}, {Units: 128, Act: mlp.Sigmoid}},
		Outputs: 10, Loss: mlp.CrossEntropy, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// servingInputs returns rows samples of 784 inputs in [0, 1).
func servingInputs(rows int, seed uint64) *mat32.Dense {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, rows*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	return mat32.NewDense(rows, 784, x)
}

// BenchmarkPredict measures serving latency: PredictInto of the everyday
// network on requests of rows samples, one at a time, into a reused
// matrix. It reports microseconds a call and samples a second.
func BenchmarkPredict(b *testing.B) {
	n := servingNet(b)
	for _, rows := range servingRows {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			X, dst := servingInputs(rows, 1), mat32.NewDense(rows, 10, nil)
			for range 10 { // warm up: the workspaces, the network's and the kernels'
				if err := n.PredictInto(dst, X); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := n.PredictInto(dst, X); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(sec*1e6/float64(b.N), "us/call")
			b.ReportMetric(float64(rows*b.N)/sec, "rows/s")
		})
	}
}

// BenchmarkPredictParallel measures serving throughput: PredictInto of the
// everyday network from GOMAXPROCS goroutines (b.RunParallel) on one
// network, on requests of rows samples, each goroutine into its own
// reused matrix. It reports samples a second over all goroutines.
func BenchmarkPredictParallel(b *testing.B) {
	n := servingNet(b)
	for _, rows := range servingRows {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			X := servingInputs(rows, 1)
			// Warm up: calls that overlap make the workspaces, the
			// network's and the kernels', that the timed ones reuse.
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					dst := mat32.NewDense(rows, 10, nil)
					for range 10 {
						if err := n.PredictInto(dst, X); err != nil {
							b.Error(err)
						}
					}
				})
			}
			wg.Wait()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				dst := mat32.NewDense(rows, 10, nil)
				for pb.Next() {
					if err := n.PredictInto(dst, X); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
