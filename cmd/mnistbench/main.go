// Command mnistbench reports float32 training throughput on this machine.
//
// Until the MLP trainer lands it measures the GEMM work of one full-batch
// iteration of the reference workload (MNIST 5 vs 8: 11,272 samples, a
// 784-196-1 network): the forward product X·W1ᵀ and the weight gradient
// dZ1ᵀ·X, on random data of the same shapes, against the machine's measured
// FMA peak.
//
//	go run ./cmd/mnistbench [-iters N] [-threads T] [-kernels auto|avx2|generic]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gofma/gofma/kernels"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mnistbench:", err)
		os.Exit(1)
	}
}

func run() error {
	iters := flag.Int("iters", 10, "iterations to time")
	threads := flag.Int("threads", 0, "threads for the kernels (0 = GOMAXPROCS)")
	impl := flag.String("kernels", "auto", "kernel implementation: auto, avx2 or generic")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", flag.Arg(0))
	}
	if *iters < 1 {
		return fmt.Errorf("-iters = %d, want at least 1", *iters)
	}
	if *threads < 0 {
		return fmt.Errorf("-threads = %d, want 0 (all) or more", *threads)
	}
	if err := kernels.Use(*impl); err != nil {
		return err
	}
	kernels.SetThreads(*threads)

	info := kernels.Info()
	fmt.Println(info)
	peak, err := kernels.MeasurePeak(info.Threads, 300*time.Millisecond)
	if err != nil {
		fmt.Println("peak: not measured:", err)
	} else {
		fmt.Printf("FMA peak (%d threads): %.1f GFLOP/s\n", info.Threads, peak)
	}

	const samples, in, hidden = 11272, 784, 196
	rng := rand.New(rand.NewPCG(1, 2))
	x := randn(rng, samples*in)
	w := randn(rng, hidden*in)
	dz := randn(rng, samples*hidden)
	z := make([]float32, samples*hidden)
	dw := make([]float32, hidden*in)
	steps := []struct {
		name string
		f    func()
	}{
		{"forward Z1 = X·W1ᵀ   11272×196×784", func() {
			kernels.Sgemm(false, true, samples, hidden, in, 1, x, in, w, in, 0, z, hidden)
		}},
		{"backward dW1 = dZ1ᵀ·X 196×784×11272", func() {
			kernels.Sgemm(true, false, hidden, in, samples, 1, dz, hidden, x, in, 0, dw, in)
		}},
	}
	flop := 2.0 * samples * in * hidden
	var total time.Duration
	for _, s := range steps {
		s.f() // warm up
		start := time.Now()
		for i := 0; i < *iters; i++ {
			s.f()
		}
		el := time.Since(start) / time.Duration(*iters)
		total += el
		fmt.Printf("%-38s %8.2f ms  %6.1f GFLOP/s%s\n", s.name, ms(el), flop/el.Seconds()/1e9, share(flop/el.Seconds()/1e9, peak))
	}
	g := 2 * flop / total.Seconds() / 1e9
	fmt.Printf("%-38s %8.2f ms  %6.1f GFLOP/s%s\n", "GEMMs of one training iteration", ms(total), g, share(g, peak))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func share(g, peak float64) string {
	if peak <= 0 {
		return ""
	}
	return fmt.Sprintf("  %3.0f%% of peak", 100*g/peak)
}

func randn(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}
