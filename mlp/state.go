package mlp

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// trainState is what a network keeps of its training between Fits, and
// what a model file saves for FitConfig.Resume: the optimizer's type, its
// step count and moments, and the position in the order of the samples.
// A Fit without Resume replaces it; a Fit with Resume continues it.
type trainState struct {
	kind      uint8       // the optimizer's code (optimizerKind)
	moments   [][]float32 // the optimizer's per-parameter state, live while a Fit runs
	step      int         // steps taken
	epochs    int         // epochs completed
	samples   int         // the samples of the data it trained on
	pos       int         // samples of the current epoch taken: 0 at an epoch's start
	epochLoss float64     // Σ loss·rows over the current epoch's steps
	perm      []int       // the current epoch's order of the samples; nil until a mini-batch Fit
	rng       *rand.PCG   // shuffles perm at each epoch's start
	shuffler  *rand.Rand  // rng's
}

// permSeed is the second word of the generator that shuffles mini-batches.
const permSeed = 0x2545f4914f6cdd1d

// Steps returns the number of training steps of the training state the
// network holds: the steps of the Fits since the last one without Resume,
// or of the run a loaded model file saved; 0 when it holds none (New,
// DropTraining, a weights-only file, or a Fit whose update diverged with
// an optimizer that keeps moments: they took the step the weights did not).
func (n *Network) Steps() int {
	if n.state == nil {
		return 0
	}
	return n.state.step
}

// DropTraining releases the training state (the optimizer's moments and
// the data order) and Fit's workspaces: Save then writes the weights
// alone, for inference, and a Fit with Resume fails until a Fit without it
// starts training afresh.
func (n *Network) DropTraining() {
	n.state = nil
	n.train = nil
}

// startState returns the training state a Fit of cfg over samples samples
// in batches of batch continues, with its updater: a fresh one, or with
// Resume the network's own, checked against cfg.
func (n *Network) startState(cfg FitConfig, samples, batch int) (*trainState, updater, error) {
	kind := optimizerKind(cfg.Optimizer)
	up, err := cfg.Optimizer.start(len(n.params))
	if err != nil {
		return nil, nil, err
	}
	if !cfg.Resume {
		return &trainState{kind: kind, moments: up.moments(), samples: samples}, up, nil
	}
	st := n.state
	switch {
	case st == nil:
		return nil, nil, errors.New("mlp: FitConfig.Resume: the network holds no training state to continue (it is new, was loaded from a weights-only file or its last update diverged): train without Resume")
	case kind == 0 || kind != st.kind:
		return nil, nil, fmt.Errorf("mlp: FitConfig.Resume: the training state is %s's, the optimizer %v: resume with %[1]s", optimizerNames[st.kind], cfg.Optimizer)
	case samples != st.samples:
		return nil, nil, fmt.Errorf("mlp: FitConfig.Resume: the training state is of %d samples, X has %d: resume on the same data", st.samples, samples)
	case batch == samples && st.pos != 0:
		return nil, nil, fmt.Errorf("mlp: FitConfig.Resume: a full batch cannot continue an epoch that mini-batches left at sample %d of %d", st.pos, samples)
	}
	for i, m := range up.moments() {
		copy(m, st.moments[i])
	}
	st.moments = up.moments()
	return st, up, nil
}

// shuffle starts an epoch of mini-batches: it makes the order of the
// samples on first use, from cfg's seed, and shuffles it.
func (st *trainState) shuffle(seed uint64) {
	if st.perm == nil {
		st.perm = make([]int, st.samples)
		for i := range st.perm {
			st.perm[i] = i
		}
		st.rng = rand.NewPCG(seed, permSeed)
	}
	if st.shuffler == nil {
		st.shuffler = rand.New(st.rng)
	}
	st.shuffler.Shuffle(len(st.perm), func(i, j int) { st.perm[i], st.perm[j] = st.perm[j], st.perm[i] })
}
