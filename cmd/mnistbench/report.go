package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mlp"
)

// report is what a run measured; -json writes it as is, but for NaN and
// infinite values, which JSON has not: its floats are jfloats, written as
// null then, and listed in NonFinite.
type report struct {
	CPU        string `json:"cpu"`
	Kernels    string `json:"kernels"`
	Threads    int    `json:"threads"`
	PeakGFLOPS jfloat `json:"peak_gflops"` // 0: not measured
	Data       string `json:"data"`
	Train      int    `json:"train_samples"`
	Test       int    `json:"test_samples"`
	Inputs     int    `json:"inputs"`
	Network    string `json:"network"`
	Loss       string `json:"loss"`
	Params     int    `json:"params"`
	Optimizer  string `json:"optimizer"`
	Batch      int    `json:"batch"`

	Schedule    string `json:"schedule"` // -schedule, resolved: "constant", "cosine:1000:0", …
	LastLR      jfloat `json:"last_lr"`  // the learning rate of the last step, scheduled (0: no step)
	WeightDecay jfloat `json:"weight_decay"`
	Dropout     jfloat `json:"dropout"`
	ResumedFrom string `json:"resumed_from,omitempty"` // -resume file
	StepsBefore int    `json:"steps_before,omitempty"` // its steps: this run's are steps_before+1 to steps_before+steps

	Steps           int      `json:"steps"`              // this run's, which the times and throughput count
	PlannedSteps    int      `json:"planned_steps"`      // what -iters and -epochs asked for, from the start of training (-resume's steps included)
	Interrupted     bool     `json:"interrupted"`        // Ctrl-C stopped the run: StepsBefore+Steps < PlannedSteps, no -compare
	Diverged        string   `json:"diverged,omitempty"` // why training diverged, the command's error; no -compare
	Epochs          jfloat   `json:"epochs"`
	Prepacked       []string `json:"prepacked"`   // operands packed once for all steps (mlp.Result.Prepacked)
	SparseMode      string   `json:"sparse_mode"` // -sparse: auto, on or off
	Sparse          bool     `json:"sparse"`      // the first layer's products took the sparse path (mlp.Result.Sparse)
	Density         jfloat   `json:"density"`     // the fraction of the training X's elements that are not zero
	ForwardSeconds  jfloat   `json:"forward_s"`
	BackwardSeconds jfloat   `json:"backward_s"`
	UpdateSeconds   jfloat   `json:"update_s"`
	OtherSeconds    jfloat   `json:"other_s"` // packing X once, batch gathering, callbacks, progress
	TrainSeconds    jfloat   `json:"train_s"` // the four above
	EvalSeconds     jfloat   `json:"eval_s"`  // test evaluations during training
	SamplesPerSec   jfloat   `json:"samples_per_s"`
	GFLOPS          jfloat   `json:"gflops"`
	PeakShare       jfloat   `json:"peak_share"` // 0: no peak

	LastStepLoss  jfloat `json:"last_step_loss"`
	TrainLoss     jfloat `json:"train_loss"`
	TrainAccuracy jfloat `json:"train_accuracy"`
	TestLoss      jfloat `json:"test_loss"`
	TestAccuracy  jfloat `json:"test_accuracy"`

	Validation *validation `json:"validation,omitempty"` // -val-split

	TargetAccuracy jfloat      `json:"target_accuracy,omitempty"`
	TargetStep     int         `json:"target_step,omitempty"` // 0: not reached
	TargetSeconds  jfloat      `json:"target_s,omitempty"`    // training time to reach it
	Compare        []row       `json:"compare,omitempty"`     // -compare
	CompareSkipped bool        `json:"-"`                     // -compare, but interrupted or diverged
	Plot           string      `json:"plot,omitempty"`        // -plot file
	Saved          string      `json:"saved,omitempty"`       // -save file, once written
	ONNX           string      `json:"onnx,omitempty"`        // -onnx file, once written
	FilesSkipped   bool        `json:"-"`                     // -save or -onnx, but training diverged
	LoadSeconds    jfloat      `json:"load_s"`                // reading the data
	TotalSeconds   jfloat      `json:"total_s"`               // the whole run
	Losses         []float64   `json:"-"`                     // per step, for -plot
	TestCurve      []point     `json:"test_curve,omitempty"`  // test accuracy during training
	EpochCurve     []epochLoss `json:"-"`                     // mean loss of each epoch, for -plot
	// NonFinite lists the values above that are NaN or infinite, each as
	// "json_name: value (why)", e.g. "train_loss: +Inf (training
	// diverged)"; writeJSON fills it in.
	NonFinite []string `json:"non_finite,omitempty"`
}

// validation is what the validations during training found (-val-split).
type validation struct {
	Samples     int `json:"samples"`     // held out of the training data
	Every       int `json:"every"`       // steps between validations; 0: at each epoch's end
	Validations int `json:"validations"` // validations run
	// The last validation's loss and accuracy, and the best one's (the
	// lowest loss) with its step; NaN (null) while none ran.
	Loss         jfloat `json:"loss"`
	Accuracy     jfloat `json:"accuracy"`
	BestLoss     jfloat `json:"best_loss"`
	BestAccuracy jfloat `json:"best_accuracy"`
	BestStep     int    `json:"best_step"`
	Patience     int    `json:"patience"`      // -patience; 0: off
	StoppedEarly bool   `json:"stopped_early"` // -patience ended training
	RestoreBest  bool   `json:"restore_best"`  // -restore-best
	Restored     bool   `json:"restored"`      // training ended with the weights of BestStep
}

// point is a test accuracy measured during training.
type point struct {
	Step     int    `json:"step"`
	Accuracy jfloat `json:"accuracy"`
}

// epochLoss is an epoch's mean loss and the step that ended the epoch.
type epochLoss struct {
	Step int
	Loss float64
}

// newReport fills in what is known before training: batch is the samples
// a step takes, sch the schedule resolved from -schedule.
func newReport(o *options, d *data, info kernels.Report, peak float64, net *mlp.Network, batch int, sch mlp.Schedule) *report {
	cfg := net.Config()
	r := &report{
		CPU: info.CPU, Kernels: info.Impl, Threads: info.Threads, PeakGFLOPS: jfloat(peak),
		Data: d.source, Train: d.train.n, Test: d.test.n, Inputs: cfg.Inputs,
		Network: netName(cfg), Loss: cfg.Loss.String(), Params: net.NumParams(),
		Optimizer: o.optimizer.String(), Batch: batch, SparseMode: o.sparse.String(), TargetAccuracy: jfloat(o.targetAcc),
		Schedule: fmt.Sprint(sch), WeightDecay: jfloat(o.weightDecay), Dropout: jfloat(o.dropout),
	}
	if o.resume != "" {
		r.ResumedFrom, r.StepsBefore = o.resume, net.Steps()
	}
	if d.val.n > 0 {
		nan := jfloat(math.NaN())
		r.Validation = &validation{Samples: d.val.n, Every: o.evalEvery, Loss: nan, Accuracy: nan, BestLoss: nan, BestAccuracy: nan,
			Patience: o.patience, RestoreBest: o.restoreBest}
	}
	return r
}

// setTraining records a Fit's result; evalTime is spent in test evaluations.
func (r *report) setTraining(res mlp.Result, evalTime time.Duration, net *mlp.Network) {
	r.Steps, r.Epochs, r.LastStepLoss = res.Steps, jfloat(res.Epochs), jfloat(res.Loss)
	r.Prepacked = res.Prepacked
	r.Sparse, r.Density = res.Sparse, jfloat(res.Density)
	r.ForwardSeconds, r.BackwardSeconds, r.UpdateSeconds = jfloat(res.Forward.Seconds()), jfloat(res.Backward.Seconds()), jfloat(res.Update.Seconds())
	train := res.Elapsed - evalTime
	r.TrainSeconds, r.EvalSeconds = jfloat(train.Seconds()), jfloat(evalTime.Seconds())
	r.OtherSeconds = max(0, r.TrainSeconds-r.ForwardSeconds-r.BackwardSeconds-r.UpdateSeconds)
	if r.TrainSeconds > 0 {
		r.SamplesPerSec = jfloat(res.Samples) / r.TrainSeconds
		r.GFLOPS = jfloat(net.FLOPs(1)*float64(res.Samples)) / r.TrainSeconds / 1e9
	}
	if r.PeakGFLOPS > 0 {
		r.PeakShare = r.GFLOPS / r.PeakGFLOPS
	}
	if v := r.Validation; v != nil && res.BestStep > 0 {
		v.Loss, v.Accuracy = jfloat(res.Val.Loss), jfloat(res.Val.Accuracy)
		v.BestLoss, v.BestAccuracy, v.BestStep = jfloat(res.Best.Loss), jfloat(res.Best.Accuracy), res.BestStep
		v.StoppedEarly, v.Restored = res.Stopped, res.Restored
	}
}

// endStep is the step training ended at, counted from its start:
// -resume's steps and this run's.
func (r *report) endStep() int { return r.StepsBefore + r.Steps }

// writeJSON writes the report as one JSON object on one line, with the
// NaN and infinite values written as null and listed in non_finite.
func (r *report) writeJSON(w io.Writer) error {
	c := *r
	c.NonFinite = r.nonFinite()
	return json.NewEncoder(w).Encode(c)
}

// jfloat is a float64 that encoding/json writes as it writes a float64,
// but for NaN and ±Inf, which JSON has not: it writes them as null.
type jfloat float64

// MarshalJSON writes f as json.Marshal writes a float64, or null when f is
// NaN or infinite.
func (f jfloat) MarshalJSON() ([]byte, error) {
	if !finite(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// nonFinite returns the report's NaN and infinite values as
// "json_name: value (why)".
func (r *report) nonFinite() []string {
	var notes []string
	walkFloats(reflect.ValueOf(*r), "", func(name string, f float64) {
		why := "could not be computed"
		switch {
		case strings.HasPrefix(name, "validation.") && r.Validation.Validations == 0:
			why = "no validation ran"
		case r.Diverged != "" && (strings.Contains(name, "loss") || strings.Contains(name, "accuracy")):
			why = "training diverged"
		}
		notes = append(notes, fmt.Sprintf("%s: %v (%s)", name, f, why))
	})
	return notes
}

// walkFloats calls fn with the JSON name (name, name.field or name[i]) and
// the value of each NaN or infinite float in v, skipping fields that JSON
// leaves out (unexported or tagged "-").
func walkFloats(v reflect.Value, name string, fn func(name string, f float64)) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); !finite(f) {
			fn(name, f)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			walkFloats(v.Elem(), name, fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkFloats(v.Index(i), fmt.Sprintf("%s[%d]", name, i), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			field, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if !sf.IsExported() || field == "-" {
				continue
			}
			if field == "" {
				field = sf.Name
			}
			if name != "" {
				field = name + "." + field
			}
			walkFloats(v.Field(i), field, fn)
		}
	}
}

// writeText writes the report for people.
func (r *report) writeText(w io.Writer) error {
	ew := &errWriter{w: w}
	w = ew
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
	held := ""
	if r.Validation != nil {
		held = fmt.Sprintf(" (%d more held out for validation)", r.Validation.Samples)
	}
	p("", "%d training%s and %d test samples of %d inputs (read in %.2f s)", r.Train, held, r.Test, r.Inputs, r.LoadSeconds)
	p("network", "%s, %s loss, %d parameters", r.Network, r.Loss, r.Params)
	batch := "full batch"
	if r.Batch < r.Train {
		batch = fmt.Sprintf("batches of %d", r.Batch)
	}
	p("training", "%s, %s, %d steps (%.2f epochs)", r.Optimizer, batch, r.Steps, r.Epochs)
	if r.ResumedFrom != "" {
		took := "no step"
		if r.Steps > 0 {
			took = fmt.Sprintf("steps %d to %d", r.StepsBefore+1, r.endStep())
		}
		p("resumed", "from %s after step %d: this run took %s", r.ResumedFrom, r.StepsBefore, took)
	}
	p("lr", "%.4g at the last step, schedule %s", r.LastLR, r.Schedule)
	if r.WeightDecay > 0 || r.Dropout > 0 {
		p("regularize", "weight decay %g, dropout %g", r.WeightDecay, r.Dropout)
	}
	p("first layer", "%s", r.firstLayer())
	if len(r.Prepacked) > 0 {
		p("prepacked", "%s", strings.Join(r.Prepacked, "; "))
	}
	if r.Interrupted {
		skipped := ""
		if r.CompareSkipped {
			skipped = "; -compare skipped"
		}
		p("interrupted", "after %d of %d steps%s", r.endStep(), r.PlannedSteps, skipped)
	}
	if r.Diverged != "" {
		skipped := ""
		if r.CompareSkipped && !r.Interrupted {
			skipped = "; -compare skipped"
		}
		if r.FilesSkipped {
			skipped += "; -save and -onnx skipped"
		}
		p("diverged", "%s%s", strings.TrimPrefix(r.Diverged, "training diverged: "), skipped)
	}
	for i, n := range r.nonFinite() {
		label := ""
		if i == 0 {
			label = "not finite"
		}
		p(label, "%s", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-11s %10s %7s\n", "phase", "time", "share")
	for _, ph := range []struct {
		name string
		s    jfloat
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
	if !math.IsNaN(float64(r.TestAccuracy)) {
		p("accuracy", "train %.2f%%, test %.2f%% (test loss %.4f)", 100*r.TrainAccuracy, 100*r.TestAccuracy, r.TestLoss)
	}
	if v := r.Validation; v != nil {
		every := "at each epoch's end"
		if v.Every > 0 {
			every = fmt.Sprintf("every %d steps", v.Every)
		}
		p("validation", "%d samples held out, validated %s", v.Samples, every)
		if v.Validations == 0 {
			p("", "no validation ran")
		} else {
			p("", "last: loss %.4f, accuracy %.2f%% (%d validations)", v.Loss, 100*v.Accuracy, v.Validations)
			p("", "best: loss %.4f, accuracy %.2f%% at step %d", v.BestLoss, 100*v.BestAccuracy, v.BestStep)
		}
		if v.StoppedEarly {
			p("stopped", "early at step %d of %d: %d validations without a lower loss (-patience %d)", r.endStep(), r.PlannedSteps, v.Patience, v.Patience)
		}
		if v.Restored {
			p("restored", "the weights of step %d, the best validation (-restore-best); the loss and accuracy above are theirs", v.BestStep)
		}
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
	if r.Saved != "" {
		p("saved", "%s, with its training state: -resume %s continues it", r.Saved, r.Saved)
	}
	if r.ONNX != "" {
		p("onnx", "%s", r.ONNX)
	}
	p("total", "%.2f s", r.TotalSeconds)
	return ew.err
}

// firstLayer says which path the first layer's products took, with X's
// density and, unless -sparse auto chose it, the flag that did: "sparse (X
// density 20.8%)", "dense (X density 20.8%, -sparse off)".
func (r *report) firstLayer() string {
	why := ""
	switch {
	case r.SparseMode != "" && r.SparseMode != mlp.SparseAuto.String():
		why = ", -sparse " + r.SparseMode
	case !r.Sparse && r.Density > mlp.SparseDensity:
		why = fmt.Sprintf(", over the %g%% of -sparse auto", 100*mlp.SparseDensity)
	case !r.Sparse:
		why = fmt.Sprintf(", batches under the %d of -sparse auto", mlp.SparseMinBatch)
	}
	return fmt.Sprintf("%s (X density %.1f%%%s)", pathName(r.Sparse), 100*r.Density, why)
}

// errWriter passes writes on to w until one fails, and then keeps that
// error.
type errWriter struct {
	w   io.Writer
	err error
}

// Write writes p to w unless an earlier write failed.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
