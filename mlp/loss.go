package mlp

import (
	"fmt"
	"math"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// Loss is the network's output head and the loss it is trained on. The
// last layer computes logits z = W·a + b; the head turns them into outputs.
// Every loss is a mean over the N samples of a batch.
type Loss uint8

// The output heads.
const (
	// BinaryCrossEntropy: sigmoid outputs, targets in [0, 1] (one or more
	// independent yes/no outputs), E = −1/N Σ y·log a + (1−y)·log(1−a).
	BinaryCrossEntropy Loss = iota + 1
	// CrossEntropy: softmax outputs over classes, targets a distribution per
	// sample (one-hot rows; see OneHot), E = −1/N Σ y·log softmax(z).
	CrossEntropy
	// MeanSquaredError: identity outputs, E = 1/(2N) Σ ‖a − y‖².
	MeanSquaredError
)

// String returns the loss's name as ParseLoss accepts it.
func (l Loss) String() string {
	switch l {
	case BinaryCrossEntropy:
		return "bce"
	case CrossEntropy:
		return "crossentropy"
	case MeanSquaredError:
		return "mse"
	}
	return fmt.Sprintf("Loss(%d)", uint8(l))
}

// ParseLoss returns the loss named s (bce, crossentropy, mse).
func ParseLoss(s string) (Loss, error) {
	for l := BinaryCrossEntropy; l <= MeanSquaredError; l++ {
		if l.String() == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown loss %q (want bce, crossentropy or mse)", s)
}

func (l Loss) valid() bool { return l >= BinaryCrossEntropy && l <= MeanSquaredError }

// sum returns the loss summed over rows samples of logits z (rows×cols,
// contiguous) against targets y, and unless grad is nil sets grad to
// scale·∂sum/∂z, which for every head is scale·(a − y): the fused form.
func (l Loss) sum(grad, z, y []float32, rows, cols int, scale float32) float64 {
	switch l {
	case BinaryCrossEntropy:
		return kernels.BCEWithLogits(grad, z, y, scale)
	case CrossEntropy:
		return kernels.SoftmaxCrossEntropy(grad, z, y, rows, cols, scale)
	}
	return kernels.MSE(grad, z, y, scale)
}

// head sets out to the outputs for logits z (rows×cols): σ(z), softmax(z)
// or z itself. out may be z.
func (l Loss) head(out, z []float32, rows, cols int) {
	switch l {
	case BinaryCrossEntropy:
		kernels.Sigmoid(out, z)
	case CrossEntropy:
		kernels.Softmax(out, z, rows, cols)
	default:
		copy(out, z)
	}
}

// correct counts right predictions among rows samples of logits z against
// targets y, and the predictions made: one per output for
// BinaryCrossEntropy (σ(z) ≥ ½ against y ≥ ½), one per sample for
// CrossEntropy (argmax against argmax), none for MeanSquaredError.
func (l Loss) correct(z, y []float32, rows, cols int) (right, total int) {
	switch l {
	case BinaryCrossEntropy:
		for i, v := range z {
			if (v >= 0) == (y[i] >= 0.5) {
				right++
			}
		}
		return right, len(z)
	case CrossEntropy:
		for r := 0; r < rows; r++ {
			if argmax(z[r*cols:(r+1)*cols]) == argmax(y[r*cols:(r+1)*cols]) {
				right++
			}
		}
		return right, rows
	}
	return 0, 0
}

// argmax returns the index of the first largest element of x.
func argmax(x []float32) int {
	best := 0
	for j, v := range x {
		if v > x[best] {
			best = j
		}
	}
	return best
}

// checkTargets returns an error unless row r of the targets (cols values)
// suits the loss: finite; in [0, 1] for the cross-entropies; summing to 1
// for CrossEntropy.
func (l Loss) checkTargets(y []float32, r int) error {
	sum := 0.0
	for j, v := range y {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("mlp: Y[%d,%d] is %v: targets must be finite", r, j, v)
		}
		if l != MeanSquaredError && (v < 0 || v > 1) {
			return fmt.Errorf("mlp: Y[%d,%d] = %v is outside the classes: %v targets must lie in [0, 1]", r, j, v, l)
		}
		sum += f
	}
	if l == CrossEntropy && math.Abs(sum-1) > 1e-3 {
		return fmt.Errorf("mlp: row %d of Y sums to %v: cross-entropy targets must be one distribution per sample (see OneHot)", r, sum)
	}
	return nil
}

// OneHot returns the N×classes matrix of one-hot rows for class labels in
// [0, classes), the targets CrossEntropy takes. A label outside that range
// is an error.
func OneHot(labels []int, classes int) (*mat32.Dense, error) {
	if classes < 1 {
		return nil, fmt.Errorf("mlp: OneHot: %d classes, need at least 1", classes)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("mlp: OneHot: no labels")
	}
	y := make([]float32, len(labels)*classes)
	for i, c := range labels {
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("mlp: OneHot: label %d of sample %d is outside the classes 0..%d", c, i, classes-1)
		}
		y[i*classes+c] = 1
	}
	return mat32.NewDense(len(labels), classes, y), nil
}
