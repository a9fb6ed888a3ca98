package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
)

// row is one implementation's timing in -compare. Times and GFLOP/s count
// the whole of Fit's steps, as the main report's training time does.
type row struct {
	Name      string `json:"name"`
	Threads   int    `json:"threads"` // threads its products and elementwise kernels ran on
	Steps     int    `json:"steps"`   // timed steps
	Sparse    bool   `json:"sparse"`  // the first layer's products took the sparse path (-sparse, as the main run)
	MsPerStep jfloat `json:"ms_per_step"`
	GFLOPS    jfloat `json:"gflops"`
	// TimeVsGofma is MsPerStep ÷ the first row's (gofma's kernels as
	// selected): 16 means this row took 16 times as long per step.
	TimeVsGofma jfloat `json:"time_vs_gofma"`
	Loss        jfloat `json:"loss"` // the last step's batch loss
}

// compare times the same training steps of a new network of configuration
// cfg, with -dropout and -weight-decay, from the same initial weights,
// with the same -sparse mode as the main run, on kernels.Threads() threads: with gofma's kernels as selected, with the
// pure-Go kernels, and with gonum's Sgemm in place of gofma's (epilogues in
// a second pass; GOMAXPROCS set to the thread count, since gonum splits
// products over GOMAXPROCS goroutines). It stops with ctx's error when ctx
// ends.
func compare(ctx context.Context, o *options, d *data, cfg mlp.Config) ([]row, error) {
	base := kernels.Default()
	defer kernels.Swap(base)
	threads := kernels.Threads()
	type run struct {
		name     string
		impl     *kernels.Impl
		setProcs bool
	}
	gofma := func(im *kernels.Impl) run {
		if im.Name() == "generic" {
			return run{"gofma generic (pure Go)", im, false}
		}
		return run{"gofma " + im.Name() + " (fused epilogues)", im, false}
	}
	runs := []run{gofma(base)}
	for _, im := range kernels.Impls() {
		if im.Name() == "generic" && base.Name() != "generic" {
			runs = append(runs, gofma(im))
		}
	}
	runs = append(runs, run{"gonum Sgemm, gofma " + base.Name() + " elementwise",
		base.WithSgemm("gonum", mat32.SgemmOf(gonum.Implementation{})), true})
	var rows []row
	for _, rn := range runs {
		r, err := timeSteps(ctx, o, d, cfg, rn.impl, rn.setProcs, threads)
		if err != nil {
			return nil, err
		}
		r.Name = rn.name
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].TimeVsGofma = rows[i].MsPerStep / rows[0].MsPerStep
	}
	return rows, nil
}

// timeSteps times o.compareSteps steps of a new network of configuration
// netCfg on im, after one
// untimed step, with GOMAXPROCS set to threads while it runs when setProcs
// is set.
func timeSteps(ctx context.Context, o *options, d *data, netCfg mlp.Config, im *kernels.Impl, setProcs bool, threads int) (row, error) {
	kernels.Swap(im)
	if setProcs {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	}
	net, err := mlp.New(netCfg)
	if err != nil {
		return row{}, fmt.Errorf("network: %w", err)
	}
	opt := o.optimizer
	cfg := mlp.FitConfig{Optimizer: opt, Iterations: 1, BatchSize: o.batch, Seed: o.seed, Sparse: o.sparse,
		WeightDecay: float32(o.weightDecay), Dropout: float32(o.dropout)}
	if _, err := net.Fit(ctx, d.train.X, d.train.Y, cfg); err != nil { // makes the workspace
		return row{}, err
	}
	cfg.Iterations = o.compareSteps
	res, err := net.Fit(ctx, d.train.X, d.train.Y, cfg) // no callbacks: Elapsed is the steps and the one packing of X (full batch)
	if err != nil {
		return row{}, err
	}
	ran := threads
	if setProcs {
		ran = runtime.GOMAXPROCS(0)
	}
	s := res.Elapsed.Seconds()
	return row{Threads: ran, Steps: res.Steps, Sparse: res.Sparse, MsPerStep: jfloat(1e3 * s / float64(res.Steps)),
		GFLOPS: jfloat(net.FLOPs(1) * float64(res.Samples) / s / 1e9), Loss: jfloat(res.Loss)}, nil
}

// writeCompare prints the -compare table. The first layer's path, the
// same for every row (it depends on -sparse and X alone), is said once
// in the heading; a row that took the other one says so after its name.
func writeCompare(w io.Writer, rows []row) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "compare: the same %d steps from the same start, first layer %s (whole steps, as the throughput above)\n", rows[0].Steps, pathName(rows[0].Sparse))
	fmt.Fprintf(w, "%-40s %7s %10s %9s %15s %9s\n", "implementation", "threads", "ms/step", "GFLOP/s", "× gofma's time", "loss")
	for _, r := range rows {
		name := r.Name
		if r.Sparse != rows[0].Sparse {
			name += ", " + pathName(r.Sparse)
		}
		fmt.Fprintf(w, "%-40s %7d %10.2f %9.1f %15.2f %9.5f\n", name, r.Threads, r.MsPerStep, r.GFLOPS, r.TimeVsGofma, r.Loss)
	}
}

// pathName names the first layer's path: sparse or dense.
func pathName(sparse bool) string {
	if sparse {
		return "sparse"
	}
	return "dense"
}
