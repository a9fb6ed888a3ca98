package mlp

import (
	"math"
	"testing"
)

func initNet(t *testing.T, in Init, seed uint64) *Network {
	t.Helper()
	n, err := New(Config{Inputs: refInputs, Hidden: []Layer{{refHidden, ReLU}}, Outputs: 10, Loss: CrossEntropy, Init: in, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInitSeed(t *testing.T) {
	for _, in := range []Init{InitLecture, InitXavier, InitHe} {
		a, b, c := initNet(t, in, 1), initNet(t, in, 1), initNet(t, in, 2)
		same := 0
		for i := range a.params {
			if math.Float32bits(a.params[i]) != math.Float32bits(b.params[i]) {
				t.Fatalf("%v: seed 1 twice: param %d is %v and %v", in, i, a.params[i], b.params[i])
			}
			if a.params[i] == c.params[i] {
				same++
			}
		}
		// Only the zero biases agree.
		if biases := refHidden + 10; same != biases {
			t.Errorf("%v: seeds 1 and 2 agree on %d parameters, want only the %d biases", in, same, biases)
		}
		for l := 0; l < a.NumLayers(); l++ {
			for j, v := range a.Bias(l) {
				if v != 0 {
					t.Fatalf("%v: bias %d of layer %d is %v, want 0", in, j, l, v)
				}
			}
		}
	}
}

// TestInitDistribution checks the first layer's (784×196) weights against
// each initialisation's distribution, with generous bounds: the standard
// error of the sample deviation is about 0.2%.
func TestInitDistribution(t *testing.T) {
	const in, out = float64(refInputs), float64(refHidden)
	for _, c := range []struct {
		init  Init
		sd    float64
		bound float64 // uniform on ±bound, or 0 for normal
	}{
		{InitLecture, 1 / math.Sqrt(in), 0},
		{InitXavier, math.Sqrt(6/(in+out)) / math.Sqrt(3), math.Sqrt(6 / (in + out))},
		{InitHe, math.Sqrt(2 / in), 0},
	} {
		w := initNet(t, c.init, 7).Weights(0).RawMatrix().Data
		sum, sq, maxAbs := 0.0, 0.0, 0.0
		for _, v := range w {
			f := float64(v)
			sum += f
			sq += f * f
			maxAbs = math.Max(maxAbs, math.Abs(f))
		}
		k := float64(len(w))
		mean := sum / k
		sd := math.Sqrt(sq/k - mean*mean)
		if math.Abs(mean) > 5*c.sd/math.Sqrt(k) {
			t.Errorf("%v: mean %.3g, want about 0", c.init, mean)
		}
		if math.Abs(sd/c.sd-1) > 0.02 {
			t.Errorf("%v: standard deviation %.5g, want %.5g", c.init, sd, c.sd)
		}
		if c.bound > 0 && (maxAbs > c.bound || maxAbs < 0.999*c.bound) {
			t.Errorf("%v: largest |w| %.6g, want just under %.6g", c.init, maxAbs, c.bound)
		}
		if c.bound == 0 && maxAbs < 3.5*c.sd {
			t.Errorf("%v: largest |w| %.3g: no normal tails (sd %.3g)", c.init, maxAbs, c.sd)
		}
	}
}
