package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSgemmEpilogue compares the fused epilogue with Sgemm followed by the
// bias and activation computed in float64, for every implementation,
// transpose, bias layout and activation, on shapes with edge tiles and with
// several K blocks (the epilogue must run once, after the last).
func TestSgemmEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{1, 1, 1}, {7, 17, 5}, {13, 40, 2*kcBlock + 3}, {mcBlock + 5, 3*nr + 9, 33}, {2*mr + 1, ncBlock + 8, 20}}
	if testing.Short() {
		shapes = shapes[:4]
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for _, tr := range transposeCombos {
				for _, act := range []Activation{ActIdentity, ActSigmoid, ActTanh, ActReLU} {
					for _, perRow := range []bool{false, true} {
						for _, beta := range []float32{0, 0.5} {
							checkEpilogue(t, im, rng, tr[0], tr[1], m, n, k, beta, Epilogue{BiasPerRow: perRow, Act: act}, true)
						}
					}
				}
				checkEpilogue(t, im, rng, tr[0], tr[1], m, n, k, 0, Epilogue{Act: ActSigmoid}, false) // no bias
			}
		}
		// alpha == 0 and k == 0 still apply the epilogue.
		checkEpilogue(t, im, rng, false, false, 9, 20, 0, 0.5, Epilogue{Act: ActTanh}, true)
	})
}

func checkEpilogue(t *testing.T, im *Impl, rng *rand.Rand, transA, transB bool, m, n, k int, beta float32, ep Epilogue, withBias bool) {
	t.Helper()
	ar, ac, br, bc := m, k, k, n
	if transA {
		ar, ac = k, m
	}
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+1, bc+2, n+3
	a := randSlice(rng, max(0, (ar-1)*lda+ac))
	b := randSlice(rng, max(0, (br-1)*ldb+bc))
	c0 := randSlice(rng, (m-1)*ldc+n)
	if withBias {
		if ep.BiasPerRow {
			ep.Bias = randSlice(rng, m)
		} else {
			ep.Bias = randSlice(rng, n)
		}
	}
	want := append([]float32(nil), c0...)
	im.Sgemm(transA, transB, m, n, k, 0.75, a, lda, b, ldb, beta, want, ldc)
	got, all := guarded(len(c0))
	copy(got, c0)
	im.SgemmEpilogue(transA, transB, m, n, k, 0.75, a, lda, b, ldb, beta, got, ldc, ep)
	checkGuard(t, all, len(c0), "SgemmEpilogue")
	for i := 0; i < m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(got); j++ {
			x := i*ldc + j
			if j >= n {
				if got[x] != c0[x] {
					t.Fatalf("%s %dx%dx%d: wrote padding at (%d,%d)", ep.Act, m, n, k, i, j)
				}
				continue
			}
			z := float64(want[x])
			if ep.Bias != nil {
				if ep.BiasPerRow {
					z += float64(ep.Bias[i])
				} else {
					z += float64(ep.Bias[j])
				}
			}
			var f float64
			switch ep.Act {
			case ActIdentity:
				f = z
			case ActSigmoid:
				f = 1 / (1 + math.Exp(-z))
			case ActTanh:
				f = math.Tanh(z)
			case ActReLU:
				f = math.Max(z, 0)
			}
			if d := math.Abs(float64(got[x]) - f); d > 1e-5*(1+math.Abs(f)) {
				t.Fatalf("%s perRow=%t beta=%v trans=%t,%t %dx%dx%d: c[%d,%d] = %v, want %v",
					ep.Act, ep.BiasPerRow, beta, transA, transB, m, n, k, i, j, got[x], f)
			}
		}
	}
}

// TestSgemmEpilogueThreadsBitwise checks that the fused epilogue keeps
// results bitwise identical for every thread count.
func TestSgemmEpilogueThreadsBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m, n := 197, 4*chunkLen+5
	k := parallelK(m, n, 7, 40)
	a, b := randSlice(rng, m*k), randSlice(rng, k*n)
	ep := Epilogue{Bias: randSlice(rng, m), BiasPerRow: true, Act: ActSigmoid}
	setThreads(t, 1)
	forEachImpl(t, func(t *testing.T, im *Impl) {
		var first []float32
		for _, threads := range threadCounts {
			SetThreads(threads)
			c := make([]float32, m*n)
			im.SgemmEpilogue(false, false, m, n, k, 1, a, k, b, n, 0, c, n, ep)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("threads=%d: c[%d] = %v, 1 thread %v", threads, i, c[i], first[i])
				}
			}
		}
	})
}

func TestSgemmEpiloguePanics(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 4)
	for _, tc := range []struct {
		ep   Epilogue
		want string
	}{
		{Epilogue{Bias: make([]float32, 3)}, "len(bias) = 3, need 2 (one per column of C)"},
		{Epilogue{Bias: make([]float32, 1), BiasPerRow: true}, "len(bias) = 1, need 2 (one per row of C)"},
		{Epilogue{Act: Activation(9)}, "Activation(9)"},
	} {
		msg, ok := panicMessage(func() { SgemmEpilogue(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, tc.ep) })
		if !ok || !strings.Contains(msg, tc.want) {
			t.Errorf("%+v: panic %q (panicked %t), want %q", tc.ep, msg, ok, tc.want)
		}
	}
}

// BenchmarkSgemmEpilogue times the forward layer sigmoid(W·Xᵀ + b) of the
// reference workload (196×11272×784, bias per row) fused, against the bare
// GEMM, one thread, side by side.
func BenchmarkSgemmEpilogue(b *testing.B) {
	const m, n, k = 196, 11272, 784
	rng := rand.New(rand.NewPCG(1, 2))
	w, x := randSlice(rng, m*k), randSlice(rng, n*k)
	bias := randSlice(rng, m)
	c := make([]float32, m*n)
	for _, im := range Impls() {
		if im == generic && testing.Short() {
			continue
		}
		for _, ep := range []*Epilogue{nil, {Bias: bias, BiasPerRow: true, Act: ActSigmoid}} {
			name := "none"
			if ep != nil {
				name = "bias+sigmoid"
			}
			b.Run(fmt.Sprintf("shape=fwd196x11272x784_NT/impl=%s/epilogue=%s", im.Name(), name), func(b *testing.B) {
				setThreads(b, 1)
				for b.Loop() {
					if ep == nil {
						im.Sgemm(false, true, m, n, k, 1, w, k, x, k, 0, c, n)
					} else {
						im.SgemmEpilogue(false, true, m, n, k, 1, w, k, x, k, 0, c, n, *ep)
					}
				}
				b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
