package kernels
import ("testing";"math/rand/v2")
type tshape struct{name string; ta,tb bool; m,n,k int}
var tshapes = []tshape{{"fwdNT",false,true,196,11272,784},{"fwd2NT",false,true,11272,196,784},{"dWNN",false,false,196,784,11272},{"dWTN",true,false,784,196,11272}}
func BenchmarkTune(b *testing.B){
 for _, s := range tshapes {
  a := make([]float32, s.m*s.k); bb := make([]float32, s.k*s.n); c := make([]float32, s.m*s.n)
  for i := range a {a[i]=rand.Float32()}; for i := range bb {bb[i]=rand.Float32()}
  lda:=s.k; if s.ta {lda=s.m}; ldb:=s.n; if s.tb {ldb=s.k}
  b.Run(s.name, func(b *testing.B){
   SetThreads(1); defer SetThreads(0)
   for i:=0;i<b.N;i++{ Sgemm(s.ta,s.tb,s.m,s.n,s.k,1,a,lda,bb,ldb,0,c,s.n)}
   b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9,"GFLOP/s")
  })
 }
}
