package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/gofma/gofma/mlp"
)

// evalRows is the most samples mlp's Evaluate passes through the network
// at once, and so the rows of its workspace.
const evalRows = 4096

// checkMemory returns an error, naming -hidden and -batch, when training
// net on batches of batch samples and evaluating it on up to evalSamples
// at once surely needs more memory than the machine has available, so
// that such a run stops with a message instead of the Go runtime's fatal
// "out of memory". Where the available memory is unknown it returns nil.
func checkMemory(net *mlp.Network, batch, evalSamples int) error {
	need := trainingBytes(net, batch, min(evalSamples, evalRows))
	avail, ok := availableMemory()
	if !ok || need <= float64(avail) {
		return nil
	}
	return fmt.Errorf("-hidden and -batch: a network of %d layers and %d units, on batches of %d samples, needs at least %.1f GB of memory, and %.1f GB are available: use smaller -hidden layers or a smaller -batch",
		net.NumLayers(), units(net.Config()), batch, need/1e9, float64(avail)/1e9)
}

// trainingBytes returns a lower bound on the memory that training net on
// batches of batch samples, and evaluating it on eval samples at once,
// allocates beyond the network itself: the outputs of every layer for a
// batch, two gradient buffers of a batch as wide as the widest layer, a
// gradient for every parameter, and the outputs of every layer for eval
// samples. It leaves out the optimizer's state and the packed data.
func trainingBytes(net *mlp.Network, batch, eval int) float64 {
	cfg := net.Config()
	widest := max(cfg.Inputs, cfg.Outputs)
	for _, h := range cfg.Hidden {
		widest = max(widest, h.Units)
	}
	u := float64(units(cfg))
	floats := float64(batch)*(u+2*float64(widest)) + float64(eval)*u + float64(net.NumParams())
	return 4 * floats // float32
}

// units returns the units of cfg's layers, its outputs included.
func units(cfg mlp.Config) int {
	n := cfg.Outputs
	for _, h := range cfg.Hidden {
		n += h.Units
	}
	return n
}

// availableMemory returns the bytes of memory the machine can give a new
// allocation without swapping, as Linux estimates it (MemAvailable in
// /proc/meminfo), and whether it knows them.
func availableMemory() (int64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "MemAvailable:" && string(f[2]) == "kB" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			return kb * 1024, err == nil && kb > 0
		}
	}
	return 0, false
}
