package bench

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofma/gofma/kernels"
)

// threadsFlag is the -threads flag: the thread counts at which the
// benchmarks run each implementation that runs on several (1 and 2 when
// empty), e.g. -threads 1,2,4,8,16 for a many-core table.
var threadsFlag = flag.String("threads", "", "comma-separated thread counts for the multi-threaded implementations and BenchmarkPeak (default 1,2)")

// manyThreads is -threads parsed; nil when it is empty.
var manyThreads []int

// threadsOf returns the thread counts to benchmark im at: -threads where
// it is given and im runs on several threads, else im's own.
func threadsOf(im impl) []int {
	if manyThreads != nil && len(im.threads) > 1 {
		return manyThreads
	}
	return im.threads
}

// parseThreads parses -threads: positive counts, comma-separated.
func parseThreads(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var ts []int
	for _, f := range strings.Split(s, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || t < 1 {
			return nil, fmt.Errorf("-threads %q: %q is not a positive thread count", s, f)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// TestMain reads -threads and prints, when benchmarks run, what is being
// compared as benchfmt configuration lines ("key: value"), which benchstat
// shows in its header.
func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	if manyThreads, err = parseThreads(*threadsFlag); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		fmt.Printf("kernels: %s\n", kernels.Info())
		for _, im := range impls() {
			if im.about != "" {
				fmt.Printf("%s: %s\n", im.name, im.about)
			}
		}
	}
	os.Exit(m.Run())
}

// BenchmarkSgemm runs every implementation on every shape, side by side:
// BenchmarkSgemm/shape=NAME/impl=IMPL/threads=N, in GFLOP/s. The operands
// are allocated and filled once per shape; C = 1·op(A)·op(B) + 0·C.
func BenchmarkSgemm(b *testing.B) {
	impls := impls()
	for _, s := range shapes() {
		b.Run("shape="+s.name, func(b *testing.B) {
			a, bm, c := operands(s, rand.New(rand.NewPCG(1, uint64(s.m*s.n*s.k))))
			for _, im := range impls {
				b.Run("impl="+im.name, func(b *testing.B) {
					for _, t := range threadsOf(im) {
						b.Run(fmt.Sprintf("threads=%d", t), func(b *testing.B) {
							benchSgemm(b, im, t, s, a, bm, c)
						})
					}
				})
			}
		})
	}
}

func benchSgemm(b *testing.B, im impl, threads int, s shape, a, bm, c []float32) {
	if p := runtime.GOMAXPROCS(0); threads > p {
		b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", threads, threads, p)
	}
	defer im.setThreads(im.setThreads(threads))
	_, lda, _, ldb := s.dims()
	n := 0
	for b.Loop() {
		im.kernels.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
		n++
	}
	b.ReportMetric(s.flops()*float64(n)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// operands returns A, B and C for s, filled from rng: A and B uniform in
// [-1, 1), C too (every page touched, so no run pays for first-touch faults).
func operands(s shape, rng *rand.Rand) (a, b, c []float32) {
	ar, ac, br, bc := s.dims()
	return randSlice(ar*ac, rng), randSlice(br*bc, rng), randSlice(s.m*s.n, rng)
}

func randSlice(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}

// BenchmarkPeak reports the machine's float32 FMA peak (kernels.MeasurePeak,
// 100 ms per probe) at 1 and 2 threads, or at -threads, in GFLOP/s, to
// judge kernels by.
func BenchmarkPeak(b *testing.B) {
	counts := []int{1, 2}
	if manyThreads != nil {
		counts = manyThreads
	}
	for _, threads := range counts {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			if p := runtime.GOMAXPROCS(0); threads > p {
				b.Skipf("threads=%d needs GOMAXPROCS ≥ %d, have %d", threads, threads, p)
			}
			if _, err := kernels.MeasurePeak(threads, time.Millisecond); err != nil {
				b.Skip(err)
			}
			sum, n := 0.0, 0
			for b.Loop() {
				g, err := kernels.MeasurePeak(threads, 100*time.Millisecond)
				if err != nil {
					b.Fatal(err)
				}
				sum += g
				n++
			}
			b.ReportMetric(sum/float64(n), "GFLOP/s")
			b.ReportMetric(0, "ns/op") // the probe's duration is fixed; its time says nothing
		})
	}
}

// TestSgemmImpls checks that every implementation compared here, through
// its kernels.Impl (WithSgemm for a baseline), agrees with kernels.Sgemm for all four transpose cases, with
// leading dimensions larger than the rows, alpha ≠ 1 and beta ≠ 0; and that
// it leaves C's padding alone. The larger case runs on two threads.
func TestSgemmImpls(t *testing.T) {
	cases := []struct{ m, n, k, threads int }{{13, 11, 37, 1}, {150, 200, 300, 2}}
	for _, im := range impls() {
		for _, tc := range cases {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					name := fmt.Sprintf("impl=%s/%dx%dx%d_%s/threads=%d", im.name, tc.m, tc.n, tc.k, transName(ta, tb), tc.threads)
					t.Run(name, func(t *testing.T) {
						defer im.setThreads(im.setThreads(tc.threads))
						checkAgainstKernels(t, im, shape{m: tc.m, n: tc.n, k: tc.k, transA: ta, transB: tb})
					})
				}
			}
		}
	}
}

func checkAgainstKernels(t *testing.T, im impl, s shape) {
	t.Helper()
	const alpha, beta = 0.75, -0.5
	rng := rand.New(rand.NewPCG(5, uint64(s.m*s.n*s.k)))
	ar, ac, br, bc := s.dims()
	lda, ldb, ldc := ac+3, bc+5, s.n+2
	a := randSlice((ar-1)*lda+ac, rng)
	b := randSlice((br-1)*ldb+bc, rng)
	c := randSlice(s.m*ldc, rng) // the last row's padding too
	c0 := append([]float32(nil), c...)
	want := append([]float32(nil), c...)

	kernels.Sgemm(s.transA, s.transB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, want, ldc)
	im.kernels.Sgemm(s.transA, s.transB, s.m, s.n, s.k, alpha, a, lda, b, ldb, beta, c, ldc)

	at := func(i, p int) float64 { // op(A)[i][p]
		if s.transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	bt := func(p, j int) float64 { // op(B)[p][j]
		if s.transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	bad := 0
	for i := 0; i < s.m; i++ {
		for j := 0; j < ldc; j++ {
			x := i*ldc + j
			if j >= s.n {
				if c[x] != c0[x] {
					t.Errorf("c[%d][%d] (padding) = %v, was %v", i, j, c[x], c0[x])
					bad++
				}
				continue
			}
			// Tolerance: a few float32 roundings per term of the sum.
			ref, mag := beta*float64(c0[x]), math.Abs(beta*float64(c0[x]))
			for p := 0; p < s.k; p++ {
				v := alpha * at(i, p) * bt(p, j)
				ref += v
				mag += math.Abs(v)
			}
			tol := 4 * float64(s.k+2) * 0x1p-24 * mag
			if d := math.Abs(float64(c[x]) - float64(want[x])); !(d <= tol) {
				t.Errorf("c[%d][%d] = %v, kernels.Sgemm %v (float64 reference %v); |diff| %.3g > tolerance %.3g",
					i, j, c[x], want[x], ref, d, tol)
				bad++
			}
			if bad >= 10 {
				t.Fatal("too many differences")
			}
		}
	}
}

// TestSetThreads checks that each implementation's SetThreads returns the
// previous setting, so that benchmarks restore it.
func TestSetThreads(t *testing.T) {
	for _, im := range impls() {
		prev := im.setThreads(2)
		if got := im.setThreads(prev); got != 2 {
			t.Errorf("impl=%s: SetThreads(2) then SetThreads(%d) returned %d, want 2", im.name, prev, got)
		}
	}
}

// TestShapes checks the shape table: unique names that match the sizes,
// and the one full-batch MNIST iteration ≈ 6.93 GFLOP of docs/DESIGN.md.
func TestShapes(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range shapes() {
		if seen[s.name] {
			t.Errorf("shape %q listed twice", s.name)
		}
		seen[s.name] = true
		if s.m <= 0 || s.n <= 0 || s.k <= 0 {
			t.Errorf("shape %q: sizes %d×%d×%d", s.name, s.m, s.n, s.k)
		}
	}
	// One iteration is one forward and one dW product of the 784-196 layer
	// (no dX: it is the first layer) plus the negligible 196-1 layer.
	fwd := shapes()[0].flops()
	if got := 2 * fwd / 1e9; math.Abs(got-6.93) > 0.01 {
		t.Errorf("2 × forward = %.3f GFLOP, want ≈ 6.93", got)
	}
}
