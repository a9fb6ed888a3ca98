package kernels
import ("fmt";"math/rand/v2";"sort";"testing";"time")
func TestThreadsAB(t *testing.T){
 for _, s := range tshapes {
  a := make([]float32, s.m*s.k); bb := make([]float32, s.k*s.n); c := make([]float32, s.m*s.n)
  for i := range a {a[i]=rand.Float32()}; for i := range bb {bb[i]=rand.Float32()}
  lda:=s.k; if s.ta {lda=s.m}; ldb:=s.n; if s.tb {ldb=s.k}
  times := make([][]float64, 2)
  for r := 0; r < 11; r++ { for ci := 0; ci < 2; ci++ {
    SetThreads(ci+1)
    st := time.Now(); Default().Sgemm(s.ta,s.tb,s.m,s.n,s.k,1,a,lda,bb,ldb,0,c,s.n); times[ci] = append(times[ci], time.Since(st).Seconds())
  }}
  SetThreads(0)
  for ci := range times { sort.Float64s(times[ci]) }
  f := 2*float64(s.m*s.n*s.k)/1e9
  fmt.Printf("%-7s 1t %.1f 2t %.1f speedup %.2f\n", s.name, f/times[0][5], f/times[1][5], times[0][5]/times[1][5])
 }
 p1, _ := MeasurePeak(1, 200*time.Millisecond); p2, _ := MeasurePeak(2, 200*time.Millisecond)
 fmt.Printf("peak 1t %.1f 2t %.1f scaling %.2f\n", p1, p2, p2/p1)
}
