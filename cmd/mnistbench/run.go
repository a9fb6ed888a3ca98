package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mlp"
)

// errTarget stops Fit when the test accuracy reaches -target-acc.
var errTarget = errors.New("target accuracy reached")

// run trains as o says and writes the report to out (progress to errOut).
func run(o *options, out, errOut io.Writer) error {
	if err := kernels.Use(o.kernels); err != nil {
		return err
	}
	kernels.SetThreads(o.threads)
	start := time.Now()
	d, err := loadData(o)
	if err != nil {
		return err
	}
	loadTime := time.Since(start)

	info := kernels.Info()
	peak, err := kernels.MeasurePeak(info.Threads, 300*time.Millisecond)
	if err != nil {
		peak = 0 // the report says it was not measured
	}
	net, err := newNet(o, d)
	if err != nil {
		return err
	}
	opt, _ := mlp.ParseOptimizer(o.opt, float32(o.lr)) // checked by parseFlags
	r := newReport(o, d, info, peak, net, opt)
	r.LoadSeconds = loadTime.Seconds()

	batch := o.batch
	if batch == 0 || batch > d.train.n {
		batch = d.train.n
	}
	stepsPerEpoch := (d.train.n + batch - 1) / batch
	total := o.iters
	if o.epochs > 0 && (total == 0 || o.epochs*stepsPerEpoch < total) {
		total = o.epochs * stepsPerEpoch
	}
	evalEvery := o.evalEvery
	if evalEvery == 0 {
		evalEvery = stepsPerEpoch
		if batch == d.train.n {
			evalEvery = 10
		}
	}
	watch := o.plot != "" || o.targetAcc > 0
	bar := newProgress(errOut, total, o.json)
	var evalTime time.Duration
	r.Losses = make([]float64, 0, total)
	cfg := mlp.FitConfig{
		Optimizer: opt, Iterations: o.iters, Epochs: o.epochs, BatchSize: o.batch, Seed: o.seed,
		OnStep: func(p mlp.Progress) error {
			r.Losses = append(r.Losses, p.Loss)
			bar.update(p.Step, p.Loss, p.Elapsed-evalTime)
			if !watch || (p.Step%evalEvery != 0 && p.Step != total) {
				return nil
			}
			t0 := time.Now()
			m, err := net.Evaluate(d.test.X, d.test.Y)
			evalTime += time.Since(t0)
			if err != nil {
				return err
			}
			r.TestCurve = append(r.TestCurve, point{Step: p.Step, Accuracy: m.Accuracy})
			if o.targetAcc > 0 && m.Accuracy >= o.targetAcc {
				r.TargetSeconds = (p.Elapsed - evalTime).Seconds()
				r.TargetStep = p.Step
				return errTarget
			}
			return nil
		},
	}
	cfg.OnEpoch = func(p mlp.Progress) error {
		r.EpochCurve = append(r.EpochCurve, epochLoss{p.Step, p.Loss})
		return nil
	}
	stopProfile, err := startProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	res, err := net.Fit(context.Background(), d.train.X, d.train.Y, cfg)
	bar.done()
	if perr := stopProfile(); perr != nil {
		return perr
	}
	if err != nil && !errors.Is(err, errTarget) {
		return err
	}
	r.setTraining(res, evalTime, net)

	train, err := net.Evaluate(d.train.X, d.train.Y)
	if err != nil {
		return err
	}
	test, err := net.Evaluate(d.test.X, d.test.Y)
	if err != nil {
		return err
	}
	r.TrainLoss, r.TrainAccuracy = train.Loss, train.Accuracy
	r.TestLoss, r.TestAccuracy = test.Loss, test.Accuracy

	if o.compare {
		if r.Compare, err = compare(o, d, net.FLOPs(batch)); err != nil {
			return err
		}
	}
	if o.plot != "" {
		if err := plotCurves(o.plot, r); err != nil {
			return err
		}
		r.Plot = o.plot
	}
	r.TotalSeconds = time.Since(start).Seconds()
	if o.json {
		return r.writeJSON(out)
	}
	r.writeText(out)
	return nil
}

// newNet returns the network o describes for the data d.
func newNet(o *options, d *data) (*mlp.Network, error) {
	cfg := mlp.Config{Inputs: d.train.X.RawMatrix().Cols, Outputs: d.outputs(), Loss: d.loss, Seed: o.seed}
	for _, h := range o.hidden {
		cfg.Hidden = append(cfg.Hidden, mlp.Layer{Units: h, Act: o.act})
	}
	n, err := mlp.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return n, nil
}

// startProfile starts a CPU profile into path, unless path is empty, and
// returns the function that ends it.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
