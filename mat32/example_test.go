package mat32_test

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

func ExampleDense_Mul() {
	a := mat32.NewDense(2, 3, []float32{1, 2, 3, 4, 5, 6})
	b := mat32.NewDense(2, 3, []float32{1, 0, 1, 0, 1, 0})
	var c mat32.Dense
	c.Mul(a, b.T()) // a·bᵀ: the transpose is a flag to SGEMM, not a copy
	fmt.Printf("%v\n", mat32.Formatted(&c))
	// Output:
	// ⎡ 4  2⎤
	// ⎣10  5⎦
}

func ExampleDense_MulEpilogue() {
	w := mat32.NewDense(2, 2, []float32{1, -1, 2, 0})
	x := mat32.NewDense(2, 3, []float32{1, 2, 3, 1, 2, 3})
	b := []float32{0, -2} // one bias per row of the output
	var a mat32.Dense
	a.MulEpilogue(w, x, kernels.Epilogue{Bias: b, BiasPerRow: true, Act: kernels.ActReLU})
	fmt.Printf("%v\n", mat32.Formatted(&a))
	// Output:
	// ⎡0  0  0⎤
	// ⎣0  2  4⎦
}

func ExampleDense_Slice() {
	m := mat32.NewDense(3, 3, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9})
	v := m.Slice(1, 3, 1, 3) // shares m's memory
	v.Scale(10, v)
	fmt.Printf("%v\n", mat32.Formatted(m))
	// Output:
	// ⎡1   2   3⎤
	// ⎢4  50  60⎥
	// ⎣7  80  90⎦
}

func ExampleFromGonum() {
	g := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	m := mat32.FromGonum(g)
	back := m.ToGonum() // a float64 copy again
	fmt.Println(mat32.ColSums(nil, m), back.At(1, 0))
	// Output:
	// [4 6] 3
}

func ExampleBLAS() {
	blas32.Use(mat32.BLAS{}) // gonum's blas32 now runs on gofma's kernels
	defer blas32.Use(gonum.Implementation{})
	a := mat32.NewDense(2, 2, []float32{1, 2, 3, 4})
	c := mat32.NewDense(2, 2, nil)
	blas32.Gemm(blas.Trans, blas.NoTrans, 1, a.RawMatrix(), a.RawMatrix(), 0, c.RawMatrix()) // c = aᵀ·a
	fmt.Printf("%v\n", mat32.Formatted(c))
	// Output:
	// ⎡10  14⎤
	// ⎣14  20⎦
}
