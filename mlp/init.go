package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Init is how New draws the initial weights. Biases start at zero.
type Init uint8

// The weight initialisations. All draw from a generator seeded by
// Config.Seed, so a seed fixes the initial network.
const (
	// InitLecture draws W = randn/√fan_in: normal, standard deviation
	// 1/√fan_in. It is the zero value, the backpropagation lecture's choice.
	InitLecture Init = iota
	// InitXavier draws uniformly from ±√(6/(fan_in+fan_out)) (Glorot and
	// Bengio), for sigmoid, tanh and identity layers.
	InitXavier
	// InitHe draws normal with standard deviation √(2/fan_in) (He et al.),
	// for ReLU layers.
	InitHe
)

// String returns the initialisation's name as ParseInit accepts it.
func (in Init) String() string {
	switch in {
	case InitLecture:
		return "lecture"
	case InitXavier:
		return "xavier"
	case InitHe:
		return "he"
	}
	return fmt.Sprintf("Init(%d)", uint8(in))
}

// ParseInit returns the initialisation named s (lecture, xavier, he).
func ParseInit(s string) (Init, error) {
	for in := InitLecture; in <= InitHe; in++ {
		if in.String() == s {
			return in, nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown initialisation %q (want lecture, xavier or he)", s)
}

// fill draws the out×in weights w of one layer from rng.
func (in Init) fill(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	switch in {
	case InitXavier:
		a := math.Sqrt(6 / float64(fanIn+fanOut))
		for i := range w {
			w[i] = float32((2*rng.Float64() - 1) * a)
		}
	default:
		sd := 1 / math.Sqrt(float64(fanIn))
		if in == InitHe {
			sd = math.Sqrt(2 / float64(fanIn))
		}
		for i := range w {
			w[i] = float32(rng.NormFloat64() * sd)
		}
	}
}
