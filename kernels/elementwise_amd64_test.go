//go:build amd64 && gc && !purego

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestElementwiseNonTemporal runs the elementwise kernels with the non-temporal
// path enabled for any size: outputs starting at every offset from a 32-byte
// boundary (the unaligned head goes to the Go twin), inputs at other
// offsets, and outputs that are inputs (the ordinary assembly runs then).
func TestElementwiseNonTemporal(t *testing.T) {
	prev := ntBytes
	ntBytes = 0
	t.Cleanup(func() { ntBytes = prev })
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, c := range allEWCases() {
			for _, n := range []int{0, 15, 16, 17, 40, 41, 100, 333} {
				for off := 0; off < 8; off++ {
					vecRunEWAt(t, im, c, n, rng, off == 3, func(int) int { return off })
				}
				vecRunEWAt(t, im, c, n, rng, false, func(a int) int { return a })
				vecRunEWAt(t, im, c, n, rng, false, func(a int) int { return 5 * a })
			}
		}
	})
	TestElementwiseInPlace(t)
}

func TestNTStart(t *testing.T) {
	prev := ntBytes
	ntBytes = 1 << 20
	t.Cleanup(func() { ntBytes = prev })
	a := vecAllocAt(1<<20, 3)
	b := vecAllocAt(1<<20, 3)
	c := vecAllocAt(1<<20, 4)
	// a starts 3 floats past a 32-byte boundary: 5 floats to the next.
	if _, ok := ntStart(1000, a, b, c); ok {
		t.Errorf("ntStart used non-temporal stores for 12 KB")
	}
	if h, ok := ntStart(len(a), a, b, c); !ok || h != 5 {
		t.Errorf("ntStart = %d, %v, want 5, true", h, ok)
	}
	if _, ok := ntStart(len(a), a, b, a); ok {
		t.Errorf("ntStart used non-temporal stores for an output that is also an input")
	}
}
