package mlp

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Schedule scales the optimizer's learning rate step by step: step t (from
// 1, counting every step since training began, earlier Fits included when
// FitConfig.Resume continues them) uses LR·Factor(t). Fit computes the
// factor in float64 and stops with an error when it is negative or not
// finite. Constant, StepDecay, Exponential, Cosine and Warmup are
// provided; any type with a Factor method will do.
type Schedule interface {
	Factor(t int) float64
}

// Constant keeps the learning rate: its factor is 1. A nil
// FitConfig.Schedule means the same.
type Constant struct{}

// StepDecay multiplies the learning rate by Gamma every Every steps:
// Factor(t) = Gamma^⌊(t−1)/Every⌋, so steps 1..Every use the full rate.
type StepDecay struct {
	Every int     // steps between decays, ≥ 1
	Gamma float64 // factor per decay, in (0, 1]
}

// Exponential multiplies the learning rate by Gamma every step:
// Factor(t) = Gamma^(t−1).
type Exponential struct {
	Gamma float64 // factor per step, in (0, 1]
}

// Cosine anneals the learning rate along half a cosine from the full rate
// at step 1 to Min times it at step Steps+1, and keeps it there:
// Factor(t) = Min + (1−Min)·(1 + cos(π·min(t−1, Steps)/Steps))/2.
type Cosine struct {
	Steps int     // length of the annealing, ≥ 1
	Min   float64 // the factor it ends at, in [0, 1]; 0 by default
}

// Warmup raises the learning rate linearly over its first Steps steps,
// Factor(t) = t/Steps, and then follows Then, started afresh:
// Factor(t) = Then.Factor(t − Steps) (a nil Then is Constant).
type Warmup struct {
	Steps int // warm-up steps, ≥ 1
	Then  Schedule
}

// Factor implements Schedule.
func (Constant) Factor(int) float64 { return 1 }

// Factor implements Schedule.
func (s StepDecay) Factor(t int) float64 {
	return math.Pow(s.Gamma, float64((t-1)/max(s.Every, 1)))
}

// Factor implements Schedule.
func (s Exponential) Factor(t int) float64 { return math.Pow(s.Gamma, float64(t-1)) }

// Factor implements Schedule.
func (s Cosine) Factor(t int) float64 {
	steps := max(s.Steps, 1)
	done := float64(min(t-1, steps)) / float64(steps)
	return s.Min + (1-s.Min)*(1+math.Cos(math.Pi*done))/2
}

// Factor implements Schedule.
func (s Warmup) Factor(t int) float64 {
	if t <= s.Steps {
		return float64(t) / float64(s.Steps)
	}
	if s.Then == nil {
		return 1
	}
	return s.Then.Factor(t - s.Steps)
}

// String returns the schedule in ParseSchedule's syntax.
func (Constant) String() string { return "constant" }

// String returns the schedule in ParseSchedule's syntax.
func (s StepDecay) String() string { return fmt.Sprintf("step:%d:%g", s.Every, s.Gamma) }

// String returns the schedule in ParseSchedule's syntax.
func (s Exponential) String() string { return fmt.Sprintf("exp:%g", s.Gamma) }

// String returns the schedule in ParseSchedule's syntax.
func (s Cosine) String() string { return fmt.Sprintf("cosine:%d:%g", s.Steps, s.Min) }

// String returns the schedule in ParseSchedule's syntax.
func (s Warmup) String() string {
	then := "constant"
	if s.Then != nil {
		then = fmt.Sprint(s.Then)
	}
	return fmt.Sprintf("warmup:%d,%s", s.Steps, then)
}

// checkSchedule returns an error when s is one of the provided schedules
// with a parameter out of its range.
func checkSchedule(s Schedule) error {
	switch s := s.(type) {
	case StepDecay:
		if s.Every < 1 || !(s.Gamma > 0 && s.Gamma <= 1) {
			return fmt.Errorf("mlp: StepDecay{Every: %d, Gamma: %v}: need Every ≥ 1 and Gamma in (0, 1]", s.Every, s.Gamma)
		}
	case Exponential:
		if !(s.Gamma > 0 && s.Gamma <= 1) {
			return fmt.Errorf("mlp: Exponential{Gamma: %v}: need Gamma in (0, 1]", s.Gamma)
		}
	case Cosine:
		if s.Steps < 1 || !(s.Min >= 0 && s.Min <= 1) {
			return fmt.Errorf("mlp: Cosine{Steps: %d, Min: %v}: need Steps ≥ 1 and Min in [0, 1]", s.Steps, s.Min)
		}
	case Warmup:
		if s.Steps < 1 {
			return fmt.Errorf("mlp: Warmup{Steps: %d}: need Steps ≥ 1", s.Steps)
		}
		if _, ok := s.Then.(Warmup); ok {
			return fmt.Errorf("mlp: Warmup{Then: %v}: a warm-up cannot follow a warm-up", s.Then)
		}
		if s.Then != nil {
			return checkSchedule(s.Then)
		}
	}
	return nil
}

// ParseSchedule returns the schedule s describes: constant, step:EVERY:GAMMA,
// exp:GAMMA or cosine:STEPS[:MIN], optionally after warmup:STEPS and a
// comma, e.g. "warmup:100,cosine:1000:0.01". The String methods write the
// same syntax.
func ParseSchedule(s string) (Schedule, error) {
	if rest, ok := strings.CutPrefix(s, "warmup:"); ok {
		steps, then, _ := strings.Cut(rest, ",")
		n, err := strconv.Atoi(steps)
		if err != nil {
			return nil, fmt.Errorf("mlp: schedule %q: warmup:STEPS needs a whole number of steps, not %q", s, steps)
		}
		w := Warmup{Steps: n}
		if then != "" {
			if w.Then, err = parseMain(then); err != nil {
				return nil, fmt.Errorf("mlp: schedule %q: %w", s, err)
			}
		}
		if err := checkSchedule(w); err != nil {
			return nil, err
		}
		return w, nil
	}
	m, err := parseMain(s)
	if err != nil {
		return nil, fmt.Errorf("mlp: schedule %q: %w", s, err)
	}
	if err := checkSchedule(m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseMain parses a schedule other than a warm-up.
func parseMain(s string) (Schedule, error) {
	f := strings.Split(s, ":")
	num := func(i int, what string) (float64, error) {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q is not a number", what, f[i])
		}
		return v, nil
	}
	whole := func(i int, what string) (int, error) {
		v, err := strconv.Atoi(f[i])
		if err != nil {
			return 0, fmt.Errorf("%s %q is not a whole number", what, f[i])
		}
		return v, nil
	}
	var err error
	switch {
	case f[0] == "constant" && len(f) == 1:
		return Constant{}, nil
	case f[0] == "step" && len(f) == 3:
		var d StepDecay
		if d.Every, err = whole(1, "EVERY"); err == nil {
			d.Gamma, err = num(2, "GAMMA")
		}
		return d, err
	case f[0] == "exp" && len(f) == 2:
		var d Exponential
		d.Gamma, err = num(1, "GAMMA")
		return d, err
	case f[0] == "cosine" && (len(f) == 2 || len(f) == 3):
		var d Cosine
		if d.Steps, err = whole(1, "STEPS"); err == nil && len(f) == 3 {
			d.Min, err = num(2, "MIN")
		}
		return d, err
	}
	return nil, fmt.Errorf("want constant, step:EVERY:GAMMA, exp:GAMMA or cosine:STEPS[:MIN], optionally after warmup:STEPS and a comma")
}
