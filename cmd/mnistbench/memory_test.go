package main

import (
	"testing"

	"github.com/gofma/gofma/mlp"
)

// TestCheckMemory checks that a small network passes checkMemory and that
// the machine's available memory is read.
func TestCheckMemory(t *testing.T) {
	net, err := mlp.New(mlp.Config{Inputs: 784, Outputs: 1, Loss: mlp.BinaryCrossEntropy,
		Hidden: []mlp.Layer{{Units: 8, Act: mlp.Sigmoid}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMemory(net, 100, 1000); err != nil {
		t.Error(err)
	}
	if avail, ok := availableMemory(); ok && avail < 1<<20 {
		t.Errorf("availableMemory = %d bytes, implausibly few", avail)
	}
}
