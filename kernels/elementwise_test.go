package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The harness of the elementwise kernels (activation.go's ReLU and backward
// forms, vector.go, update.go): every implementation against float64
// references on every tail length 0..33 and around the 8-, 32- and
// per-call-chunk steps, with guard bands after every slice, inputs checked
// unchanged, specials (NaN, ±Inf, ±0) propagated as float64 arithmetic
// does, and the assembly compared bit for bit with its Go twin.

// vecGuard is written after every slice; a stray write changes it.
const vecGuard = float32(-5555.5)

const vecGuardLen = 40

// vecSizes are the lengths every elementwise kernel runs on.
func vecSizes(short bool) []int {
	s := seq(0, 33)
	s = append(s, 39, 40, 41, 63, 64, 65, 95, 96, 97, 127, 128, 129, 1000, 4099)
	if !short {
		s = append(s, 2*maxCall+37)
	}
	return s
}

// vecAlloc returns a slice of n elements followed by vecGuardLen guard
// words in the same array.
func vecAlloc(n int) []float32 { return vecAllocAt(n, 0) }

// vecAllocAt is vecAlloc starting off elements past a 32-byte boundary.
func vecAllocAt(n, off int) []float32 {
	all := make([]float32, n+off+8+vecGuardLen)
	skip := int(uintptr(unsafe.Pointer(&all[0]))%32) / 4
	all = all[(8-skip)%8+off:]
	for i := n; i < len(all); i++ {
		all[i] = vecGuard
	}
	return all[:n:len(all)]
}

// vecGuardErr reports a stray write after s.
func vecGuardErr(s []float32) error {
	all := s[:cap(s)]
	for i := len(s); i < len(all); i++ {
		if all[i] != vecGuard {
			return fmt.Errorf("wrote past the end at +%d", i-len(s))
		}
	}
	return nil
}

// vecSpecials are the values mixed into the data of the special tests.
var vecSpecials = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}

// vecClose reports whether got is within abs+rel·|want| of want; NaN must
// meet NaN and an infinity the same infinity.
func vecClose(got float32, want, abs, rel float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g)
	case math.IsInf(want, 0):
		return g == want
	}
	return math.Abs(g-want) <= abs+rel*math.Abs(want)
}

// vecEWCase is an elementwise kernel: nargs slices of one length, the ones
// listed in out written. ref returns every argument's new value from the old
// ones in float64 (unchanged arguments returned as they were).
type vecEWCase struct {
	name  string
	nargs int
	out   []int
	// gen draws argument arg's element.
	gen func(rng *rand.Rand, arg int) float32
	run func(im *Impl, s [][]float32)
	ref func(x []float64) []float64
	rel float64 // relative tolerance; absolute is rel·1e-3
}

func vecNormal(rng *rand.Rand, _ int) float32 { return float32(rng.NormFloat64()) }

// vecSigmoidOut draws a saved sigmoid output in (0, 1).
func vecSigmoidOut(rng *rand.Rand, arg int) float32 {
	if arg == 2 {
		return rng.Float32()
	}
	return vecNormal(rng, arg)
}

// state draws a nonnegative optimizer state (h, v) for the args listed.
func vecState(args ...int) func(rng *rand.Rand, arg int) float32 {
	return func(rng *rand.Rand, arg int) float32 {
		for _, a := range args {
			if a == arg {
				return float32(rng.ExpFloat64())
			}
		}
		return vecNormal(rng, arg)
	}
}

// vecRunEW runs c on im over n elements and checks the result against the
// reference and (when twin is set) the generic twin bit for bit.
func vecRunEW(t *testing.T, im *Impl, c vecEWCase, n int, rng *rand.Rand, specials bool) {
	t.Helper()
	vecRunEWAt(t, im, c, n, rng, specials, func(int) int { return 0 })
}

// vecRunEWAt is vecRunEW with argument a starting off(a) elements past a
// 32-byte boundary.
func vecRunEWAt(t *testing.T, im *Impl, c vecEWCase, n int, rng *rand.Rand, specials bool, off func(a int) int) {
	t.Helper()
	in := make([][]float32, c.nargs)
	args := make([][]float32, c.nargs)
	twin := make([][]float32, c.nargs)
	for a := range in {
		in[a] = make([]float32, n)
		for i := range in[a] {
			in[a][i] = c.gen(rng, a)
			if specials && rng.IntN(4) == 0 {
				in[a][i] = vecSpecials[rng.IntN(len(vecSpecials))]
			}
		}
		args[a] = vecAllocAt(n, off(a))
		copy(args[a], in[a])
		twin[a] = append([]float32(nil), in[a]...)
	}
	c.run(im, args)
	c.run(generic, twin)
	x := make([]float64, c.nargs)
	fails := 0
	for a := range args {
		if err := vecGuardErr(args[a]); err != nil {
			t.Fatalf("%s n=%d: argument %d %v", c.name, n, a, err)
		}
	}
	for i := 0; i < n; i++ {
		for a := range x {
			x[a] = float64(in[a][i])
		}
		want := c.ref(x)
		for a, w := range want {
			got := args[a][i]
			ok := vecClose(got, w, 4*c.rel, c.rel) // values are O(1)
			if !vecContains(c.out, a) {
				ok = sameFloat(got, in[a][i])
			}
			if ok && !sameFloat(got, twin[a][i]) {
				t.Errorf("%s n=%d: arg %d [%d] = %v, generic twin %v (inputs %v)", c.name, n, a, i, got, twin[a][i], x)
				ok = true // reported
				fails++
			}
			if !ok {
				t.Errorf("%s n=%d: arg %d [%d] = %v, want %v (inputs %v)", c.name, n, a, i, got, w, x)
				fails++
			}
			if fails >= maxFailures {
				t.Fatalf("stopping after %d failures", fails)
			}
		}
	}
}

func vecContains(s []int, v int) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// allEWCases are the elementwise kernels of every family.
func allEWCases() []vecEWCase {
	return append(append(activationEWCases(), vecEWCases()...), updateEWCases()...)
}

func TestElementwise(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, c := range allEWCases() {
			for _, n := range vecSizes(testing.Short()) {
				vecRunEW(t, im, c, n, rng, false)
			}
			for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 67, 300} {
				vecRunEW(t, im, c, n, rng, true)
			}
		}
	})
}

// TestElementwiseInPlace runs the kernels with the output as one of the
// inputs.
func TestElementwiseInPlace(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{0, 5, 8, 37, 100} {
			src := randSlice(rng, n)
			a := make([]float32, n)
			for i := range a {
				a[i] = rng.Float32()
			}
			check := func(name string, got, want []float32) {
				t.Helper()
				for i := range want {
					if !sameFloat(got[i], want[i]) {
						t.Fatalf("%s in place n=%d: [%d] = %v, want %v", name, n, i, got[i], want[i])
					}
				}
			}
			want := make([]float32, n)
			reluGeneric(want, src)
			x := append([]float32(nil), src...)
			im.act.relu(x, x)
			check("relu", x, want)
			for _, k := range []struct {
				name string
				f, g func(dz, da, a []float32)
			}{
				{"sigmoidBackward", im.act.sigmoidBackward, sigmoidBackwardGeneric},
				{"tanhBackward", im.act.tanhBackward, tanhBackwardGeneric},
				{"reluBackward", im.act.reluBackward, reluBackwardGeneric},
				{"mul", func(dz, da, a []float32) { im.vec.mul(dz, da, a) }, mulGeneric},
			} {
				k.g(want, src, a)
				x := append([]float32(nil), src...)
				k.f(x, x, a) // dz = da
				check(k.name+" (dz=da)", x, want)
				y := append([]float32(nil), a...)
				k.f(y, src, y) // dz = a
				check(k.name+" (dz=a)", y, want)
			}
		}
	})
}
