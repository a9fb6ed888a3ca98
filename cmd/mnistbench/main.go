// Command mnistbench trains a multi-layer perceptron on MNIST with gofma
// and reports its throughput on this machine.
//
// With no flags it runs the reference workload of the backpropagation
// lecture on real data: digits 5 against 8 (11,272 training and 1,866 test
// images), a 784-196-1 sigmoid network, binary cross-entropy, full-batch
// gradient descent with learning rate 0.1, 1,000 iterations. The report
// names the CPU, the kernel path and threads, and gives the time of each
// phase, samples/s, GFLOP/s against the machine's measured FMA peak, the
// final loss and the train and test accuracy.
//
// Usage:
//
//	go run ./cmd/mnistbench [flags]
//
// For example, all ten digits with a softmax network and Adam:
//
//	go run ./cmd/mnistbench -digits all -hidden 256,128 -opt adam -batch 128 -epochs 10
//
// Run with -h for the flags.
//
// A real training run holds data out for validation, regularises,
// schedules its learning rate and saves what it learnt, for example:
//
//	go run ./cmd/mnistbench -digits all -hidden 256,128 -opt adamw -batch 128 -epochs 30 \
//		-schedule warmup:200,cosine -dropout 0.2 -val-split 0.1 -patience 5 -restore-best \
//		-save mnist.model -onnx mnist.onnx
//
// -val-split f holds out the last fraction f of the training data (the
// same samples on every run) as validation data, which the network is
// evaluated on every -eval-every steps when that is set, else after each
// epoch; the report gives the last and the best validation loss and
// accuracy and the best one's step. -patience k stops training after k
// validations in a row without a lower validation loss than the best, and
// -restore-best ends training with the weights of the best validation;
// both need -val-split.
//
// -schedule scales the learning rate step by step: constant (the
// default), step:EVERY:GAMMA (times GAMMA every EVERY steps), exp:GAMMA
// (times GAMMA every step) or cosine:STEPS[:MIN] (half a cosine from the
// full rate down to MIN times it, 0 by default, over STEPS steps),
// optionally after warmup:STEPS and a comma (a linear rise over the first
// STEPS steps), e.g. warmup:100,cosine:1000:0.01. cosine alone, after a
// warm-up or not, anneals over the rest of the run's steps: it is
// cosine:N with N the steps -iters and -epochs ask for, less the
// warm-up's. -weight-decay λ adds λ·w to each weight's gradient (an L2
// penalty, for every optimizer; -opt adamw decays the weights apart from
// the gradient too, by its own 0.01 per unit of learning rate); -dropout
// p zeroes each hidden unit's output in training with probability p.
//
// -save FILE writes the trained network with its training state (the
// optimizer's moments, the place in the data order) to FILE, also after
// Ctrl-C; -resume FILE loads such a file and continues its training.
// With -resume, -iters and -epochs count from the start of training, the
// file's steps included, so a run cut in parts ends bitwise where a run
// in one go ends:
//
//	go run ./cmd/mnistbench -opt adam -batch 128 -iters 500 -save ck.model
//	go run ./cmd/mnistbench -opt adam -batch 128 -iters 1000 -resume ck.model -save ck.model
//
// ends with the same model file, byte for byte, as -iters 1000 alone. The
// network's shape comes from the file: -hidden and -act, if given, must
// match it, and -digits its outputs. -resume refuses another optimizer
// than the file's or another number of training samples (the same -data
// or -synthetic, -digits and -val-split), and a full batch in the middle
// of an epoch of mini-batches; to end bitwise where one run ends, the
// parts need the same flags in all (-seed, -batch, -lr, -dropout,
// -weight-decay, -schedule too). A -schedule of cosine alone anneals over
// the steps of the run that gives it, so give the first part the whole
// run's cosine:N. With -restore-best, the file holds the best weights and
// the optimizer's state of the last step.
//
// -onnx FILE writes the trained network as an ONNX model, whose output is
// what Predict gives: the sigmoid or softmax probabilities. -save's and
// -onnx's files are written whole or not at all (through a temporary file
// in the same folder, renamed over FILE); neither is written when
// training diverged.
//
// -sparse says how the first layer's two products (the forward product and
// the weight gradient, the two that read the images) treat X: auto, the
// default, computes them from X in sparse form, skipping its zeros, when
// at most mlp.SparseDensity (30%) of X's elements are not zero, as with
// MNIST's images (about 19% to 21%) but not -synthetic's random pixels,
// and batches hold at least mlp.SparseMinBatch (128) samples or all;
// on and off force the sparse or the dense path. The report says which
// path the first layer took and X's density, and -compare's rows take the
// same path.
//
// Flags are checked, the files they name included, before any data is
// read.
// Ctrl-C stops training after the step under way; the report of the steps
// done is printed, marked as interrupted, and the command exits with
// status 130. A second Ctrl-C ends it at once. When training diverges
// (the loss or the weights stop being finite) the report of the steps done
// is printed too, the values that are not finite marked (in -json: null,
// and listed in "non_finite"), and the command exits with status 1.
//
// Exit status: 0 on success; 2 for a bad flag, with a one-line message;
// 1 for any other error (data, memory, divergence, output), with a
// one-line message after the report when there is one; 130 on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mlp"
	"github.com/gofma/gofma/mnist"
)

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnistbench:", oneLine(err))
		os.Exit(2) // as the flag package exits on a bad flag
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // after the first Ctrl-C, a second one ends the process
	}()
	err = run(ctx, o, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnistbench:", oneLine(err))
		if errors.Is(err, errInterrupted) {
			os.Exit(130) // as a shell reports a command ended by SIGINT
		}
		os.Exit(1)
	}
}

// oneLine returns err's message on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// options are the parsed and checked flags.
type options struct {
	iters, epochs, batch int
	lr                   float64
	opt                  string
	optimizer            mlp.Optimizer // -opt with -lr, parsed
	hidden               []int
	act                  mlp.Activation
	digits               []int
	threads              int
	kernels              string
	data                 string
	synthetic            bool
	seed                 uint64
	json                 bool
	plot                 string
	targetAcc            float64
	evalEvery            int
	compare              bool
	compareSteps         int
	cpuProfile           string
	sparse               mlp.SparseMode

	save, resume, onnx string  // model files: -save, -resume, -onnx
	weightDecay        float64 // -weight-decay
	dropout            float64 // -dropout
	schedule           string  // -schedule as given; resolved by parseSchedule
	valSplit           float64 // -val-split
	patience           int     // -patience
	restoreBest        bool    // -restore-best
	hiddenSet, actSet  bool    // -hidden and -act were given (with -resume, they must match the file)
}

// parseFlags parses and checks the command line; usage and flag errors go
// to errOut.
func parseFlags(args []string, errOut io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("mnistbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; -h prints the usage below
	fs.IntVar(&o.iters, "iters", 1000, fmt.Sprintf("training steps, at most %d (0: run -epochs); with -resume, counted from the start of training, the file's steps included", maxSteps))
	fs.IntVar(&o.epochs, "epochs", 0, "passes over the training data (0: run -iters); with -epochs alone, -iters is 0; with -resume, counted from the start of training")
	fs.IntVar(&o.batch, "batch", 0, "samples per step (0: the full batch, the only one -opt gd takes)")
	fs.Float64Var(&o.lr, "lr", 0, "learning rate (0: 0.1 for gd, else the optimizer's default)")
	fs.StringVar(&o.opt, "opt", "gd", "optimizer: gd, sgd, momentum, adagrad, rmsprop, adam or adamw")
	hidden := fs.String("hidden", "196", "hidden layer sizes, comma-separated, e.g. 256,128")
	act := fs.String("act", "sigmoid", "hidden activation: sigmoid, tanh, relu or identity")
	digits := fs.String("digits", "5,8", "digits to classify, e.g. 5,8 (two: sigmoid + binary cross-entropy) or all (softmax + cross-entropy)")
	fs.IntVar(&o.threads, "threads", 0, fmt.Sprintf("threads for the kernels, at most %d (0: GOMAXPROCS)", maxThreads))
	fs.StringVar(&o.kernels, "kernels", "auto", "kernel implementation: auto, avx2 or generic")
	fs.StringVar(&o.data, "data", "", "folder with the MNIST IDX files (default $MNIST_DIR, else the GoMNIST module's data)")
	fs.BoolVar(&o.synthetic, "synthetic", false, "train on random data of MNIST's shape (no files needed)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the weights and the mini-batch order")
	fs.BoolVar(&o.json, "json", false, "write the report as one JSON object on stdout")
	fs.StringVar(&o.plot, "plot", "", "draw the loss curve (and test accuracy) into this image file, in the format its extension names: "+plotFormats())
	fs.Float64Var(&o.targetAcc, "target-acc", 0, "stop when the test accuracy reaches this (e.g. 0.975) and report the time it took (0: off)")
	fs.IntVar(&o.evalEvery, "eval-every", 0, "steps between test evaluations for -plot and -target-acc (0: 10 for full batch, else each epoch), and between validations for -val-split (0: each epoch)")
	fs.BoolVar(&o.compare, "compare", false, "also time the same steps with the pure-Go kernels and with gonum's Sgemm")
	fs.IntVar(&o.compareSteps, "compare-steps", 3, "timed steps per implementation for -compare")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the training to this file (for go tool pprof)")
	fs.StringVar(&o.save, "save", "", "after training, write the network with its training state to this model file, which -resume continues")
	fs.StringVar(&o.resume, "resume", "", "continue the training saved in this model file (-save's): the network's shape comes from it, and -iters and -epochs count from the start of training")
	fs.StringVar(&o.onnx, "onnx", "", "after training, write the network to this file as an ONNX model")
	fs.Float64Var(&o.weightDecay, "weight-decay", 0, "L2 penalty λ on the weights: λ·w is added to each weight's gradient (0: none)")
	fs.Float64Var(&o.dropout, "dropout", 0, "probability, in [0, 1), that a hidden unit's output is zeroed in a training step (0: none)")
	fs.StringVar(&o.schedule, "schedule", "constant", "learning-rate schedule: constant, step:EVERY:GAMMA, exp:GAMMA, cosine:STEPS[:MIN] or cosine (over the run's steps), optionally after warmup:STEPS and a comma, e.g. warmup:100,cosine")
	fs.Float64Var(&o.valSplit, "val-split", 0, "fraction, in [0, 1), of the training data held out (from its end) to validate on every -eval-every steps, else each epoch (0: none)")
	fs.IntVar(&o.patience, "patience", 0, "stop after this many validations in a row without a lower validation loss (0: off; needs -val-split)")
	fs.BoolVar(&o.restoreBest, "restore-best", false, "end training with the weights of the best validation (needs -val-split)")
	sparse := fs.String("sparse", "auto", fmt.Sprintf("the first layer's products from X in sparse form, skipping its zeros: auto (when X's density is at most %g%% and batches hold at least %d samples or all), on or off", 100*mlp.SparseDensity, mlp.SparseMinBatch))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(errOut)
			fmt.Fprintln(errOut, "Usage: mnistbench [flags]\n\nTrains an MLP on MNIST and reports throughput (with no flags: 5 vs 8, 784-196-1, GD, 1,000 steps).\n\nFlags:")
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["epochs"] && !set["iters"] {
		o.iters = 0
	}
	o.hiddenSet, o.actSet = set["hidden"], set["act"]
	var err error
	switch {
	case o.iters < 0 || o.epochs < 0:
		return nil, fmt.Errorf("-iters %d -epochs %d: need numbers ≥ 0", o.iters, o.epochs)
	case o.iters > maxSteps:
		return nil, fmt.Errorf("-iters %d: at most %d steps", o.iters, maxSteps)
	case o.epochs > maxSteps:
		return nil, fmt.Errorf("-epochs %d: at most %d", o.epochs, maxSteps)
	case o.iters == 0 && o.epochs == 0:
		return nil, errors.New("-iters and -epochs are both 0: set one of them")
	case o.batch < 0:
		return nil, fmt.Errorf("-batch %d: need 0 (full batch) or more", o.batch)
	case o.batch > mnist.MaxCount:
		return nil, fmt.Errorf("-batch %d: more than the %d samples a data set may hold; use -batch 0 for the full batch", o.batch, mnist.MaxCount)
	case !(o.lr >= 0 && o.lr <= math.MaxFloat32): // also NaN
		return nil, fmt.Errorf("-lr %v: need a finite learning rate > 0 (or 0 for the default)", o.lr)
	case o.lr > 0 && float32(o.lr) == 0:
		return nil, fmt.Errorf("-lr %v: too small for float32; need at least %g", o.lr, math.SmallestNonzeroFloat32)
	case o.threads < 0 || o.threads > maxThreads:
		return nil, fmt.Errorf("-threads %d: need 0 (all) to %d", o.threads, maxThreads)
	case !(o.targetAcc >= 0 && o.targetAcc <= 1): // also NaN
		return nil, fmt.Errorf("-target-acc %v: need an accuracy in (0, 1], e.g. 0.975 (or 0: off)", o.targetAcc)
	case o.evalEvery < 0 || o.evalEvery > maxSteps:
		return nil, fmt.Errorf("-eval-every %d: need 0 (auto) to %d", o.evalEvery, maxSteps)
	case o.compareSteps < 1 || o.compareSteps > maxSteps:
		return nil, fmt.Errorf("-compare-steps %d: need 1 to %d", o.compareSteps, maxSteps)
	case !(o.weightDecay >= 0 && o.weightDecay <= math.MaxFloat32): // also NaN
		return nil, fmt.Errorf("-weight-decay %v: need a finite number ≥ 0 (0: none)", o.weightDecay)
	case o.weightDecay > 0 && float32(o.weightDecay) == 0:
		return nil, fmt.Errorf("-weight-decay %v: too small for float32; need at least %g (or 0: none)", o.weightDecay, math.SmallestNonzeroFloat32)
	case !(o.dropout >= 0 && float32(o.dropout) < 1): // also NaN, and below 1 only by less than float32 tells
		return nil, fmt.Errorf("-dropout %v: need a probability in [0, 1), e.g. 0.2 (0: none)", o.dropout)
	case o.dropout > 0 && float32(o.dropout) == 0:
		return nil, fmt.Errorf("-dropout %v: too small for float32; need at least %g (or 0: none)", o.dropout, math.SmallestNonzeroFloat32)
	case !(o.valSplit >= 0 && o.valSplit < 1): // also NaN
		return nil, fmt.Errorf("-val-split %v: need a fraction in [0, 1) of the training data, e.g. 0.1 (0: none)", o.valSplit)
	case o.patience < 0 || o.patience > maxSteps:
		return nil, fmt.Errorf("-patience %d: need 0 (off) to %d", o.patience, maxSteps)
	case o.patience > 0 && o.valSplit == 0:
		return nil, fmt.Errorf("-patience %d: needs -val-split, the validation data it watches, e.g. -val-split 0.1", o.patience)
	case o.restoreBest && o.valSplit == 0:
		return nil, errors.New("-restore-best: needs -val-split, the validation data that says which weights are best, e.g. -val-split 0.1")
	}
	if _, err = parseSchedule(o.schedule, max(o.iters, 1)); err != nil {
		return nil, err
	}
	if err = checkKernels(o.kernels); err != nil {
		return nil, err
	}
	if o.sparse, err = mlp.ParseSparseMode(*sparse); err != nil {
		return nil, fmt.Errorf("-sparse %q: want auto, on or off", abbrev(*sparse))
	}
	if o.lr == 0 && o.opt == "gd" {
		o.lr = 0.1
	}
	if o.optimizer, err = mlp.ParseOptimizer(o.opt, float32(o.lr)); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "mlp: "))
	}
	if o.opt == "gd" && o.batch > 0 {
		return nil, fmt.Errorf("-batch %d with -opt gd: gd is full-batch gradient descent; use -batch 0, or an optimizer for mini-batches such as -opt sgd", o.batch)
	}
	if o.hidden, err = parseSizes(*hidden); err != nil {
		return nil, err
	}
	if o.act, err = mlp.ParseActivation(*act); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "mlp: "))
	}
	if o.digits, err = mnist.ParseDigits(*digits); err != nil {
		return nil, fmt.Errorf("-digits %q: %s", *digits, strings.TrimPrefix(err.Error(), "mnist: "))
	}
	if len(o.digits) < 2 {
		return nil, fmt.Errorf("-digits %s: need at least two digits to tell apart", *digits)
	}
	outputs, loss := head(len(o.digits))
	if err := netConfig(o, pixels, outputs, loss).Check(); err != nil {
		return nil, fmt.Errorf("-hidden %s: %s", abbrev(*hidden), strings.TrimPrefix(err.Error(), "mlp: "))
	}
	if o.dropout > 0 && len(o.hidden) == 0 && (o.resume == "" || o.hiddenSet) {
		return nil, fmt.Errorf("-dropout %v: the network has no hidden layer to drop units of; give -hidden, or leave -dropout out", o.dropout)
	}
	if err := checkOutputs(o); err != nil {
		return nil, err
	}
	return o, nil
}

// maxThreads is the most -threads takes.
const maxThreads = 1024

// maxSteps is the most steps -iters, -epochs, -eval-every and
// -compare-steps take: a billion steps of one sample each take hours.
const maxSteps = 1_000_000_000

// checkKernels returns an error, naming -kernels, unless name is "auto"
// or an implementation this machine has.
func checkKernels(name string) error {
	names := []string{"auto"}
	for _, im := range kernels.Impls() {
		names = append(names, im.Name())
	}
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return nil
		}
	}
	return fmt.Errorf("-kernels %q: not available on this machine; want %s", name, strings.Join(names, ", "))
}

// abbrev returns s, or its first 40 bytes and how long it is when it is
// longer, for a flag's value in a one-line message.
func abbrev(s string) string {
	if len(s) <= 40 {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(s[:40], ""), len(s))
}

// checkOutputs returns an error unless the files of -plot, -cpuprofile,
// -save and -onnx can be written and -resume's read, and each flag names
// a file of its own (but -save may name -resume's file, to update it), so
// that a bad name fails before training, not after it.
func checkOutputs(o *options) error {
	if o.plot != "" {
		if err := checkPlotName(o.plot); err != nil {
			return err
		}
	}
	files := []struct {
		flag, path string
		check      func(string) error
	}{
		{"plot", o.plot, checkWritable}, {"cpuprofile", o.cpuProfile, checkWritable},
		{"save", o.save, checkReplaceable}, {"onnx", o.onnx, checkReplaceable}, {"resume", o.resume, checkReadable},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if err := f.check(f.path); err != nil {
			return fmt.Errorf("-%s %s: %w", f.flag, f.path, err)
		}
	}
	for i, a := range files {
		for _, b := range files[i+1:] {
			if a.path == "" || b.path == "" || a.flag == "save" && b.flag == "resume" || !samePath(a.path, b.path) {
				continue
			}
			return fmt.Errorf("-%s and -%s both name %s: give each its own file", a.flag, b.flag, a.path)
		}
	}
	return nil
}

// checkWritable returns an error unless the file path can be created or
// overwritten. It leaves no trace: a file it creates it removes, and one
// that exists it opens without changing it.
func checkWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err == nil {
		f.Close()
		return os.Remove(path)
	}
	if errors.Is(err, fs.ErrExist) {
		if f, err = os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			return f.Close()
		}
	}
	return createError(path, err)
}

// createError is the error of a failed attempt to create a file path (or
// a file beside it): a missing folder, or why it cannot be written.
func createError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the flag's message names the file already
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot create the file: folder %s does not exist", filepath.Dir(path))
	}
	return fmt.Errorf("cannot write the file: %w", err)
}

// checkReplaceable returns an error unless the file path can be replaced
// as -save and -onnx write it, through a new file in its folder renamed
// over it: path is a regular file or nothing (a symbolic link is followed)
// and its folder exists and takes new files. It leaves no trace: the file
// it creates to find out it removes.
func checkReplaceable(path string) error {
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return errors.New("cannot replace it: a symbolic link that does not lead to a file; create the file it names, or remove the link")
		}
	}
	if fi, err := os.Stat(target); err == nil && fi.IsDir() {
		return errors.New("cannot write the file: is a directory")
	} else if err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("cannot replace it: not a regular file (mode %v); name a regular file", fi.Mode())
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".check*")
	if err != nil {
		return createError(target, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// checkReadable returns an error unless path is a file that can be read.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, fs.ErrNotExist) {
			return errors.New("no such file")
		}
		return fmt.Errorf("cannot read the file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return errors.New("cannot read the file: is a directory")
	}
	return nil
}

// samePath reports whether a and b name the same file, as far as their
// names tell.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// parseSizes parses a comma-separated list of layer sizes.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > mlp.MaxUnits {
			return nil, fmt.Errorf("-hidden %q: %q is not a layer size (1..%d)", abbrev(s), abbrev(f), mlp.MaxUnits)
		}
		sizes = append(sizes, v)
	}
	return sizes, nil
}

// parseSchedule returns the learning-rate schedule -schedule s names for a
// run of total steps, counted from the start of training: s in
// mlp.ParseSchedule's syntax, or with cosine alone, after a warm-up or
// not, meaning cosine:N over the steps the warm-up leaves of total (at
// least 1).
func parseSchedule(s string, total int) (mlp.Schedule, error) {
	spec, prefix, main := s, "", s
	if strings.HasPrefix(s, "warmup:") {
		if i := strings.IndexByte(s, ','); i >= 0 {
			prefix, main = s[:i+1], s[i+1:]
		}
	}
	if main == "cosine" {
		warm, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(prefix, "warmup:"), ",")) // a bad number fails below
		spec = prefix + "cosine:" + strconv.Itoa(max(total-max(warm, 0), 1))
	}
	sch, err := mlp.ParseSchedule(spec)
	if err == nil {
		return sch, nil
	}
	why := strings.TrimPrefix(err.Error(), "mlp: ")
	switch {
	case strings.HasPrefix(why, fmt.Sprintf("schedule %q: ", spec)):
		why = strings.TrimPrefix(why, fmt.Sprintf("schedule %q: ", spec))
		if strings.HasPrefix(why, "want ") {
			why = "want constant, step:EVERY:GAMMA, exp:GAMMA, cosine:STEPS[:MIN] or cosine, optionally after warmup:STEPS and a comma, e.g. warmup:100,cosine"
		}
	case strings.HasPrefix(why, "StepDecay"):
		why = "step:EVERY:GAMMA needs EVERY ≥ 1 and GAMMA in (0, 1]"
	case strings.HasPrefix(why, "Exponential"):
		why = "exp:GAMMA needs GAMMA in (0, 1]"
	case strings.HasPrefix(why, "Cosine"):
		why = "cosine:STEPS:MIN needs STEPS ≥ 1 and MIN in [0, 1]"
	case strings.HasPrefix(why, "Warmup"):
		why = "warmup:STEPS needs STEPS ≥ 1, followed by another schedule than a warm-up"
	}
	return nil, fmt.Errorf("-schedule %q: %s", abbrev(s), why)
}
