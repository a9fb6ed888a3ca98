package mlp

import "math"

// validation is Fit's record of its validations: the last, the best and
// how many since the best.
type validation struct {
	n        *Network
	cfg      *FitConfig
	last     Metrics
	bestM    Metrics
	bestStep int
	best     []float32 // the best validation's weights (RestoreBest)
	stale    int       // validations since the best
}

// newValidation returns the validation record of a Fit of cfg, or nil
// without validation data.
func newValidation(n *Network, cfg *FitConfig) *validation {
	if cfg.ValX == nil {
		return nil
	}
	return &validation{n: n, cfg: cfg}
}

// run evaluates the network after step t on the validation data and
// returns the metrics, keeping the best.
func (v *validation) run(t int) Metrics {
	m := v.n.evaluate(v.cfg.ValX, v.cfg.ValY)
	v.last = m
	if v.bestStep == 0 || m.Loss < v.bestM.Loss || math.IsNaN(v.bestM.Loss) && !math.IsNaN(m.Loss) {
		v.bestM, v.bestStep, v.stale = m, t, 0
		if v.cfg.RestoreBest {
			if v.best == nil {
				v.best = make([]float32, len(v.n.params))
			}
			copy(v.best, v.n.params)
		}
	} else {
		v.stale++
	}
	return m
}
