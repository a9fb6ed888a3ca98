package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/gofma/gofma/mat32"
	"github.com/gofma/gofma/mlp"
	"github.com/gofma/gofma/mnist"
)

// dataset is one split as the network takes it.
type dataset struct {
	X, Y *mat32.Dense
	n    int
}

// data is what a run trains, validates and tests on.
type data struct {
	train, test dataset
	val         dataset // held out of the training data by -val-split; n 0: none
	source      string  // where it came from
	classes     int
	loss        mlp.Loss
}

// loadData returns the training and test sets for o: real MNIST filtered
// to o.digits, or random data of the same shape with -synthetic.
func loadData(o *options) (*data, error) {
	d := &data{classes: len(o.digits)}
	_, d.loss = head(d.classes)
	if o.synthetic {
		nTrain, nTest := 60000, 10000
		if d.classes < 10 {
			nTrain, nTest = 11272*d.classes/2, 1866*d.classes/2
		}
		rng := rand.New(rand.NewPCG(o.seed, 99))
		var err error
		if d.train, err = d.split(synthetic(rng, nTrain, d.classes)); err != nil {
			return nil, err
		}
		d.test, err = d.split(synthetic(rng, nTest, d.classes))
		d.source = "synthetic: random pixels and labels of MNIST's shape"
		return d, err
	}
	dir, err := mnist.Find(o.data)
	if err != nil {
		return nil, err
	}
	train, test, err := mnist.Load(dir)
	if err != nil {
		return nil, err
	}
	if train, err = train.Filter(o.digits); err != nil {
		return nil, err
	}
	if test, err = test.Filter(o.digits); err != nil {
		return nil, err
	}
	if d.train, err = d.split(train); err != nil {
		return nil, err
	}
	d.test, err = d.split(test)
	d.source = "MNIST from " + dir
	return d, err
}

// holdOut moves the last fraction frac of the training samples, rounded
// down, to the validation set; 0 moves none. It returns an error, naming
// -val-split, when that leaves no validation or no training sample.
func (d *data) holdOut(frac float64) error {
	if frac == 0 {
		return nil
	}
	n := d.train.n
	held := int(frac * float64(n))
	if held < 1 || held >= n {
		return fmt.Errorf("-val-split %v of %d training samples holds out %d: need at least one sample for validation and one for training", frac, n, held)
	}
	cols, outs := d.train.X.RawMatrix().Cols, d.train.Y.RawMatrix().Cols
	keep := n - held
	d.val = dataset{d.train.X.Slice(keep, n, 0, cols), d.train.Y.Slice(keep, n, 0, outs), held}
	d.train = dataset{d.train.X.Slice(0, keep, 0, cols), d.train.Y.Slice(0, keep, 0, outs), keep}
	return nil
}

// synthetic returns n random images with random labels of classes classes.
func synthetic(rng *rand.Rand, n, classes int) *mnist.Set {
	s := &mnist.Set{Images: make([]float32, n*pixels), Labels: make([]int, n), N: n, Rows: 28, Cols: 28}
	for i := range s.Images {
		s.Images[i] = rng.Float32()
	}
	for i := range s.Labels {
		s.Labels[i] = rng.IntN(classes)
	}
	for c := 0; c < classes; c++ {
		s.Digits = append(s.Digits, c)
	}
	return s
}

// split turns a set into the network's X and Y: 0/1 targets for two
// classes, one-hot rows for more.
func (d *data) split(s *mnist.Set) (dataset, error) {
	if s.N == 0 {
		return dataset{}, fmt.Errorf("no images of digits %v", s.Digits)
	}
	X := mat32.NewDense(s.N, s.Pixels(), s.Images)
	if d.loss == mlp.BinaryCrossEntropy {
		y := make([]float32, s.N)
		for i, c := range s.Labels {
			y[i] = float32(c)
		}
		return dataset{X, mat32.NewDense(s.N, 1, y), s.N}, nil
	}
	Y, err := mlp.OneHot(s.Labels, d.classes)
	return dataset{X, Y, s.N}, err
}

// outputs returns the network's output count for the data.
func (d *data) outputs() int {
	n, _ := head(d.classes)
	return n
}

// pixels is the size of an MNIST image, 28×28.
const pixels = 28 * 28

// head returns the outputs and the loss of a network that tells classes
// classes apart: one sigmoid output and binary cross-entropy for two, a
// softmax over the classes and cross-entropy for more.
func head(classes int) (outputs int, loss mlp.Loss) {
	if classes == 2 {
		return 1, mlp.BinaryCrossEntropy
	}
	return classes, mlp.CrossEntropy
}
