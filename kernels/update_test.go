package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the optimizer updates (update.go); the elementwise harness of
// elementwise_test.go runs updateEWCases on every implementation.

const (
	vLR, vMu, vEps, vRho, vB1, vB2 = 0.01, 0.9, 1e-7, 0.9, 0.9, 0.999
	vAdamT                         = 3
)

// updateEWCases are the optimizer updates as elementwise kernels.
func updateEWCases() []vecEWCase {
	f := func(x float32) float64 { return float64(x) }
	ap := newAdamParams(vLR, vB1, vB2, vEps, vAdamT)
	return []vecEWCase{
		{"sgd", 2, []int{0}, vecNormal,
			func(im *Impl, s [][]float32) { im.upd.sgd(s[0], s[0], s[1], vLR) },
			func(x []float64) []float64 { return []float64{x[0] - f(vLR)*x[1], x[1]} }, 2e-7},
		{"momentum", 3, []int{0, 2}, vecNormal,
			func(im *Impl, s [][]float32) { im.upd.momentum(s[0], s[0], s[1], s[2], vLR, vMu) },
			func(x []float64) []float64 {
				nv := f(vMu)*x[2] - f(vLR)*x[1]
				return []float64{x[0] + nv, x[1], nv}
			}, 3e-7},
		{"adagrad", 3, []int{0, 2}, vecState(2),
			func(im *Impl, s [][]float32) { im.upd.adagrad(s[0], s[0], s[1], s[2], vLR, vEps) },
			func(x []float64) []float64 {
				h := x[2] + x[1]*x[1]
				return []float64{x[0] - f(vLR)*x[1]/(math.Sqrt(h)+f(vEps)), x[1], h}
			}, 3e-7},
		{"rmsprop", 3, []int{0, 2}, vecState(2),
			func(im *Impl, s [][]float32) { im.upd.rmsprop(s[0], s[0], s[1], s[2], vLR, vRho, 1-vRho, vEps) },
			func(x []float64) []float64 {
				h := f(vRho)*x[2] + (1-f(vRho))*x[1]*x[1]
				return []float64{x[0] - f(vLR)*x[1]/(math.Sqrt(h)+f(vEps)), x[1], h}
			}, 3e-7},
		{"adam", 4, []int{0, 2, 3}, vecState(3),
			func(im *Impl, s [][]float32) { im.upd.adam(s[0], s[0], s[1], s[2], s[3], ap) },
			func(x []float64) []float64 {
				b1, b2 := f(vB1), f(vB2)
				m := b1*x[2] + (1-b1)*x[1]
				vv := b2*x[3] + (1-b2)*x[1]*x[1]
				mh := m / (1 - math.Pow(b1, vAdamT))
				vh := vv / (1 - math.Pow(b2, vAdamT))
				return []float64{x[0] - f(vLR)*mh/(math.Sqrt(vh)+f(vEps)), x[1], m, vv}
			}, 6e-7},
	}
}

// TestOptimizerSteps checks the exported updates against hand-computed
// steps.
func TestOptimizerSteps(t *testing.T) {
	restoreDefault(t)
	for _, im := range Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) {
			if err := Use(im.Name()); err != nil {
				t.Fatal(err)
			}
			const n = 37
			near := func(name string, got []float32, want func(i int) float64, tol float64) {
				t.Helper()
				for i, g := range got {
					if w := want(i); math.Abs(float64(g)-w) > tol {
						t.Fatalf("%s: [%d] = %v, want %v", name, i, g, w)
					}
				}
			}
			grad := make([]float32, n)
			w0 := make([]float32, n)
			for i := range grad {
				grad[i] = float32(i-n/2) / 4 // includes 0
				if grad[i] == 0 {
					grad[i] = 0.5
				}
				w0[i] = float32(i) / 10
			}
			sign := func(i int) float64 { return math.Copysign(1, float64(grad[i])) }

			w := append([]float32(nil), w0...)
			SGDUpdate(w, w, grad, 0.1)
			near("SGD", w, func(i int) float64 { return float64(w0[i]) - 0.1*float64(grad[i]) }, 1e-6)

			w = append([]float32(nil), w0...)
			v := make([]float32, n)
			MomentumUpdate(w, w, grad, v, 0.1, 0.9)
			MomentumUpdate(w, w, grad, v, 0.1, 0.9)
			// v1 = -0.1g, v2 = 0.9·v1 - 0.1g = -0.19g; w = w0 - 0.29g.
			near("Momentum v", v, func(i int) float64 { return -0.19 * float64(grad[i]) }, 1e-6)
			near("Momentum w", w, func(i int) float64 { return float64(w0[i]) - 0.29*float64(grad[i]) }, 1e-6)

			w = append([]float32(nil), w0...)
			h := make([]float32, n)
			AdaGradUpdate(w, w, grad, h, 0.1, 1e-8)
			near("AdaGrad h", h, func(i int) float64 { return float64(grad[i]) * float64(grad[i]) }, 1e-6)
			near("AdaGrad w", w, func(i int) float64 { return float64(w0[i]) - 0.1*sign(i) }, 1e-6)
			AdaGradUpdate(w, w, grad, h, 0.1, 1e-8) // h = 2g²: step lr/√2
			near("AdaGrad w2", w, func(i int) float64 { return float64(w0[i]) - 0.1*sign(i)*(1+1/math.Sqrt2) }, 2e-6)

			w = append([]float32(nil), w0...)
			h = make([]float32, n)
			RMSPropUpdate(w, w, grad, h, 0.01, 0.75, 1e-8)
			near("RMSProp h", h, func(i int) float64 { return 0.25 * float64(grad[i]) * float64(grad[i]) }, 1e-6)
			near("RMSProp w", w, func(i int) float64 { return float64(w0[i]) - 0.02*sign(i) }, 1e-6)

			w = append([]float32(nil), w0...)
			m := make([]float32, n)
			v = make([]float32, n)
			AdamUpdate(w, w, grad, m, v, 0.001, 0.9, 0.999, 1e-8, 1)
			near("Adam m", m, func(i int) float64 { return 0.1 * float64(grad[i]) }, 1e-6)
			near("Adam v", v, func(i int) float64 { return 0.001 * float64(grad[i]) * float64(grad[i]) }, 1e-6)
			// The first step moves each weight by lr·sign(g).
			near("Adam w", w, func(i int) float64 { return float64(w0[i]) - 0.001*sign(i) }, 1e-6)
			// With a constant gradient every bias-corrected step is lr·sign(g).
			for step := 2; step <= 5; step++ {
				AdamUpdate(w, w, grad, m, v, 0.001, 0.9, 0.999, 1e-8, step)
				near(fmt.Sprint("Adam w step ", step), w, func(i int) float64 { return float64(w0[i]) - float64(step)*0.001*sign(i) }, 1e-5)
			}
		})
	}
}

// TestUpdatePanics checks the argument errors of the exported updates.
func TestUpdatePanics(t *testing.T) {
	a10, a12 := make([]float32, 10), make([]float32, 12)
	wantPanics(t, []panicCase{
		{func() { SGDUpdate(a12, a12, a10, 1) }, []string{"len(g) = 10, need 12"}},
		{func() { MomentumUpdate(a12, a12, a12, a10, 1, 1) }, []string{"len(v) = 10, need 12"}},
		{func() { AdaGradUpdate(a12, a12, a12, a10, 1, 1) }, []string{"len(h) = 10, need 12"}},
		{func() { RMSPropUpdate(a12, a12, a10, a12, 1, 1, 1) }, []string{"len(g) = 10, need 12"}},
		{func() { AdamUpdate(a12, a12, a12, a10, a12, 1, 1, 1, 1, 1) }, []string{"len(m) = 10, need 12"}},
		{func() { AdamUpdate(a12, a12, a12, a12, a10, 1, 1, 1, 1, 1) }, []string{"len(v) = 10, need 12"}},
		{func() { AdamUpdate(a12, a12, a12, a12, a12, 1, 1, 1, 1, 0) }, []string{"t = 0, need >= 1"}},
		{func() { SGDUpdate(a10, a12, a12, 1) }, []string{"len(dst) = 10, need 12"}},
		{func() { SGDUpdate(a12[1:], a12[:11], a12[1:], 1) }, []string{"dst overlaps w or g"}},
		{func() { MomentumUpdate(a10[:9], a12[:9], a10[1:], a12[3:], 1, 1) }, []string{"dst overlaps w or g"}},
		{func() { AdamUpdate(a10, a12, a12, a12, a12, 1, 1, 1, 1, 1) }, []string{"len(dst) = 10, need 12"}},
	})
	// The internal assembly wrappers check lengths again.
	if im := implNamed("avx2"); im != nil {
		if _, ok := panicMessage(func() { im.upd.adam(a12, a12, a12, a12, a10, adamParams{}) }); !ok {
			t.Errorf("adam with a short v: no panic")
		}
	}
}

// updateRuns are the optimizer updates on streams s = w, g, state...: each
// writes the new weights to dst and reports whether they are finite.
var updateRuns = []struct {
	name  string
	state int
	run   func(im *Impl, dst []float32, s [][]float32) bool
}{
	{"sgd", 0, func(im *Impl, dst []float32, s [][]float32) bool { return im.upd.sgd(dst, s[0], s[1], vLR) }},
	{"momentum", 1, func(im *Impl, dst []float32, s [][]float32) bool {
		return im.upd.momentum(dst, s[0], s[1], s[2], vLR, vMu)
	}},
	{"adagrad", 1, func(im *Impl, dst []float32, s [][]float32) bool {
		return im.upd.adagrad(dst, s[0], s[1], s[2], vLR, vEps)
	}},
	{"rmsprop", 1, func(im *Impl, dst []float32, s [][]float32) bool {
		return im.upd.rmsprop(dst, s[0], s[1], s[2], vLR, vRho, 1-vRho, vEps)
	}},
	{"adam", 2, func(im *Impl, dst []float32, s [][]float32) bool {
		return im.upd.adam(dst, s[0], s[1], s[2], s[3], newAdamParams(vLR, vB1, vB2, vEps, vAdamT))
	}},
}

// TestUpdateDestinations checks that every update gives bitwise the same
// weights, state and finiteness with the new weights written over w, over
// g, or to a slice apart, on every implementation (so assembly and Go
// twin agree too), with non-finite values planted at each position of
// short lengths and around a call's size: the report is false exactly
// when a new weight is not finite.
func TestUpdateDestinations(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	lengths := append(seq(0, 33), maxCall-1, maxCall+9)
	for _, u := range updateRuns {
		t.Run(u.name, func(t *testing.T) {
			for _, n := range lengths {
				plants := []int{-1} // -1: nothing planted
				if n <= 33 {
					plants = append(plants, seq(0, n-1)...)
				} else {
					plants = append(plants, 0, maxCall-9, maxCall-8, n-1)
				}
				for _, at := range plants {
					for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN()), 3.4e38} {
						if at < 0 && bad != 3.4e38 {
							continue
						}
						in := make([][]float32, 2+u.state)
						for k := range in {
							in[k] = make([]float32, n)
							for i := range in[k] {
								in[k][i] = float32(rng.NormFloat64())
								if k >= 2 {
									in[k][i] = float32(math.Abs(float64(in[k][i])))
								}
							}
						}
						if at >= 0 {
							in[0][at] = bad
							if bad == 3.4e38 { // finite, but SGD's and momentum's steps overflow
								in[1][at] = -3.4e38
							}
						}
						var ref []float32
						var refState [][]float32
						var refOK bool
						for _, im := range Impls() {
							for _, where := range []string{"w", "g", "apart"} {
								s := make([][]float32, len(in))
								for k := range in {
									s[k] = slices.Clone(in[k])
								}
								dst := map[string][]float32{"w": s[0], "g": s[1], "apart": make([]float32, n)}[where]
								ok := u.run(im, dst, s)
								if ref == nil {
									ref, refState, refOK = slices.Clone(dst), s[2:], ok
									wantOK := true
									for _, x := range dst {
										wantOK = wantOK && !math.IsInf(float64(x), 0) && !math.IsNaN(float64(x))
									}
									if ok != wantOK {
										t.Fatalf("n=%d, %v at %d, %s into %s: reported finite=%v, want %v", n, bad, at, im.Name(), where, ok, wantOK)
									}
									continue
								}
								if ok != refOK || !sameBits(dst, ref) {
									t.Fatalf("n=%d, %v at %d: %s into %s gives finite=%v and weights unlike %s into w's (finite=%v)",
										n, bad, at, im.Name(), where, ok, Impls()[0].Name(), refOK)
								}
								for k := range refState {
									if !sameBits(s[2+k], refState[k]) {
										t.Fatalf("n=%d, %v at %d: %s into %s: state %d unlike %s into w's", n, bad, at, im.Name(), where, k, Impls()[0].Name())
									}
								}
							}
						}
					}
				}
			}
		})
	}
}
