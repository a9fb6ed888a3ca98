//go:build openblas

package bench

import ("fmt";"math/rand/v2";"sort";"testing";"time";"os";"strings"
 "github.com/gofma/gofma/kernels")

func TestAB(t *testing.T) {
	filter := os.Getenv("ABSHAPES")
	if filter == "" { t.Skip() }
	th := 1
	if os.Getenv("ABTHREADS") == "2" { th = 2 }
	kernels.SetThreads(th); OpenBLASSetThreads(th)
	for _, s := range Shapes() {
		if !strings.Contains(s.Name, filter) && filter != "all" { continue }
		ar, ac, br, bc := s.Dims()
		a := make([]float32, ar*ac); b := make([]float32, br*bc); c := make([]float32, s.M*s.N)
		for i := range a { a[i] = rand.Float32() }
		for i := range b { b[i] = rand.Float32() }
		lda, ldb := ac, bc
		fs := []func(){
			func(){ kernels.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) },
			func(){ OpenBLAS(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) },
		}
		times := make([][]float64, 2)
		for r := 0; r < 11; r++ { for i, f := range fs { st := time.Now(); f(); times[i] = append(times[i], time.Since(st).Seconds()) } }
		for i := range times { sort.Float64s(times[i]) }
		g := func(i int) float64 { return s.Flops()/times[i][5]/1e9 }
		fmt.Printf("%-24s gofma %6.1f  openblas %6.1f  ratio %.3f\n", s.Name, g(0), g(1), g(0)/g(1))
	}
}
