package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofma/gofma/mlp"
)

// fileError is an error about a file a flag names: its message is for
// people, and it wraps mlp's error, so that errors.Is still sees, for
// example, mlp.ErrBadModelFile.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// loadResume reads -resume's model file and checks that its network suits
// the run o describes: its hidden layers and activation those -hidden and
// -act give, if given, and its inputs, outputs and loss those of MNIST
// images of -digits. It checks that the file holds training steps to
// continue, too.
func loadResume(o *options) (*mlp.Network, error) {
	path := o.resume
	net, err := mlp.LoadFile(path)
	if err != nil {
		msg := err.Error()
		for _, p := range []string{"mlp: model file " + path + ": ", "mlp: model file: ", "mlp: "} {
			if m, ok := strings.CutPrefix(msg, p); ok {
				msg = m
				break
			}
		}
		return nil, &fileError{fmt.Sprintf("-resume %s: %s", path, msg), err}
	}
	cfg := net.Config()
	name := netName(cfg)
	if o.hiddenSet {
		var units []int
		for _, h := range cfg.Hidden {
			units = append(units, h.Units)
		}
		if fmt.Sprint(units) != fmt.Sprint(o.hidden) {
			given := sizesString(o.hidden)
			if given == "" {
				given = `""`
			}
			return nil, fmt.Errorf("-hidden %s with -resume %s: the file's network is %s, with hidden layers %s: leave -hidden out, or give the file's", given, path, name, orNone(sizesString(units)))
		}
	}
	if o.actSet {
		for _, h := range cfg.Hidden {
			if h.Act != o.act {
				return nil, fmt.Errorf("-act %s with -resume %s: the file's network is %s: leave -act out, or give the file's", o.act, path, name)
			}
		}
	}
	outputs, loss := head(len(o.digits))
	switch {
	case cfg.Inputs != pixels:
		return nil, fmt.Errorf("-resume %s: the file's network (%s) takes %d inputs, MNIST images have %d pixels", path, name, cfg.Inputs, pixels)
	case cfg.Outputs != outputs || cfg.Loss != loss:
		return nil, fmt.Errorf("-resume %s: the file's network (%s, %s loss) does not tell %d digits apart, which takes %d outputs and %s loss: give the -digits it was trained on", path, name, cfg.Loss, len(o.digits), outputs, loss)
	case net.Steps() == 0:
		return nil, fmt.Errorf("-resume %s: the file holds no training steps to continue (a weights-only model): train without -resume", path)
	case o.dropout > 0 && len(cfg.Hidden) == 0:
		return nil, fmt.Errorf("-dropout %v with -resume %s: the file's network (%s) has no hidden layer to drop units of", o.dropout, path, name)
	}
	return net, nil
}

// resumeError turns an error of a Fit that continues -resume's training
// because that training does not fit this run into one that names the
// flag and says what to give; others it returns as they are.
func resumeError(o *options, err error) error {
	const p = "mlp: FitConfig.Resume: "
	if o.resume == "" || !strings.HasPrefix(err.Error(), p) {
		return err
	}
	return &fileError{fmt.Sprintf("-resume %s: %s (give the -opt, -batch, -digits, -val-split and data of the run that saved it)", o.resume, strings.TrimPrefix(err.Error(), p)), err}
}

// netName names a network configuration as the report does: its layer
// sizes, then its hidden activation, or each hidden layer's if they
// differ, e.g. "784-196-1 sigmoid", "784-64-32-10 relu,tanh".
func netName(cfg mlp.Config) string {
	sizes := []int{cfg.Inputs}
	var acts []string
	same := true
	for i, h := range cfg.Hidden {
		sizes = append(sizes, h.Units)
		acts = append(acts, h.Act.String())
		same = same && (i == 0 || h.Act == cfg.Hidden[0].Act)
	}
	name := strings.ReplaceAll(sizesString(append(sizes, cfg.Outputs)), ",", "-")
	switch {
	case len(acts) == 0:
	case same:
		name += " " + acts[0]
	default:
		name += " " + strings.Join(acts, ",")
	}
	return name
}

// sizesString writes layer sizes as -hidden takes them: "256,128".
func sizesString(sizes []int) string {
	s := make([]string, len(sizes))
	for i, v := range sizes {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}

// orNone returns s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// writeONNX writes net as an ONNX model to the file path, whole or not at
// all (mlp's WriteONNXFile).
func writeONNX(net *mlp.Network, path string) error {
	if err := net.WriteONNXFile(path); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "mlp: onnx: "+path+": "))
	}
	return nil
}
