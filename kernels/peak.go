package kernels

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// errNoPeakProbe is returned by MeasurePeak where no FMA assembly runs.
var errNoPeakProbe = errors.New("kernels: no FMA peak probe: needs AVX2 and FMA3 and a build without purego")

// peakIters is one probe call: 192 FLOP per iteration, ≈ 0.25 ms at peak.
const peakIters = 1 << 17

// MeasurePeak measures this machine's float32 FMA throughput in GFLOP/s
// with threads goroutines, each running 12 independent 8-wide FMA chains
// for about d. It reports the machine's peak, against which kernels are
// judged; it errors on machines without the AVX2/FMA assembly.
func MeasurePeak(threads int, d time.Duration) (float64, error) {
	if !hasAVX2FMA() {
		return 0, errNoPeakProbe
	}
	if d <= 0 {
		return 0, fmt.Errorf("kernels: MeasurePeak duration %v, must be positive", d)
	}
	threads = max(threads, 1)
	fmaProbe(1) // warm up
	var wg sync.WaitGroup
	calls := make([]int, threads)
	start := time.Now()
	deadline := start.Add(d)
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				fmaProbe(peakIters)
				calls[t]++
			}
		}(t)
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	total := 0
	for _, c := range calls {
		total += c
	}
	return float64(total) * peakIters * 192 / el / 1e9, nil
}
