package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mlp"
)

// report is what a run measured; -json writes it as is.
type report struct {
	CPU        string  `json:"cpu"`
	Kernels    string  `json:"kernels"`
	Threads    int     `json:"threads"`
	PeakGFLOPS float64 `json:"peak_gflops"` // 0: not measured
	Data       string  `json:"data"`
	Train      int     `json:"train_samples"`
	Test       int     `json:"test_samples"`
	Inputs     int     `json:"inputs"`
	Network    string  `json:"network"`
	Loss       string  `json:"loss"`
	Params     int     `json:"params"`
	Optimizer  string  `json:"optimizer"`
	Batch      int     `json:"batch"`

	Steps           int      `json:"steps"`
	PlannedSteps    int      `json:"planned_steps"` // what -iters and -epochs asked for
	Interrupted     bool     `json:"interrupted"`   // Ctrl-C stopped the run: Steps < PlannedSteps, no -compare
	Epochs          float64  `json:"epochs"`
	Prepacked       []string `json:"prepacked"` // operands packed once for all steps (mlp.Result.Prepacked)
	ForwardSeconds  float64  `json:"forward_s"`
	BackwardSeconds float64  `json:"backward_s"`
	UpdateSeconds   float64  `json:"update_s"`
	OtherSeconds    float64  `json:"other_s"` // packing X once, batch gathering, callbacks, progress
	TrainSeconds    float64  `json:"train_s"` // the four above
	EvalSeconds     float64  `json:"eval_s"`  // test evaluations during training
	SamplesPerSec   float64  `json:"samples_per_s"`
	GFLOPS          float64  `json:"gflops"`
	PeakShare       float64  `json:"peak_share"` // 0: no peak

	LastStepLoss  float64 `json:"last_step_loss"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`

	TargetAccuracy float64     `json:"target_accuracy,omitempty"`
	TargetStep     int         `json:"target_step,omitempty"` // 0: not reached
	TargetSeconds  float64     `json:"target_s,omitempty"`    // training time to reach it
	Compare        []row       `json:"compare,omitempty"`     // -compare
	CompareSkipped bool        `json:"-"`                     // -compare, but interrupted
	Plot           string      `json:"plot,omitempty"`        // -plot file
	LoadSeconds    float64     `json:"load_s"`                // reading the data
	TotalSeconds   float64     `json:"total_s"`               // the whole run
	Losses         []float64   `json:"-"`                     // per step, for -plot
	TestCurve      []point     `json:"test_curve,omitempty"`  // test accuracy during training
	EpochCurve     []epochLoss `json:"-"`                     // mean loss of each epoch, for -plot
}

// point is a test accuracy measured during training.
type point struct {
	Step     int     `json:"step"`
	Accuracy float64 `json:"accuracy"`
}

// epochLoss is an epoch's mean loss and the step that ended the epoch.
type epochLoss struct {
	Step int
	Loss float64
}

// newReport fills in what is known before training.
func newReport(o *options, d *data, info kernels.Report, peak float64, net *mlp.Network, opt mlp.Optimizer) *report {
	cfg := net.Config()
	sizes := []string{fmt.Sprint(cfg.Inputs)}
	for _, h := range cfg.Hidden {
		sizes = append(sizes, fmt.Sprint(h.Units))
	}
	sizes = append(sizes, fmt.Sprint(cfg.Outputs))
	name := strings.Join(sizes, "-")
	if len(cfg.Hidden) > 0 {
		name += " " + o.act.String()
	}
	batch := o.batch
	if batch == 0 || batch > d.train.n {
		batch = d.train.n
	}
	return &report{
		CPU: info.CPU, Kernels: info.Impl, Threads: info.Threads, PeakGFLOPS: peak,
		Data: d.source, Train: d.train.n, Test: d.test.n, Inputs: cfg.Inputs,
		Network: name, Loss: cfg.Loss.String(), Params: net.NumParams(),
		Optimizer: opt.String(), Batch: batch, TargetAccuracy: o.targetAcc,
	}
}

// setTraining records a Fit's result; evalTime is spent in test evaluations.
func (r *report) setTraining(res mlp.Result, evalTime time.Duration, net *mlp.Network) {
	r.Steps, r.Epochs, r.LastStepLoss = res.Steps, res.Epochs, res.Loss
	r.Prepacked = res.Prepacked
	r.ForwardSeconds, r.BackwardSeconds, r.UpdateSeconds = res.Forward.Seconds(), res.Backward.Seconds(), res.Update.Seconds()
	train := res.Elapsed - evalTime
	r.TrainSeconds, r.EvalSeconds = train.Seconds(), evalTime.Seconds()
	r.OtherSeconds = max(0, r.TrainSeconds-r.ForwardSeconds-r.BackwardSeconds-r.UpdateSeconds)
	if r.TrainSeconds > 0 {
		r.SamplesPerSec = float64(res.Samples) / r.TrainSeconds
		r.GFLOPS = net.FLOPs(1) * float64(res.Samples) / r.TrainSeconds / 1e9
	}
	if r.PeakGFLOPS > 0 {
		r.PeakShare = r.GFLOPS / r.PeakGFLOPS
	}
}

// writeJSON writes the report as one JSON object.
func (r *report) writeJSON(w io.Writer) error {
	c := *r
	for _, f := range []*float64{&c.TrainAccuracy, &c.TestAccuracy} {
		if math.IsNaN(*f) {
			*f = -1 // JSON has no NaN; -1 means no accuracy (MSE)
		}
	}
	return json.NewEncoder(w).Encode(c)
}

// writeText writes the report for people.
func (r *report) writeText(w io.Writer) {
	p := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-11s "+format+"\n", append([]any{label}, args...)...)
	}
	p("cpu", "%s", r.CPU)
	peak := "not measured"
	if r.PeakGFLOPS > 0 {
		peak = fmt.Sprintf("%.1f GFLOP/s", r.PeakGFLOPS)
	}
	p("kernels", "%s, %d threads, FMA peak %s", r.Kernels, r.Threads, peak)
	p("data", "%s", r.Data)
	p("", "%d training and %d test samples of %d inputs (read in %.2f s)", r.Train, r.Test, r.Inputs, r.LoadSeconds)
	p("network", "%s, %s loss, %d parameters", r.Network, r.Loss, r.Params)
	batch := "full batch"
	if r.Batch < r.Train {
		batch = fmt.Sprintf("batches of %d", r.Batch)
	}
	p("training", "%s, %s, %d steps (%.2f epochs)", r.Optimizer, batch, r.Steps, r.Epochs)
	if len(r.Prepacked) > 0 {
		p("prepacked", "%s", strings.Join(r.Prepacked, "; "))
	}
	if r.Interrupted {
		skipped := ""
		if r.CompareSkipped {
			skipped = "; -compare skipped"
		}
		p("interrupted", "after %d of %d steps%s", r.Steps, r.PlannedSteps, skipped)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-11s %10s %7s\n", "phase", "time", "share")
	for _, ph := range []struct {
		name string
		s    float64
	}{{"forward", r.ForwardSeconds}, {"backward", r.BackwardSeconds}, {"update", r.UpdateSeconds}, {"other", r.OtherSeconds}, {"training", r.TrainSeconds}} {
		fmt.Fprintf(w, "%-11s %9.3fs %6.1f%%\n", ph.name, ph.s, 100*ph.s/max(r.TrainSeconds, 1e-9))
	}
	fmt.Fprintln(w)
	share := ""
	if r.PeakShare > 0 {
		share = fmt.Sprintf(", %.0f%% of peak", 100*r.PeakShare)
	}
	p("throughput", "%.0f samples/s, %.1f GFLOP/s%s", r.SamplesPerSec, r.GFLOPS, share)
	p("loss", "%.4f on the training set (last step's batch: %.4f)", r.TrainLoss, r.LastStepLoss)
	if !math.IsNaN(r.TestAccuracy) {
		p("accuracy", "train %.2f%%, test %.2f%% (test loss %.4f)", 100*r.TrainAccuracy, 100*r.TestAccuracy, r.TestLoss)
	}
	if r.TargetAccuracy > 0 {
		if r.TargetStep > 0 {
			p("target", "test accuracy %.2f%% reached at step %d after %.2f s of training", 100*r.TargetAccuracy, r.TargetStep, r.TargetSeconds)
		} else {
			p("target", "test accuracy %.2f%% not reached", 100*r.TargetAccuracy)
		}
	}
	if r.EvalSeconds > 0 {
		p("evaluation", "%.2f s of test evaluations during training (not in the training time)", r.EvalSeconds)
	}
	if len(r.Compare) > 0 {
		fmt.Fprintln(w)
		writeCompare(w, r.Compare)
	}
	if r.Plot != "" {
		p("plot", "%s", r.Plot)
	}
	p("total", "%.2f s", r.TotalSeconds)
}
