package main

import (
	"testing"

	"github.com/gofma/gofma/mlp"
)

// TestTrainingBytes checks the memory estimate on a small network and that
// such a network passes checkMemory.
func TestTrainingBytes(t *testing.T) {
	net, err := mlp.New(mlp.Config{Inputs: 784, Outputs: 1, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.Layer{{Units: 8, Act: mlp.Sigmoid}}})
	if err != nil {
		t.Fatal(err)
	}
	// Outputs of 9 units and two gradient buffers 784 wide for 100 samples,
	// outputs for 10, and 6,289 parameter gradients.
	if got, want := trainingBytes(net, 100, 10), 4.0*(100*(9+2*784)+10*9+6289); got != want {
		t.Errorf("trainingBytes = %v, want %v", got, want)
	}
	if err := checkMemory(net, 100, 10); err != nil {
		t.Error(err)
	}
	if avail, ok := availableMemory(); ok && avail < 1<<20 {
		t.Errorf("availableMemory = %d bytes, implausibly few", avail)
	}
}
