package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plotFormats lists the file extensions plotCurves can write, the formats
// gonum/plot has registered: ".eps, .jpeg, …, .tif or .tiff".
func plotFormats() string {
	f := draw.Formats()
	for i := range f {
		f[i] = "." + f[i]
	}
	if len(f) < 2 {
		return strings.Join(f, "")
	}
	return strings.Join(f[:len(f)-1], ", ") + " or " + f[len(f)-1]
}

// checkPlotName returns an error, naming -plot, unless path's extension
// is a format plotCurves can write.
func checkPlotName(path string) error {
	ext := filepath.Ext(path)
	if ext == "" {
		return fmt.Errorf("-plot %s: no file extension to name the image format; want %s, e.g. loss.png", path, plotFormats())
	}
	if !slices.Contains(draw.Formats(), strings.ToLower(ext[1:])) {
		return fmt.Errorf("-plot %s: cannot draw %s files; want %s", path, ext, plotFormats())
	}
	return nil
}

// plotCurves draws the loss per step, and the test accuracy where it was
// measured, into the image file path, in the format its extension names.
func plotCurves(path string, r *report) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, %s, %s", r.Network, r.Loss, r.Optimizer)
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss / accuracy"
	p.Add(plotter.NewGrid())

	loss := make(plotter.XYs, len(r.Losses))
	for i, l := range r.Losses {
		loss[i] = plotter.XY{X: float64(r.StepsBefore + i + 1), Y: l}
	}
	ll, err := plotter.NewLine(loss)
	if err != nil {
		return err
	}
	p.Add(ll)
	if len(r.EpochCurve) > 1 && r.Batch < r.Train {
		// Mini-batch losses are noisy: draw them faint, and the epochs' means.
		ll.Color = color.Gray{Y: 0xb0}
		p.Legend.Add("training loss (batch)", ll)
		epochs := make(plotter.XYs, len(r.EpochCurve))
		for i, c := range r.EpochCurve {
			epochs[i] = plotter.XY{X: float64(c.Step), Y: c.Loss}
		}
		el, err := plotter.NewLine(epochs)
		if err != nil {
			return err
		}
		el.Width = vg.Points(1.5)
		p.Add(el)
		p.Legend.Add("training loss (epoch mean)", el)
	} else {
		p.Legend.Add("training loss", ll)
	}

	if len(r.TestCurve) > 0 {
		acc := make(plotter.XYs, len(r.TestCurve))
		for i, c := range r.TestCurve {
			acc[i] = plotter.XY{X: float64(c.Step), Y: float64(c.Accuracy)}
		}
		al, err := plotter.NewLine(acc)
		if err != nil {
			return err
		}
		al.Color = plotColor
		al.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(al)
		p.Legend.Add("test accuracy", al)
	}
	p.Y.Min = 0
	p.Y.Max = max(1.15, p.Y.Max*1.05) // loss and accuracy share the axis; room above 1 for the legend
	p.Legend.Top = true
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), -vg.Points(4)
	if err := p.Save(8*vg.Inch, 5*vg.Inch, path); err != nil {
		return err
	}
	return nil
}

// plotColor draws the test accuracy.
var plotColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
