package mlp

import (
	"context"
	"testing"

	"github.com/gofma/gofma/mat32"
)

// TestTileBounds checks that a pass over any rows up to a workspace's
// makes no more tiles than maxTiles sizes the workspace for, and never
// more than maxPartials partial sums: fewer rows can make more tiles than
// more rows do, and a smaller last mini-batch used to overrun ws.part.
func TestTileBounds(t *testing.T) {
	for _, width := range []int{1, 3, 196, 4096, 49152, 1<<16 + 1, MaxUnits} {
		for _, rows := range []int{1, 16, 17, 341, 342, 1000, 4096, 60000} {
			most := maxTiles(rows, width)
			if most*width > maxPartials && most > 1 {
				t.Errorf("width %d, %d rows: maxTiles %d makes %d partial sums, more than %d", width, rows, most, most*width, maxPartials)
			}
			for r := 1; r <= rows; r += max(1, rows/300) {
				per := tileRows(r, width)
				if tiles := (r + per - 1) / per; tiles > most {
					t.Fatalf("width %d: %d rows make %d tiles, but a workspace for %d rows holds %d", width, r, tiles, rows, most)
				}
			}
		}
	}
}

// TestFitSmallerLastBatch runs the case that overran ws.part: batches of
// 342 rows of 49,152 units make 21 tiles, the last batch of 341 made 22.
func TestFitSmallerLastBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 250 MB")
	}
	n, err := New(Config{Inputs: 1, Hidden: []Layer{{49152, ReLU}}, Outputs: 1, Loss: MeanSquaredError, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	const N = 683
	x, y := make([]float32, N), make([]float32, N)
	for i := range x {
		x[i], y[i] = float32(i)/N, float32(i%2)
	}
	if _, err := n.Fit(context.Background(), mat32.NewDense(N, 1, x), mat32.NewDense(N, 1, y),
		FitConfig{Optimizer: SGD{LR: 1e-3}, BatchSize: 342, Iterations: 2}); err != nil {
		t.Fatal(err)
	}
}

// TestWorkspaceBytes checks WorkspaceBytes against the buffers Fit and
// Evaluate really make, so that the estimate follows the workspace.
func TestWorkspaceBytes(t *testing.T) {
	n, err := New(Config{Inputs: 5, Hidden: []Layer{{7, Tanh}, {3, ReLU}}, Outputs: 2, Loss: CrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	const N, batch = 40, 16
	x, y := make([]float32, N*5), make([]float32, N*2)
	for i := range N {
		x[i*5+i%5], y[i*2+i%2] = 1, 1
	}
	X, Y := mat32.NewDense(N, 5, x), mat32.NewDense(N, 2, y)
	if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: SGD{}, BatchSize: batch, Iterations: 1, Sparse: SparseOff}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Evaluate(X, Y); err != nil {
		t.Fatal(err)
	}
	var words int
	for _, ws := range append([]*workspace{n.train}, n.evals.free...) {
		for _, o := range ws.out {
			words += len(o)
		}
		words += len(ws.grad[0]) + len(ws.grad[1]) + len(ws.part) + 2*len(ws.loss) + len(ws.grads) + len(ws.x) + len(ws.y)
	}
	if got := n.WorkspaceBytes(batch, N); got != 4*int64(words) {
		t.Errorf("WorkspaceBytes(%d, %d) = %d, the workspaces hold %d", batch, N, got, 4*words)
	}
}
