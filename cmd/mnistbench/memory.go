package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/gofma/gofma/mlp"
)

// checkMemory returns an error, naming -hidden and -batch, when training
// net on batches of batch samples of the samples given, and evaluating it,
// surely needs more memory than the machine has available, so that such a
// run stops with a message instead of the Go runtime's fatal "out of
// memory". Where the available memory is unknown it returns nil.
func checkMemory(net *mlp.Network, batch, samples int) error {
	need := float64(net.WorkspaceBytes(batch, samples))
	avail, ok := availableMemory()
	if !ok || need <= float64(avail) {
		return nil
	}
	return fmt.Errorf("-hidden and -batch: a network of %d layers and %d units, on batches of %d samples, needs at least %.1f GB of memory, and %.1f GB are available: use smaller -hidden layers or a smaller -batch",
		net.NumLayers(), units(net.Config()), batch, need/1e9, float64(avail)/1e9)
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
