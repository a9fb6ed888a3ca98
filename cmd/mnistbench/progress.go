package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows training progress: a bar redrawn in place on a terminal,
// a plain line every tenth of the run otherwise, nothing for -json runs
// whose progress goes nowhere a person watches.
type progress struct {
	w        io.Writer
	first    int // steps taken before this run (-resume): step counts from the start of training
	total    int
	terminal bool
	quiet    bool
	last     time.Time
	lastTick int
	drawn    bool
}

// newProgress returns a progress display of total steps on w.
func newProgress(w io.Writer, total int, jsonOut bool) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	p.quiet = jsonOut && !p.terminal
	return p
}

// update reports that step of total is done with batch loss loss after
// elapsed training time, spent on the steps after first.
func (p *progress) update(step int, loss float64, elapsed time.Duration) {
	if p.quiet || p.total == 0 {
		return
	}
	eta := time.Duration(float64(elapsed) / float64(max(step-p.first, 1)) * float64(p.total-step)).Round(time.Second)
	if !p.terminal {
		tick := step * 10 / p.total
		if tick > p.lastTick || step == p.total {
			p.lastTick = tick
			fmt.Fprintf(p.w, "step %d/%d  loss %.4f  elapsed %v  eta %v\n", step, p.total, loss, elapsed.Round(time.Millisecond), eta)
		}
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || step == p.total {
		p.last = now
		const width = 30
		fill := step * width / p.total
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		fmt.Fprintf(p.w, "\r[%s] %3d%%  step %d/%d  loss %.4f  eta %v   ", bar, 100*step/p.total, step, p.total, loss, eta)
		p.drawn = true
	}
}

// done ends the display.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
