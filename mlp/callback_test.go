package mlp

import (
	"context"
	"errors"
	"testing"
)

// TestFitStopAtEpochEnd stops Fit on the last step of an epoch, in each way
// there is, and checks that the epoch's OnEpoch still runs and that Fit
// returns what stopped it.
func TestFitStopAtEpochEnd(t *testing.T) {
	X, Y := blobs(10, 5) // in batches of 3: 4 steps per epoch
	stop, epochErr := errors.New("stop"), errors.New("epoch")
	type call struct{ step, epoch int }
	for _, c := range []struct {
		name      string
		epochs    int
		stepErr   error // OnStep's error at step 4
		epochErr  error // OnEpoch's error after epoch 1
		cancel    bool  // cancel ctx in OnStep at step 4
		wantErr   []error
		wantSteps int
	}{
		{name: "OnStep error", epochs: 3, stepErr: stop, wantErr: []error{stop}, wantSteps: 4},
		{name: "OnStep and OnEpoch errors", epochs: 3, stepErr: stop, epochErr: epochErr, wantErr: []error{stop, epochErr}, wantSteps: 4},
		{name: "OnEpoch error", epochs: 3, epochErr: epochErr, wantErr: []error{epochErr}, wantSteps: 4},
		{name: "ctx cancelled", epochs: 3, cancel: true, wantErr: []error{ErrCanceled, context.Canceled}, wantSteps: 4},
		{name: "ctx cancelled on the last step", epochs: 1, cancel: true, wantSteps: 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := New(Config{Inputs: 2, Hidden: []Layer{{4, Tanh}}, Outputs: 3, Loss: CrossEntropy, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var epochs []call
			cfg := FitConfig{Optimizer: SGD{}, BatchSize: 3, Epochs: c.epochs,
				OnStep: func(p Progress) error {
					if p.Step != 4 {
						return nil
					}
					if c.cancel {
						cancel()
					}
					return c.stepErr
				},
				OnEpoch: func(p Progress) error {
					epochs = append(epochs, call{p.Step, p.Epoch})
					return c.epochErr
				},
			}
			res, err := n.Fit(ctx, X, Y, cfg)
			if res.Steps != c.wantSteps || res.Epochs != 1 {
				t.Errorf("Fit took %d steps (%v epochs), want %d (1 epoch)", res.Steps, res.Epochs, c.wantSteps)
			}
			if want := []call{{4, 1}}; !equalCalls(epochs, want) {
				t.Errorf("OnEpoch calls (step, epoch) %v, want %v", epochs, want)
			}
			if len(c.wantErr) == 0 && err != nil {
				t.Errorf("Fit returned %v, want no error: its last step ran", err)
			}
			for _, w := range c.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("Fit returned %v, want %v", err, w)
				}
			}
			if len(c.wantErr) == 1 && err != c.wantErr[0] {
				t.Errorf("Fit returned %#v, want exactly %#v", err, c.wantErr[0])
			}
		})
	}
}
