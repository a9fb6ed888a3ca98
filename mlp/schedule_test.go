package mlp

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gofma/gofma/mat32"
)

// TestScheduleFactors checks each schedule's factor against its formula,
// written out here independently, at the steps around its boundaries.
func TestScheduleFactors(t *testing.T) {
	cases := []struct {
		s    Schedule
		want func(t int) float64
	}{
		{Constant{}, func(int) float64 { return 1 }},
		{StepDecay{Every: 3, Gamma: 0.5}, func(t int) float64 {
			k := 0
			for u := 4; u <= t; u += 3 { // decays after steps 3, 6, ...
				k++
			}
			return math.Pow(0.5, float64(k))
		}},
		{Exponential{Gamma: 0.9}, func(t int) float64 {
			f := 1.0
			for range t - 1 {
				f *= 0.9
			}
			return f
		}},
		{Cosine{Steps: 10, Min: 0.1}, func(t int) float64 {
			if t > 11 {
				t = 11
			}
			return 0.1 + 0.9*0.5*(1+math.Cos(math.Pi*float64(t-1)/10))
		}},
		{Cosine{Steps: 4}, func(t int) float64 {
			return []float64{1, 0.8535533905932737, 0.5, 0.14644660940672627, 0, 0, 0}[min(t, 7)-1]
		}},
		{Warmup{Steps: 4}, func(t int) float64 { return math.Min(float64(t)/4, 1) }},
		{Warmup{Steps: 2, Then: StepDecay{Every: 2, Gamma: 0.1}}, func(t int) float64 {
			if t <= 2 {
				return float64(t) / 2
			}
			return math.Pow(0.1, float64((t-3)/2)) // steps 3, 4 full; 5, 6 a tenth; ...
		}},
	}
	for _, c := range cases {
		for step := 1; step <= 25; step++ {
			got, want := c.s.Factor(step), c.want(step)
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("%v: Factor(%d) = %v, want %v", c.s, step, got, want)
			}
		}
	}
}

// TestParseSchedule checks the syntax both ways and its errors.
func TestParseSchedule(t *testing.T) {
	for _, s := range []string{"constant", "step:100:0.5", "exp:0.99", "cosine:1000:0", "cosine:1000:0.01", "warmup:10,constant", "warmup:5,cosine:50:0"} {
		got, err := ParseSchedule(s)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", s, err)
			continue
		}
		if str := got.(interface{ String() string }).String(); str != s {
			t.Errorf("ParseSchedule(%q).String() = %q", s, str)
		}
	}
	if s, err := ParseSchedule("warmup:10"); err != nil || s != (Warmup{Steps: 10}) {
		t.Errorf("ParseSchedule(warmup:10) = %v, %v", s, err)
	}
	if s, err := ParseSchedule("cosine:7"); err != nil || s != (Cosine{Steps: 7}) {
		t.Errorf("ParseSchedule(cosine:7) = %v, %v", s, err)
	}
	for s, want := range map[string]string{
		"":                   "want constant",
		"linear":             "want constant",
		"step:0:0.5":         "Every ≥ 1",
		"step:10:1.5":        "Gamma in (0, 1]",
		"step:10":            "want constant",
		"exp:x":              `GAMMA "x" is not a number`,
		"exp:0":              "Gamma in (0, 1]",
		"exp:NaN":            "Gamma in (0, 1]",
		"cosine:0":           "Steps ≥ 1",
		"cosine:5:2":         "Min in [0, 1]",
		"cosine:5.5":         `STEPS "5.5" is not a whole number`,
		"warmup:0,constant":  "Steps ≥ 1",
		"warmup:x,constant":  "whole number of steps",
		"warmup:3,warmup:3":  "want constant",
		"warmup:3,cosine:-1": "Steps ≥ 1",
	} {
		_, err := ParseSchedule(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchedule(%q) = %v, want an error with %q", s, err, want)
		}
	}
}

// TestScheduleRates checks that Fit steps with the scheduled rate and says
// so in Progress: with SGD on a linear model, each step's update is
// exactly lr·gradient.
func TestScheduleRates(t *testing.T) {
	n, err := New(Config{Inputs: 3, Outputs: 1, Loss: MeanSquaredError, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	X := mat32.NewDense(4, 3, []float32{1, 0, 2, 0, 1, 1, 2, 1, 0, 1, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{1, 2, 3, 4})
	sched := Warmup{Steps: 2, Then: Exponential{Gamma: 0.5}}
	var lrs []float64
	_, err = n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{LR: 0.2}, Iterations: 5, Schedule: sched,
		OnStep: func(p Progress) error { lrs = append(lrs, p.LR); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.1, 0.2, 0.2, 0.1, 0.05}
	for i := range want {
		if math.Abs(lrs[i]-want[i]) > 1e-7 {
			t.Errorf("step %d: Progress.LR = %v, want %v", i+1, lrs[i], want[i])
		}
	}
	// A custom schedule whose factor turns negative stops Fit.
	_, err = n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 5, Schedule: badSchedule{}})
	if err == nil || !strings.Contains(err.Error(), "factor -1 at step 3") {
		t.Errorf("a negative factor gave %v", err)
	}
	_, err = n.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{}, Iterations: 5, Schedule: Cosine{}})
	if err == nil || !strings.Contains(err.Error(), "Steps ≥ 1") {
		t.Errorf("Cosine{} gave %v", err)
	}
}

// badSchedule's factor turns negative at step 3.
type badSchedule struct{}

func (badSchedule) Factor(t int) float64 {
	if t >= 3 {
		return -1
	}
	return 1
}
