package mnist_test

import (
	"fmt"
	"log"

	"github.com/gofma/gofma/mnist"
)

// Load all of MNIST from the module cache and keep the 5s and 8s, gofma's
// reference workload: 5 becomes class 0 and 8 class 1. With the real data it
// prints
//
//	train 11272, test 1866 images of 28×28 pixels, classes [5 8]
//
// (TestLoadReal checks these numbers; the example has no Output line so that
// the tests do not load MNIST twice.)
func ExampleLoad() {
	train, test, err := mnist.Load("") // "" looks in $MNIST_DIR, then the module cache
	if err != nil {
		log.Fatal(err)
	}
	digits, err := mnist.ParseDigits("5,8")
	if err != nil {
		log.Fatal(err)
	}
	train58, err := train.Filter(digits)
	if err != nil {
		log.Fatal(err)
	}
	test58, err := test.Filter(digits)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("train %d, test %d images of %d×%d pixels, classes %v\n",
		train58.N, test58.N, train58.Rows, train58.Cols, train58.Digits)
}
