package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// row is one implementation's timing in -compare.
type row struct {
	Name      string  `json:"name"`
	MsPerStep float64 `json:"ms_per_step"`
	GFLOPS    float64 `json:"gflops"`
	Speedup   float64 `json:"gofma_speedup"` // the first row's speed over this one's
	Loss      float64 `json:"loss"`          // the last step's batch loss
}

// compare times the same training steps, from the same initial weights,
// with gofma's kernels as selected, with the pure-Go kernels, and with
// gonum's Sgemm in place of gofma's. flops is the work of one step.
func compare(o *options, d *data, flops float64) ([]row, error) {
	impl := kernels.Default().Name()
	defer kernels.Swap(kernels.Default())
	type run struct {
		name, kernels string
		gonum         bool
	}
	runs := []run{{"gofma " + impl + " (fused epilogues)", impl, false}, {"gofma generic (pure Go)", "generic", false}}
	if impl == "generic" { // already the pure-Go path
		runs = runs[1:]
	}
	runs = append(runs, run{"gonum Sgemm, gofma " + impl + " elementwise", impl, true})
	var rows []row
	for _, rn := range runs {
		if err := kernels.Use(rn.kernels); err != nil {
			return nil, err
		}
		if rn.gonum {
			kernels.Swap(kernels.Default().WithSgemm("gonum", mat32.SgemmOf(gonum.Implementation{})))
		}
		net, err := newNet(o, d)
		if err != nil {
			return nil, err
		}
		opt, _ := mlp.ParseOptimizer(o.opt, float32(o.lr))
		cfg := mlp.FitConfig{Optimizer: opt, Iterations: 1, BatchSize: o.batch, Seed: o.seed}
		if _, err := net.Fit(context.Background(), d.train.X, d.train.Y, cfg); err != nil { // warm-up
			return nil, err
		}
		cfg.Iterations = o.compareSteps
		res, err := net.Fit(context.Background(), d.train.X, d.train.Y, cfg)
		if err != nil {
			return nil, err
		}
		step := (res.Forward + res.Backward + res.Update) / time.Duration(res.Steps)
		rows = append(rows, row{Name: rn.name, MsPerStep: float64(step) / 1e6, GFLOPS: flops / step.Seconds() / 1e9, Loss: res.Loss})
	}
	for i := range rows {
		rows[i].Speedup = rows[i].MsPerStep / rows[0].MsPerStep
	}
	return rows, nil
}

// writeCompare prints the -compare table.
func writeCompare(w io.Writer, rows []row) {
	fmt.Fprintf(w, "%-44s %10s %9s %9s %9s\n", "compare: same steps, same start", "ms/step", "GFLOP/s", "speed-up", "loss")
	for _, r := range rows {
		fmt.Fprintf(w, "%-44s %10.2f %9.1f %8.1f× %9.5f\n", r.Name, r.MsPerStep, r.GFLOPS, r.Speedup, r.Loss)
	}
}
