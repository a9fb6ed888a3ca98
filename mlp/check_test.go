package mlp

import (
	"testing"
)

// TestConfigCheck checks that Config.Check returns exactly New's error, or
// nil when New succeeds, and that it allocates nothing for a valid
// configuration, however large the network.
func TestConfigCheck(t *testing.T) {
	ok := Config{Inputs: 3, Hidden: []Layer{{4, Tanh}}, Outputs: 2, Loss: CrossEntropy}
	for _, c := range []struct {
		name  string
		edit  func(*Config)
		valid bool
	}{
		{"ok", func(*Config) {}, true},
		{"bce one output", func(c *Config) { c.Loss, c.Outputs = BinaryCrossEntropy, 1 }, true},
		{"mse no hidden", func(c *Config) { c.Loss, c.Hidden, c.Outputs = MeanSquaredError, nil, 1 }, true},
		{"MaxLayers", func(c *Config) { c.Hidden = make([]Layer, MaxLayers-1); fillLayers(c.Hidden, 1, ReLU) }, true},
		{"MaxParams exactly", func(c *Config) { c.Inputs, c.Hidden, c.Outputs = 1<<15-1, nil, 1<<15 }, true},
		{"no loss", func(c *Config) { c.Loss = 0 }, false},
		{"bad init", func(c *Config) { c.Init = 7 }, false},
		{"bad activation", func(c *Config) { c.Hidden = []Layer{{4, Tanh}, {4, 17}} }, false},
		{"no units", func(c *Config) { c.Hidden = []Layer{{0, Tanh}} }, false},
		{"units MaxUnits+1", func(c *Config) { c.Hidden = []Layer{{MaxUnits + 1, Tanh}} }, false},
		{"no inputs", func(c *Config) { c.Inputs = 0 }, false},
		{"outputs MaxUnits+1", func(c *Config) { c.Outputs = MaxUnits + 1 }, false},
		{"one class", func(c *Config) { c.Outputs = 1 }, false},
		{"too many layers", func(c *Config) { c.Hidden = make([]Layer, MaxLayers) }, false},
		{"MaxParams+1", func(c *Config) { c.Inputs, c.Hidden, c.Outputs = 1<<15, nil, 1<<15 }, false},
		{"params in a hidden layer", func(c *Config) { c.Inputs, c.Hidden = MaxUnits, []Layer{{MaxUnits, Tanh}} }, false},
		{"params over the layers", func(c *Config) {
			c.Inputs, c.Hidden = 1<<15, []Layer{{1 << 14, Sigmoid}, {1 << 15, Sigmoid}, {1 << 15, Sigmoid}}
		}, false},
	} {
		cfg := ok
		c.edit(&cfg)
		err := cfg.Check()
		if c.valid {
			if err != nil {
				t.Errorf("%s: Check() = %v, want nil", c.name, err)
			}
			if c.name == "MaxParams exactly" {
				continue // New would allocate 4 GiB
			}
		} else if err == nil {
			t.Errorf("%s: Check() = nil, want an error", c.name)
			continue
		}
		_, nerr := New(cfg)
		if (err == nil) != (nerr == nil) || err != nil && err.Error() != nerr.Error() {
			t.Errorf("%s: Check() = %v, New's error %v", c.name, err, nerr)
		}
	}

	// A billion parameters: Check counts them without allocating.
	big := Config{Inputs: MaxUnits, Hidden: []Layer{{1000, ReLU}}, Outputs: 10, Loss: CrossEntropy}
	if err := big.Check(); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(10, func() { big.Check() }); a != 0 {
		t.Errorf("Check of a valid configuration allocates %v times", a)
	}
}

func fillLayers(ls []Layer, units int, act Activation) {
	for i := range ls {
		ls[i] = Layer{units, act}
	}
}

// TestAddLayerParams checks the one parameter count that New, Check and
// Load share at its limits, where a 32-bit int would overflow.
func TestAddLayerParams(t *testing.T) {
	for _, c := range []struct {
		total, in, out int
		want           int
		ok             bool
	}{
		{0, 1, 1, 2, true},
		{0, 1<<15 - 1, 1 << 15, MaxParams, true},
		{1, 1<<15 - 1, 1 << 15, 0, false},
		{0, MaxUnits, MaxUnits, 0, false}, // 2^40+2^20: past int32
		{MaxParams, MaxUnits, MaxUnits, 0, false},
		{MaxParams - 2, 1, 1, MaxParams, true},
		{MaxParams - 1, 1, 1, 0, false},
	} {
		got, ok := addLayerParams(c.total, c.in, c.out)
		if got != c.want || ok != c.ok {
			t.Errorf("addLayerParams(%d, %d, %d) = %d, %v, want %d, %v", c.total, c.in, c.out, got, ok, c.want, c.ok)
		}
	}
}
