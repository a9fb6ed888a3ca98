package main

import (
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg/draw"
)

// TestPlotFormats draws a small report in every format -plot accepts.
func TestPlotFormats(t *testing.T) {
	r := &report{Network: "784-4-10 sigmoid", Loss: "crossentropy", Optimizer: "Adam(lr=0.001)", Batch: 100, Train: 1000,
		Losses:     []float64{2.3, 1.9, 1.5, 1.2, 1.1, 0.9, 0.8, 0.75, 0.7, 0.65},
		EpochCurve: []epochLoss{{5, 1.8}, {10, 0.8}},
		TestCurve:  []point{{5, 0.6}, {10, 0.8}}}
	dir := t.TempDir()
	for _, f := range draw.Formats() {
		path := filepath.Join(dir, "loss."+f)
		if err := checkPlotName(path); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if err := plotCurves(path, r); err != nil {
			t.Errorf("%s: %v", f, err)
		} else if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("%s: no file written: %v", f, err)
		}
	}
}
