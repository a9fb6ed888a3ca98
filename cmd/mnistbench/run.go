package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mlp"
)

// errTarget stops Fit when the test accuracy reaches -target-acc.
var errTarget = errors.New("target accuracy reached")

// errInterrupted is what run returns, wrapped, when ctx ended training
// early; the report of the steps done is written all the same.
var errInterrupted = errors.New("interrupted")

// run trains as o says and writes the report to out (progress to errOut).
// When ctx is done (Ctrl-C), training stops after the step under way,
// -compare is skipped, and the report, the plot and the -save and -onnx
// files of the steps done are written; run then returns an error that
// wraps errInterrupted. When training diverges, the same happens, but for
// the -save and -onnx files, and run returns an error that says so. An
// error in writing the plot, the model files or the CPU profile comes
// after the report too.
func run(ctx context.Context, o *options, out, errOut io.Writer) error {
	if err := kernels.Use(o.kernels); err != nil {
		return err
	}
	kernels.SetThreads(o.threads)
	start := time.Now()
	var net *mlp.Network
	if o.resume != "" { // before the data, which takes longer to read
		var err error
		if net, err = loadResume(o); err != nil {
			return err
		}
	}
	d, err := loadData(o)
	if err != nil {
		return err
	}
	if err := d.holdOut(o.valSplit); err != nil {
		return err
	}
	loadTime := time.Since(start)

	batch := o.batch
	if batch > d.train.n {
		held := ""
		if d.val.n > 0 {
			held = fmt.Sprintf(" left by -val-split %v", o.valSplit)
		}
		return fmt.Errorf("-batch %d: more than the %d training samples%s; use -batch 0 (or %d) for the full batch", o.batch, d.train.n, held, d.train.n)
	}
	if batch == 0 {
		batch = d.train.n
	}
	stepsPerEpoch := (d.train.n + batch - 1) / batch
	total := o.iters
	if o.epochs > 0 {
		epochSteps := math.MaxInt // -epochs beyond counting
		if o.epochs <= math.MaxInt/stepsPerEpoch {
			epochSteps = o.epochs * stepsPerEpoch
		}
		if total == 0 || epochSteps < total {
			total = epochSteps
		}
	}
	if total > maxSteps {
		return fmt.Errorf("-epochs %d of %d steps each: more than %d steps; use fewer epochs or a larger -batch", o.epochs, stepsPerEpoch, maxSteps)
	}
	if net == nil {
		if net, err = newNet(o, d); err != nil {
			return err
		}
	} else if before := net.Steps(); before >= total {
		return fmt.Errorf("-resume %s: its training is %d steps in, and -iters and -epochs ask for %d, counted from the start of training: ask for more steps to train further", o.resume, before, total)
	}
	sch, err := parseSchedule(o.schedule, total)
	if err != nil {
		return err
	}
	if err := checkMemory(net, batch, d.train.n); err != nil {
		return err
	}

	info := kernels.Info()
	peak, err := kernels.MeasurePeak(info.Threads, 300*time.Millisecond)
	if err != nil {
		peak = 0 // the report says it was not measured
	}
	r := newReport(o, d, info, peak, net, batch, sch)
	r.LoadSeconds = jfloat(loadTime.Seconds())
	r.PlannedSteps = total
	evalEvery := o.evalEvery
	if evalEvery == 0 {
		evalEvery = stepsPerEpoch
		if batch == d.train.n {
			evalEvery = 10
		}
	}
	watch := o.plot != "" || o.targetAcc > 0
	bar := newProgress(errOut, total, o.json)
	bar.first = r.StepsBefore
	var evalTime time.Duration
	if o.plot != "" {
		r.Losses = make([]float64, 0, min(total, 1<<20))
	}
	cfg := mlp.FitConfig{
		Optimizer: o.optimizer, Iterations: o.iters, Epochs: o.epochs, BatchSize: o.batch, Seed: o.seed, Sparse: o.sparse,
		Resume: o.resume != "", Schedule: sch, WeightDecay: float32(o.weightDecay), Dropout: float32(o.dropout),
		OnStep: func(p mlp.Progress) error {
			if o.plot != "" {
				r.Losses = append(r.Losses, p.Loss)
			}
			r.LastLR = jfloat(p.LR) // rounded to the float32 the step took once, after training
			if p.Validated {
				r.Validation.Validations++
			}
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
			r.TestCurve = append(r.TestCurve, point{Step: p.Step, Accuracy: jfloat(m.Accuracy)})
			if o.targetAcc > 0 && m.Accuracy >= o.targetAcc {
				r.TargetSeconds = jfloat((p.Elapsed - evalTime).Seconds())
				r.TargetStep = p.Step
				return errTarget
			}
			return nil
		},
	}
	if d.val.n > 0 {
		cfg.ValX, cfg.ValY, cfg.ValEvery = d.val.X, d.val.Y, o.evalEvery
		cfg.Patience, cfg.RestoreBest = o.patience, o.restoreBest
	}
	cfg.OnEpoch = func(p mlp.Progress) error {
		r.EpochCurve = append(r.EpochCurve, epochLoss{p.Step, p.Loss})
		return nil
	}
	stopProfile, err := startProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	res, err := net.Fit(ctx, d.train.X, d.train.Y, cfg)
	bar.done()
	var late []error // reported after the report
	if perr := stopProfile(); perr != nil {
		late = append(late, fmt.Errorf("-cpuprofile %s: %w", o.cpuProfile, perr))
	}
	r.Interrupted = ctx.Err() != nil // also when the signal came in the last step
	var diverged error
	if errors.Is(err, mlp.ErrDiverged) { // the network keeps the weights of the steps done
		diverged = errors.New(strings.TrimPrefix(err.Error(), "mlp: "))
	} else if err != nil && !errors.Is(err, errTarget) && !(r.Interrupted && errors.Is(err, ctx.Err())) {
		return errors.Join(append([]error{resumeError(o, err)}, late...)...)
	}
	r.LastLR = jfloat(float32Value(float64(r.LastLR)))
	r.setTraining(res, evalTime, net)

	train, err := net.Evaluate(d.train.X, d.train.Y)
	if err != nil {
		return err
	}
	test, err := net.Evaluate(d.test.X, d.test.Y)
	if err != nil {
		return err
	}
	r.TrainLoss, r.TrainAccuracy = jfloat(train.Loss), jfloat(train.Accuracy)
	r.TestLoss, r.TestAccuracy = jfloat(test.Loss), jfloat(test.Accuracy)
	if diverged == nil && r.Steps > 0 && !(finite(train.Loss) && finite(test.Loss)) {
		// The last step made weights so large that their loss is not finite.
		diverged = fmt.Errorf("training diverged: the loss on the training set is %v after step %d (on the test set %v): lower the learning rate", train.Loss, r.endStep(), test.Loss)
	}
	if diverged != nil {
		r.Diverged = diverged.Error()
	}
	if c := r.TestCurve; watch && r.Steps > 0 && (len(c) == 0 || c[len(c)-1].Step != r.endStep()) {
		r.TestCurve = append(c, point{Step: r.endStep(), Accuracy: jfloat(test.Accuracy)}) // an interrupted run's curve ends where it stopped
	}

	// The model files, before -compare, which a Ctrl-C may cut short. A
	// diverged network is not worth keeping; an interrupted one is, and
	// -resume continues it.
	r.FilesSkipped = diverged != nil && (o.save != "" || o.onnx != "")
	if o.save != "" && diverged == nil {
		if err := net.SaveFile(o.save); err != nil {
			late = append(late, &fileError{fmt.Sprintf("-save %s: %s", o.save, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "mlp: model file "+o.save+": "), "mlp: ")), err})
		} else {
			r.Saved = o.save
		}
	}
	if o.onnx != "" && diverged == nil {
		if err := writeONNX(net, o.onnx); err != nil {
			late = append(late, fmt.Errorf("-onnx %s: %w", o.onnx, err))
		} else {
			r.ONNX = o.onnx
		}
	}

	if o.compare && !r.Interrupted && diverged == nil {
		if r.Compare, err = compare(ctx, o, d, net.Config()); err != nil {
			r.Compare = nil
			if ctx.Err() == nil {
				late = append(late, fmt.Errorf("-compare: %w", err))
			}
			r.Interrupted = ctx.Err() != nil // while comparing: the training's report stands
		}
	}
	r.CompareSkipped = o.compare && (r.Interrupted || diverged != nil)
	if o.plot != "" {
		if err := plotCurves(o.plot, r); err != nil {
			late = append(late, fmt.Errorf("-plot %s: %w", o.plot, err))
		} else {
			r.Plot = o.plot
		}
	}
	r.TotalSeconds = jfloat(time.Since(start).Seconds())
	write := r.writeText
	if o.json {
		write = r.writeJSON
	}
	if err := write(out); err != nil {
		late = append(late, fmt.Errorf("writing the report: %w", err))
	}
	if diverged != nil {
		late = append([]error{diverged}, late...)
	}
	if r.Interrupted {
		late = append(late, fmt.Errorf("%w after %d of %d steps", errInterrupted, r.endStep(), r.PlannedSteps))
	}
	return errors.Join(late...)
}

// float32Value returns f rounded to float32, as the float64 of float32's
// shortest decimal: 0.1, not 0.10000000149011612. The steps take the
// learning rate as a float32.
func float32Value(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64) // ±Inf and NaN parse back
	return v
}

// finite reports whether f is neither NaN nor infinite.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// newNet returns the network o describes for the data d.
func newNet(o *options, d *data) (*mlp.Network, error) {
	n, err := mlp.New(netConfig(o, d.train.X.RawMatrix().Cols, d.outputs(), d.loss))
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return n, nil
}

// netConfig returns the configuration of the network o describes, with
// inputs inputs and outputs outputs under loss.
func netConfig(o *options, inputs, outputs int, loss mlp.Loss) mlp.Config {
	cfg := mlp.Config{Inputs: inputs, Outputs: outputs, Loss: loss, Seed: o.seed}
	for _, h := range o.hidden {
		cfg.Hidden = append(cfg.Hidden, mlp.Layer{Units: h, Act: o.act})
	}
	return cfg
}

// startProfile starts a CPU profile into path, unless path is empty, and
// returns the function that ends it. The profile is kept in memory and
// written when it ends, so that a failed write is an error (runtime/pprof
// drops its own write errors).
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		_, err := buf.WriteTo(f)
		return errors.Join(err, f.Close())
	}, nil
}
