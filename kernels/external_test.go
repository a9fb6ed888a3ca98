package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestWithSgemm checks that an implementation with an external Sgemm runs
// every product through it, applies epilogues after it as the fused path
// does, and checks arguments before the external function sees them.
func TestWithSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		ext, calls := counting(im, "ext")
		if ext.Name() != "ext" || im.Name() == "ext" {
			t.Fatalf("names: ext %q, base %q", ext.Name(), im.Name())
		}
		for _, s := range [][3]int{{1, 1, 1}, {7, 17, 5}, {3*extEpilogueRows + 5, 3*nr + 9, 33}} {
			for _, tr := range transposeCombos {
				for _, act := range []Activation{ActIdentity, ActSigmoid, ActTanh, ActReLU} {
					for _, perRow := range []bool{false, true} {
						checkEpilogue(t, ext, rng, tr[0], tr[1], s[0], s[1], s[2], 0.5, Epilogue{BiasPerRow: perRow, Act: act}, true)
					}
				}
			}
		}
		if *calls == 0 {
			t.Fatal("the external Sgemm was never called")
		}
		*calls = 0
		msg, ok := panicMessage(func() {
			ext.Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		})
		if !ok || !containsAll(msg, "len(a) = 3") || *calls != 0 {
			t.Fatalf("short a: panic %q (panicked %t), external calls %d", msg, ok, *calls)
		}
	})
}

func TestSwap(t *testing.T) {
	restoreDefault(t)
	base := Default()
	ext, calls := counting(base, "counting")
	if prev := Swap(ext); prev != base {
		t.Fatalf("Swap returned %s, want %s", prev.Name(), base.Name())
	}
	c := make([]float32, 4)
	Sgemm(false, false, 2, 2, 2, 1, []float32{1, 2, 3, 4}, 2, []float32{1, 0, 0, 1}, 2, 0, c, 2)
	if *calls != 1 || c[3] != 4 || Default().Name() != "counting" {
		t.Fatalf("after Swap: %d calls, c = %v, default %s", *calls, c, Default().Name())
	}
	if prev := Swap(base); prev != ext {
		t.Fatalf("second Swap returned %s", prev.Name())
	}
	for _, f := range []func(){func() { Swap(nil) }, func() { base.WithSgemm("x", nil) }} {
		if _, ok := panicMessage(f); !ok {
			t.Fatal("nil argument did not panic")
		}
	}
}

// counting returns an implementation named name whose products run on im's
// Sgemm through an external function, and the count of its calls.
func counting(im *Impl, name string) (*Impl, *int) {
	calls := new(int)
	return im.WithSgemm(name, func(transA, transB bool, m, n, k int, alpha float32,
		a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		*calls++
		im.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}), calls
}
