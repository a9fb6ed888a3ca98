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
// -sparse says how the first layer's two products (the forward product and
// the weight gradient, the two that read the images) treat X: auto, the
// default, computes them from X in sparse form, skipping its zeros, when
// at most mlp.SparseDensity (30%) of X's elements are not zero, as with
// MNIST's images (about 19% to 21%) but not -synthetic's random pixels,
// and batches hold at least mlp.SparseMinBatch (256) samples or all;
// on and off force the sparse or the dense path. The report says which
// path the first layer took and X's density, and -compare's rows take the
// same path.
//
// Flags are checked, output files included, before any data is read.
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
}

// parseFlags parses and checks the command line; usage and flag errors go
// to errOut.
func parseFlags(args []string, errOut io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("mnistbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; -h prints the usage below
	fs.IntVar(&o.iters, "iters", 1000, fmt.Sprintf("training steps, at most %d (0: run -epochs)", maxSteps))
	fs.IntVar(&o.epochs, "epochs", 0, "passes over the training data (0: run -iters); with -epochs alone, -iters is 0")
	fs.IntVar(&o.batch, "batch", 0, "samples per step (0: the full batch, the only one -opt gd takes)")
	fs.Float64Var(&o.lr, "lr", 0, "learning rate (0: 0.1 for gd, else the optimizer's default)")
	fs.StringVar(&o.opt, "opt", "gd", "optimizer: gd, sgd, momentum, adagrad, rmsprop or adam")
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
	fs.IntVar(&o.evalEvery, "eval-every", 0, "steps between test evaluations for -plot and -target-acc (0: 10 for full batch, else each epoch)")
	fs.BoolVar(&o.compare, "compare", false, "also time the same steps with the pure-Go kernels and with gonum's Sgemm")
	fs.IntVar(&o.compareSteps, "compare-steps", 3, "timed steps per implementation for -compare")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the training to this file (for go tool pprof)")
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
	if _, err = mlp.ParseOptimizer(o.opt, float32(o.lr)); err != nil {
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

// checkOutputs returns an error unless the files of -plot and -cpuprofile
// can be written, so that a bad name fails before training, not after it.
func checkOutputs(o *options) error {
	if o.plot != "" {
		if err := checkPlotName(o.plot); err != nil {
			return err
		}
	}
	for _, f := range []struct{ flag, path string }{{"plot", o.plot}, {"cpuprofile", o.cpuProfile}} {
		if f.path == "" {
			continue
		}
		if err := checkWritable(f.path); err != nil {
			return fmt.Errorf("-%s %s: %w", f.flag, f.path, err)
		}
	}
	if o.plot != "" && o.cpuProfile != "" && samePath(o.plot, o.cpuProfile) {
		return fmt.Errorf("-plot and -cpuprofile both name %s: give each its own file", o.plot)
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
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the flag's message names the file already
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot create the file: folder %s does not exist", filepath.Dir(path))
	}
	return fmt.Errorf("cannot write the file: %w", err)
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
