package mlp

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofma/gofma/mat32"
)

// resumeSteps is the length of every resume run: a split at 17 falls in
// the middle of an epoch of 23 samples in batches of 5 (epochs of 5 steps,
// the last of 3 samples).
const resumeSteps = 40

// resumeCase is a training run that the resume tests cut into parts.
type resumeCase struct {
	name   string
	cfg    Config
	fit    FitConfig // Iterations and Resume are set by the tests
	rows   int
	sparse bool // most of X is zero
}

// resumeSchedule warms up for 3 steps and then anneals, so that a resumed
// run with the wrong step count would use other rates.
var resumeSchedule = Warmup{Steps: 3, Then: Cosine{Steps: 20, Min: 0.1}}

// resumeCases are the runs: every optimizer, on mini-batches whose size
// does not divide the samples (GD, and Adam once, on the full batch),
// with a schedule, weight decay and dropout in some.
func resumeCases() []resumeCase {
	ce := Config{Inputs: 5, Hidden: []Layer{{8, Tanh}, {6, ReLU}}, Outputs: 3, Loss: CrossEntropy, Init: InitXavier, Seed: 21}
	bce := Config{Inputs: 4, Hidden: []Layer{{7, Sigmoid}}, Outputs: 2, Loss: BinaryCrossEntropy, Seed: 22}
	mse := Config{Inputs: 6, Hidden: []Layer{{5, ReLU}}, Outputs: 2, Loss: MeanSquaredError, Init: InitHe, Seed: 23}
	return []resumeCase{
		{name: "GD", cfg: ce, rows: 23, fit: FitConfig{Optimizer: GD{LR: 0.2}, Schedule: resumeSchedule, WeightDecay: 1e-3}},
		{name: "SGD", cfg: bce, rows: 23, fit: FitConfig{Optimizer: SGD{LR: 0.1}, BatchSize: 5, Seed: 4, WeightDecay: 1e-3}},
		{name: "Momentum", cfg: ce, rows: 23, fit: FitConfig{Optimizer: Momentum{LR: 0.05, Mu: 0.8}, BatchSize: 5, Seed: 5, Schedule: resumeSchedule, Dropout: 0.2}},
		{name: "AdaGrad", cfg: mse, rows: 23, fit: FitConfig{Optimizer: AdaGrad{LR: 0.05}, BatchSize: 5, Seed: 6}},
		{name: "RMSProp", cfg: ce, rows: 23, fit: FitConfig{Optimizer: RMSProp{LR: 0.005}, BatchSize: 5, Seed: 7, WeightDecay: 1e-2, Dropout: 0.1}},
		{name: "Adam", cfg: ce, rows: 23, fit: FitConfig{Optimizer: Adam{LR: 0.01}, BatchSize: 5, Seed: 8, Schedule: resumeSchedule, WeightDecay: 1e-3, Dropout: 0.25}},
		{name: "AdamW", cfg: bce, rows: 23, fit: FitConfig{Optimizer: AdamW{LR: 0.01, WeightDecay: 0.05}, BatchSize: 5, Seed: 9, Schedule: resumeSchedule}},
		{name: "Adam full batch", cfg: mse, rows: 23, fit: FitConfig{Optimizer: Adam{LR: 0.01}, Schedule: resumeSchedule, Dropout: 0.1}},
		{name: "Adam sparse", cfg: ce, rows: 23, sparse: true, fit: FitConfig{Optimizer: Adam{LR: 0.01}, BatchSize: 5, Seed: 10, Sparse: SparseOn, Dropout: 0.1}},
	}
}

// data returns the run's samples and targets.
func (c resumeCase) data() (X, Y *mat32.Dense) {
	X, Y = modelTestData(c.cfg, c.rows, c.cfg.Seed+100)
	if c.sparse {
		x := X.RawMatrix().Data
		for i := range x {
			if i%4 != 0 {
				x[i] = 0
			}
		}
	}
	return X, Y
}

// fitTo trains n with Resume (or not) until step total.
func (c resumeCase) fitTo(t testing.TB, n *Network, total int, resume bool) Result {
	t.Helper()
	X, Y := c.data()
	fit := c.fit
	fit.Iterations, fit.Resume = total, resume
	res, err := n.Fit(context.Background(), X, Y, fit)
	if err != nil {
		t.Fatalf("%s: Fit to step %d (Resume %v): %v", c.name, total, resume, err)
	}
	return res
}

// newNet returns a new network of the run's shape.
func (c resumeCase) newNet(t testing.TB) *Network {
	t.Helper()
	n, err := New(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// resumeSaveLoad returns the network a model file of n loads as: through
// a file, with file, or through memory.
func resumeSaveLoad(t *testing.T, n *Network, file bool) *Network {
	t.Helper()
	var m *Network
	var err error
	if file {
		path := filepath.Join(t.TempDir(), "checkpoint.gofma")
		if err := n.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		m, err = LoadFile(path)
	} else {
		var b bytes.Buffer
		if err := n.Save(&b); err != nil {
			t.Fatal(err)
		}
		m, err = Load(&b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// resumeWantSame fails unless got has want's weights, bit for bit, and
// has taken resumeSteps steps.
func resumeWantSame(t *testing.T, got, want *Network) {
	t.Helper()
	if got.Steps() != resumeSteps {
		t.Errorf("Steps() = %d, want %d", got.Steps(), resumeSteps)
	}
	for i := range want.params {
		if g, w := math.Float32bits(got.params[i]), math.Float32bits(want.params[i]); g != w {
			t.Fatalf("parameter %d of %d = %v, the straight run's %v: resuming changed the training", i, len(want.params), got.params[i], want.params[i])
		}
	}
}

// TestResumeIdentity checks the resume identity for every optimizer:
// training resumeSteps steps straight gives bitwise the weights of
// training 17, saving, loading and resuming to resumeSteps; and of three
// splits (one in memory, without saving); and of a checkpoint saved in
// OnStep during the straight run.
func TestResumeIdentity(t *testing.T) {
	for _, c := range resumeCases() {
		t.Run(c.name, func(t *testing.T) {
			// The straight run, saving a checkpoint in OnStep after step 17.
			straight := c.newNet(t)
			var onStep bytes.Buffer
			X, Y := c.data()
			fit := c.fit
			fit.Iterations = resumeSteps
			fit.OnStep = func(p Progress) error {
				if p.Step == 17 {
					return straight.Save(&onStep)
				}
				return nil
			}
			if _, err := straight.Fit(context.Background(), X, Y, fit); err != nil {
				t.Fatal(err)
			}
			if straight.Steps() != resumeSteps {
				t.Fatalf("the straight run: Steps() = %d", straight.Steps())
			}

			// Split once, through a file.
			first := c.newNet(t)
			c.fitTo(t, first, 17, false)
			if c.fit.BatchSize > 0 && first.state.pos == 0 {
				t.Fatalf("the split at step 17 is at an epoch's start: the case does not test a split mid-epoch")
			}
			resumed := resumeSaveLoad(t, first, true)
			if resumed.Steps() != 17 {
				t.Fatalf("loaded at step %d, want 17", resumed.Steps())
			}
			if res := c.fitTo(t, resumed, resumeSteps, true); res.Steps != resumeSteps-17 {
				t.Errorf("the resumed Fit took %d steps, want %d", res.Steps, resumeSteps-17)
			}
			resumeWantSame(t, resumed, straight)
			// The whole state too: the moments, the data order, the
			// generator.
			modelCheckState(t, resumeSaveLoad(t, resumed, false).state, straight.state)

			// From the checkpoint written in OnStep.
			fromCallback, err := Load(&onStep)
			if err != nil {
				t.Fatal(err)
			}
			if fromCallback.Steps() != 17 {
				t.Fatalf("the checkpoint saved in OnStep after step 17 holds %d steps", fromCallback.Steps())
			}
			modelCheckState(t, fromCallback.state, resumeSaveLoad(t, first, false).state)
			c.fitTo(t, fromCallback, resumeSteps, true)
			resumeWantSame(t, fromCallback, straight)

			// Three splits: 9 and 31 through memory, 17 on the same
			// network.
			n := c.newNet(t)
			c.fitTo(t, n, 9, false)
			n = resumeSaveLoad(t, n, false)
			c.fitTo(t, n, 17, true)
			c.fitTo(t, n, 31, true)
			n = resumeSaveLoad(t, n, false)
			c.fitTo(t, n, resumeSteps, true)
			resumeWantSame(t, n, straight)

			// A Resume whose end is reached takes no step.
			if res := c.fitTo(t, n, resumeSteps, true); res.Steps != 0 || n.Steps() != resumeSteps {
				t.Errorf("resuming at the end took %d steps, to %d", res.Steps, n.Steps())
			}
			resumeWantSame(t, n, straight)
		})
	}
}

// resumeChildEnv names, for TestResumeChild, the case, the checkpoint
// to resume and the file to save the result to, separated by "|".
const resumeChildEnv = "GOFMA_RESUME_CHILD"

// TestResumeChild is the second half of TestResumeFreshProcess, run in a
// process of its own; alone it skips.
func TestResumeChild(t *testing.T) {
	arg := os.Getenv(resumeChildEnv)
	if arg == "" {
		t.Skip("run by TestResumeFreshProcess")
	}
	parts := strings.Split(arg, "|")
	if len(parts) != 3 {
		t.Fatalf("%s=%q: want case|checkpoint|output", resumeChildEnv, arg)
	}
	for _, c := range resumeCases() {
		if c.name != parts[0] {
			continue
		}
		n, err := LoadFile(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		c.fitTo(t, n, resumeSteps, true)
		if err := n.SaveFile(parts[2]); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no case %q", parts[0])
}

// TestResumeFreshProcess checks the resume identity across processes:
// this test trains 17 steps and saves; a new process of the test binary
// (TestResumeChild) loads, resumes to resumeSteps and saves; the result
// is bitwise the straight run, training state included.
func TestResumeFreshProcess(t *testing.T) {
	if os.Getenv(resumeChildEnv) != "" {
		t.Skip("in the child")
	}
	var c resumeCase
	for _, c = range resumeCases() {
		if c.name == "Adam" { // mini-batches, a schedule, weight decay and dropout
			break
		}
	}
	straight := c.newNet(t)
	c.fitTo(t, straight, resumeSteps, false)
	first := c.newNet(t)
	c.fitTo(t, first, 17, false)
	dir := t.TempDir()
	checkpoint, output := filepath.Join(dir, "half.gofma"), filepath.Join(dir, "done.gofma")
	if err := first.SaveFile(checkpoint); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), resumeChildEnv+"="+c.name+"|"+checkpoint+"|"+output)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child process: %v\n%s", err, out)
	}
	done, err := LoadFile(output)
	if err != nil {
		t.Fatalf("the child's result: %v", err)
	}
	resumeWantSame(t, done, straight)
	modelCheckState(t, done.state, straight.state)
}

// TestResumeErrors checks Fit's errors for a Resume that cannot continue
// the network's training state.
func TestResumeErrors(t *testing.T) {
	c := resumeCases()[5] // Adam, mini-batches
	X, Y := c.data()
	fit := func(n *Network, f func(*FitConfig), X, Y *mat32.Dense) error {
		cfg := c.fit
		cfg.Iterations, cfg.Resume = resumeSteps, true
		if f != nil {
			f(&cfg)
		}
		_, err := n.Fit(context.Background(), X, Y, cfg)
		return err
	}
	wantErr := func(err error, substr string) {
		t.Helper()
		if err == nil || !strings.HasPrefix(err.Error(), "mlp: FitConfig.Resume: ") || !strings.Contains(err.Error(), substr) {
			t.Errorf("Fit with Resume: error %v, want one containing %q", err, substr)
		}
	}
	trained := func() *Network {
		n := c.newNet(t)
		c.fitTo(t, n, 17, false)
		return n
	}

	wantErr(fit(c.newNet(t), nil, X, Y), "holds no training state")
	n := trained()
	n.DropTraining()
	wantErr(fit(n, nil, X, Y), "holds no training state")
	n = trained()
	n.DropTraining()
	wantErr(fit(resumeSaveLoad(t, n, false), nil, X, Y), "holds no training state")
	wantErr(fit(trained().Clone(), nil, X, Y), "holds no training state")

	for _, opt := range []Optimizer{SGD{LR: 0.1}, AdamW{LR: 0.01, WeightDecay: 0.1}, &Momentum{}} {
		wantErr(fit(trained(), func(f *FitConfig) { f.Optimizer = opt }, X, Y), "the training state is Adam's")
	}
	wantErr(fit(resumeSaveLoad(t, trained(), false), func(f *FitConfig) { f.Optimizer = RMSProp{} }, X, Y), "the training state is Adam's")

	Xs, Ys := modelTestData(c.cfg, c.rows-1, 5)
	wantErr(fit(trained(), nil, Xs, Ys), "the training state is of 23 samples, X has 22")
	wantErr(fit(resumeSaveLoad(t, trained(), false), nil, Xs, Ys), "the training state is of 23 samples, X has 22")

	wantErr(fit(trained(), func(f *FitConfig) { f.BatchSize = 0 }, X, Y), "a full batch cannot continue an epoch")

	// A failed Resume leaves the state as it was: the run still resumes.
	n = resumeSaveLoad(t, trained(), false)
	wantErr(fit(n, func(f *FitConfig) { f.Optimizer = SGD{} }, X, Y), "Adam's")
	if n.Steps() != 17 {
		t.Fatalf("after a failed Resume, Steps() = %d, want 17", n.Steps())
	}
	straight := c.newNet(t)
	c.fitTo(t, straight, resumeSteps, false)
	c.fitTo(t, n, resumeSteps, true)
	resumeWantSame(t, n, straight)

	// Hyperparameters may change: the learning rate.
	n = trained()
	if err := fit(n, func(f *FitConfig) { f.Optimizer = Adam{LR: 0.001} }, X, Y); err != nil {
		t.Errorf("resuming with another learning rate: %v", err)
	}
}

// TestResumeAfterDivergence checks what a diverged Fit leaves: an update
// that would make a weight infinite drops the training state (the
// optimizer's moments took the step the weights did not), so Steps is 0,
// Save writes none and Resume fails; a loss that is not finite stops
// before the update and keeps the state of the steps before it.
func TestResumeAfterDivergence(t *testing.T) {
	// MSE on inputs of 1e10, as in TestFitDiverged: Momentum of rate 1e30
	// overflows the first update; Adam of rate 1e15 takes a finite first
	// step whose weights make the second step's loss infinite.
	X := mat32.NewDense(4, 2, []float32{1e10, 0, 0, 1e10, 1e10, 1e10, 0, 0})
	Y := mat32.NewDense(4, 1, []float32{1, 0, 1, 0})
	cfg := Config{Inputs: 2, Hidden: []Layer{{3, Identity}}, Outputs: 1, Loss: MeanSquaredError, Seed: 3}
	fit := func(n *Network, opt Optimizer, iters int, resume bool) error {
		_, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: opt, Iterations: iters, Resume: resume})
		return err
	}
	newNet := func() *Network {
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("update", func(t *testing.T) {
		n := newNet()
		// Three good steps, then a Resume whose first update overflows.
		if err := fit(n, Momentum{LR: 1e-22}, 3, false); err != nil {
			t.Fatal(err)
		}
		if n.Steps() != 3 {
			t.Fatalf("Steps() = %d, want 3", n.Steps())
		}
		if err := fit(n, Momentum{LR: 1e30}, 10, true); !errors.Is(err, ErrDiverged) {
			t.Fatalf("Fit = %v, want ErrDiverged", err)
		}
		if n.Steps() != 0 || n.state != nil {
			t.Errorf("after a diverged update Steps() = %d, want 0 (no training state)", n.Steps())
		}
		m := resumeSaveLoad(t, n, false)
		if m.state != nil {
			t.Error("the file saved after a diverged update holds a training state")
		}
		err := fit(n, Momentum{LR: 1e-22}, 10, true)
		if err == nil || !strings.Contains(err.Error(), "holds no training state") {
			t.Errorf("Resume after a diverged update: %v, want no training state", err)
		}
	})

	t.Run("loss", func(t *testing.T) {
		n := newNet()
		if err := fit(n, Adam{LR: 1e15}, 10, false); !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "loss") {
			t.Fatalf("Fit = %v, want ErrDiverged of the loss", err)
		}
		if n.Steps() != 1 {
			t.Fatalf("after the loss diverged at step 2 Steps() = %d, want 1", n.Steps())
		}
		// The state is that of the one good step, moments included, and
		// survives a model file.
		one := newNet()
		if err := fit(one, Adam{LR: 1e15}, 1, false); err != nil {
			t.Fatal(err)
		}
		m := resumeSaveLoad(t, n, false)
		modelCheckSame(t, m, one, nil)
		modelCheckState(t, m.state, one.state)
		// Resume is accepted: it takes step 2 again, whose loss (of the
		// weights after step 1) is infinite whatever the rate.
		if err := fit(m, Adam{LR: 1e-3}, 10, true); !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "at step 2") {
			t.Errorf("Resume after the loss diverged: %v, want ErrDiverged at step 2", err)
		}
		if m.Steps() != 1 {
			t.Errorf("Steps() = %d, want 1", m.Steps())
		}
	})

	t.Run("loss at an epoch's start", func(t *testing.T) {
		// Mini-batches of one of two samples: after epoch 1, weights that
		// overflow on any input make step 3, epoch 2's first, diverge.
		// The state must stay that of epoch 1's end: its order for
		// epoch 2 and its generator too.
		X, Y := X.Slice(0, 2, 0, 2), Y.Slice(0, 2, 0, 1)
		fit := func(n *Network, resume bool) error {
			_, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{}, Iterations: 10, Epochs: 1, BatchSize: 1, Seed: 4, Resume: resume})
			return err
		}
		n := newNet()
		if err := fit(n, false); err != nil || n.Steps() != 2 {
			t.Fatalf("Fit = %v after %d steps, want 2", err, n.Steps())
		}
		before := resumeSaveLoad(t, n, false).state
		for i := range n.params {
			n.params[i] = 1e30
		}
		_, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{}, Iterations: 10, BatchSize: 1, Seed: 4, Resume: true})
		if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "loss") || n.Steps() != 2 {
			t.Fatalf("Fit = %v after %d steps, want ErrDiverged of the loss at step 3", err, n.Steps())
		}
		modelCheckState(t, resumeSaveLoad(t, n, false).state, before)
	})
}
