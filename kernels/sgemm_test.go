package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// dims are the sizes every dimension is tested with: empty, tails around
// mr and nr, and a few larger. shortDims is the subset crossed with -short.
var (
	dims      = []int{0, 1, 2, 5, 6, 7, 15, 16, 17, 31, 33, 100}
	shortDims = []int{0, 1, 5, 7, 16, 17, 33}
)

// TestSgemmSmall crosses m, n and k over dims with all four transpose
// combinations (under -short: crosses shortDims and sweeps each dimension
// over dims with the others fixed). Alpha, beta, padding, views and the
// kind of data vary from case to case.
func TestSgemmSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var cases []gemmCase
	add := func(m, n, k int) {
		for _, tr := range transposeCombos {
			cases = append(cases, vary(rng, gemmCase{transA: tr[0], transB: tr[1], m: m, n: n, k: k}))
		}
	}
	cross := dims
	if testing.Short() {
		cross = shortDims
		for _, x := range dims {
			add(x, 7, 17)
			add(17, x, 7)
			add(7, 17, x)
		}
	}
	for _, m := range cross {
		for _, n := range cross {
			for _, k := range cross {
				add(m, n, k)
			}
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) { runCases(t, im, cases) })
}

// TestSgemmScalars crosses alpha and beta over {0, 1, -1, 0.5} on a few
// shapes (one crossing a KC block), with real and with exact data.
func TestSgemmScalars(t *testing.T) {
	shapes := [][3]int{{7, 17, 9}, {13, 33, kcBlock + 3}, {mr, nr, 1}, {0, 5, 3}, {5, 0, 3}, {5, 3, 0}}
	var cases []gemmCase
	seed := uint64(0)
	for _, s := range shapes {
		for _, tr := range transposeCombos {
			for _, alpha := range scalars {
				for _, beta := range scalars {
					for _, exact := range []bool{false, true} {
						seed++
						cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2],
							alpha: alpha, beta: beta, padA: 1, padC: 2, exact: exact, special: beta == 0, seed: seed})
					}
				}
			}
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) { runCases(t, im, cases) })
}

// TestSgemmLeadingDims pads each of A, B and C independently, with tight
// slices and with sub-matrix views that run on past the last element.
func TestSgemmLeadingDims(t *testing.T) {
	pads := []int{0, 1, 7, nr, 3*nr + 5}
	if testing.Short() {
		pads = []int{0, 1, nr + 3}
	}
	var cases []gemmCase
	seed := uint64(100)
	for _, tr := range transposeCombos {
		for _, pa := range pads {
			for _, pb := range pads {
				for _, pc := range pads {
					for _, view := range []bool{false, true} {
						seed++
						cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: 2*mr + 1, n: 2*nr + 5, k: 23,
							alpha: -1, beta: 0.5, padA: pa, padB: pb, padC: pc, view: view, seed: seed})
					}
				}
			}
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) { runCases(t, im, cases) })
}

// around returns x-1, x and x+1.
func around(x int) []int { return []int{x - 1, x, x + 1} }

// TestSgemmBlocks covers sizes around the blocking constants: m around
// mcBlock, k around kcBlock and across two KC blocks, n around ncBlock and
// around the columns one assembly call covers, each with the others small.
func TestSgemmBlocks(t *testing.T) {
	var shapes [][3]int
	short := testing.Short()
	for _, m := range append(around(mcBlock), 2*mcBlock+mr+1) {
		shapes = append(shapes, [3]int{m, nr + 1, 9})
	}
	for _, k := range append(around(kcBlock), 2*kcBlock, 2*kcBlock+7) {
		shapes = append(shapes, [3]int{2*mr + 1, nr + 3, k})
	}
	for _, n := range append(around(ncBlock), 2*ncBlock+nr+3) {
		shapes = append(shapes, [3]int{mr + 1, n, 5})
	}
	// One assembly call covers at most maxTilesPerCall tiles of a block.
	step := max(1, maxTilesPerCall/(mcBlock/mr)) * nr
	for _, n := range []int{step - 1, step, step + nr + 1} {
		shapes = append(shapes, [3]int{mcBlock, n, 3})
	}
	if !short {
		shapes = append(shapes,
			[3]int{mcBlock + 1, nr + 1, kcBlock + 1},
			[3]int{2*mcBlock + 5, 2*nr + 1, 2*kcBlock + 7},
			[3]int{mcBlock + 1, ncBlock + 1, kcBlock + 1})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var cases []gemmCase
	for _, s := range shapes {
		for _, tr := range transposeCombos {
			tc := vary(rng, gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2]})
			if tc.alpha == 0 { // the quick path would not multiply at all
				tc.alpha = 0.5
				tc.special = tc.beta == 0
			}
			cases = append(cases, tc)
			if !short { // and once more with exact data and other scalars
				tc = vary(rng, tc)
				tc.alpha, tc.exact = -1, true
				tc.special = tc.beta == 0
				cases = append(cases, tc)
			}
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) { runCases(t, im, cases) })
}

// TestSgemmBlockConstants checks the relations between the block sizes
// (set at init) that the driver relies on: packed blocks and edge scratch
// are sized for whole micro-panels.
func TestSgemmBlockConstants(t *testing.T) {
	if mcBlock <= 0 || kcBlock <= 0 || ncBlock <= 0 || mr <= 0 || nr <= 0 {
		t.Fatalf("blocking constants must be positive: mr=%d nr=%d mcBlock=%d kcBlock=%d ncBlock=%d", mr, nr, mcBlock, kcBlock, ncBlock)
	}
	if mcBlock%mr != 0 {
		t.Errorf("mcBlock = %d is not a multiple of mr = %d", mcBlock, mr)
	}
	if ncBlock%nr != 0 {
		t.Errorf("ncBlock = %d is not a multiple of nr = %d", ncBlock, nr)
	}
}

// TestSgemmSpecialValues checks BLAS's rules for special values: with
// beta == 0, NaN and Inf in C never reach the result; alpha == 0 and
// k == 0 only scale C by beta and never read A or B (here all NaN); m == 0
// or n == 0 leaves everything alone.
func TestSgemmSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		// beta == 0 over NaN and Inf, for k within one and across KC blocks.
		var cases []gemmCase
		for _, k := range []int{1, 7, kcBlock + 1} {
			for _, tr := range transposeCombos {
				for _, alpha := range []float32{1, -1, 0.5} {
					cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: 2*mr + 1, n: nr + 5, k: k,
						alpha: alpha, beta: 0, padC: 3, special: true, seed: uint64(k)})
				}
			}
		}
		runCases(t, im, cases)

		// alpha == 0 with A and B all NaN.
		for _, beta := range scalars {
			a := []float32{nan, nan, nan, nan, nan, nan}
			b := []float32{nan, inf, nan, nan, nan, nan, nan, nan, -inf}
			c := []float32{nan, inf, -inf, 2, 4, 8}
			im.Sgemm(false, false, 2, 3, 3, 0, a, 3, b, 3, beta, c, 3)
			want := []float32{beta * nan, beta * inf, beta * -inf, beta * 2, beta * 4, beta * 8}
			if beta == 0 {
				want = make([]float32, 6)
			}
			for i := range c {
				if !sameFloat(c[i], want[i]) {
					t.Errorf("alpha=0 beta=%v: c = %v, want %v", beta, c, want)
					break
				}
			}
		}

		// k == 0: A and B are empty (nil is fine), C is scaled.
		c := []float32{nan, 1, 2, inf}
		im.Sgemm(false, true, 2, 2, 0, 1, nil, 1, nil, 1, 0, c, 2)
		if want := []float32{0, 0, 0, 0}; !sameBits(c, want) {
			t.Errorf("k=0 beta=0: c = %v, want %v", c, want)
		}
		c = []float32{1, 2, -3, 4}
		im.Sgemm(true, false, 2, 2, 0, 1, nil, 2, nil, 2, -1, c, 2)
		if want := []float32{-1, -2, 3, -4}; !sameBits(c, want) {
			t.Errorf("k=0 beta=-1: c = %v, want %v", c, want)
		}

		// m == 0 or n == 0: nothing is read or written, whatever beta.
		a := []float32{nan, nan, nan, nan, nan, nan}
		c = []float32{nan, nan, inf}
		c0 := append([]float32(nil), c...)
		im.Sgemm(false, false, 0, 3, 2, 1, nil, 2, a, 3, 0, nil, 3) // op(A) 0×2, B 2×3
		im.Sgemm(false, false, 3, 0, 2, 1, a, 2, nil, 1, 0, nil, 1) // op(B) 2×0, C 3×0
		im.Sgemm(true, true, 0, 0, 2, 1, nil, 1, nil, 2, 0, c, 1)
		im.Sgemm(false, false, 0, 3, 0, 1, nil, 1, nil, 3, 0, c, 3)
		if !sameBits(c, c0) {
			t.Errorf("m or n = 0 changed c: %v, was %v", c, c0)
		}
	})
}

// badCall is an Sgemm call with bad arguments, and what its panic message
// must contain.
type badCall struct {
	name           string
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	la, lb, lc     int // slice lengths
	want           string
}

// TestSgemmPanics checks that bad arguments panic, before touching C, with
// a message that starts "kernels: " and names the argument.
func TestSgemmPanics(t *testing.T) {
	calls := []badCall{
		{name: "m<0", m: -1, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, la: 4, lb: 4, lc: 4, want: "m = -1"},
		{name: "n<0", m: 2, n: -3, k: 2, lda: 2, ldb: 2, ldc: 2, la: 4, lb: 4, lc: 4, want: "n = -3"},
		{name: "k<0", m: 2, n: 2, k: -1, lda: 2, ldb: 2, ldc: 2, la: 4, lb: 4, lc: 4, want: "k = -1"},
		{name: "lda<k", m: 3, n: 2, k: 5, lda: 4, ldb: 2, ldc: 2, la: 15, lb: 10, lc: 6, want: "lda = 4, need at least 5"},
		{name: "lda<m/transA", transA: true, m: 5, n: 2, k: 3, lda: 4, ldb: 2, ldc: 2, la: 15, lb: 6, lc: 10, want: "lda = 4, need at least 5"},
		{name: "lda=0/k=0", m: 3, n: 2, k: 0, lda: 0, ldb: 2, ldc: 2, lc: 6, want: "lda = 0, need at least 1"},
		{name: "ldb<n", m: 2, n: 4, k: 3, lda: 3, ldb: 3, ldc: 4, la: 6, lb: 12, lc: 8, want: "ldb = 3, need at least 4"},
		{name: "ldb<k/transB", transB: true, m: 2, n: 4, k: 3, lda: 3, ldb: 2, ldc: 4, la: 6, lb: 12, lc: 8, want: "ldb = 2, need at least 3"},
		{name: "ldc<n", m: 2, n: 4, k: 3, lda: 3, ldb: 4, ldc: 3, la: 6, lb: 12, lc: 8, want: "ldc = 3, need at least 4"},
		{name: "ldc<0", m: 2, n: 4, k: 3, lda: 3, ldb: 4, ldc: -5, la: 6, lb: 12, lc: 8, want: "ldc = -5"},
		{name: "len(a)", m: 3, n: 2, k: 5, lda: 5, ldb: 2, ldc: 2, la: 14, lb: 10, lc: 6, want: "kernels: len(a) = 14, need at least 15"},
		{name: "len(a)/transA/padded", transA: true, m: 3, n: 2, k: 5, lda: 4, ldb: 2, ldc: 2, la: 18, lb: 10, lc: 6, want: "len(a) = 18, need at least 19"},
		{name: "len(b)", m: 2, n: 4, k: 3, lda: 3, ldb: 4, ldc: 4, la: 6, lb: 11, lc: 8, want: "len(b) = 11, need at least 12"},
		{name: "len(b)/transB", transB: true, m: 2, n: 4, k: 3, lda: 3, ldb: 3, ldc: 4, la: 6, lb: 0, lc: 8, want: "len(b) = 0, need at least 12"},
		{name: "len(c)", m: 3, n: 4, k: 2, lda: 2, ldb: 4, ldc: 4, la: 6, lb: 8, lc: 10, want: "kernels: len(c) = 10, need at least 12"},
		{name: "len(c)/padded", m: 3, n: 4, k: 2, lda: 2, ldb: 4, ldc: 6, la: 6, lb: 8, lc: 15, want: "len(c) = 15, need at least 16"},
	}
	call := func(f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int), bc badCall, c []float32) func() {
		return func() {
			a := make([]float32, bc.la)
			b := make([]float32, bc.lb)
			f(bc.transA, bc.transB, bc.m, bc.n, bc.k, 1, a, bc.lda, b, bc.ldb, 0, c, bc.ldc)
		}
	}
	check := func(t *testing.T, f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)) {
		for _, bc := range calls {
			c := make([]float32, bc.lc)
			for i := range c {
				c[i] = guardC
			}
			msg, ok := panicMessage(call(f, bc, c))
			switch {
			case !ok:
				t.Errorf("%s: no panic", bc.name)
			case !strings.HasPrefix(msg, "kernels: ") || !strings.Contains(msg, bc.want):
				t.Errorf("%s: panic %q, want a message containing %q", bc.name, msg, bc.want)
			}
			for i, v := range c {
				if v != guardC {
					t.Errorf("%s: c[%d] written before the panic", bc.name, i)
					break
				}
			}
		}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) { check(t, im.Sgemm) })
	t.Run("package", func(t *testing.T) { check(t, Sgemm) })
}

// TestSgemmHugeLeadingDimension checks that a leading dimension so large
// that (rows-1)*ld overflows int is rejected with a panic naming it, and
// that nothing outside C is written.
func TestSgemmHugeLeadingDimension(t *testing.T) {
	const front = 1024 // room to see stray rows written before c
	forEachImpl(t, func(t *testing.T, im *Impl) {
		buf := make([]float32, front+nr+guardLen)
		for i := range buf {
			buf[i] = guardC
		}
		c := buf[front : front+nr]
		a := make([]float32, 13*4)
		b := make([]float32, 4*nr)
		msg, ok := panicMessage(func() {
			// (13-1)*ldc + nr wraps to a negative "need".
			im.Sgemm(false, false, 13, nr, 4, 1, a, 4, b, nr, 0, c, math.MaxInt/4-16)
		})
		if !ok || !strings.Contains(msg, "ldc") && !strings.Contains(msg, "len(c)") {
			t.Errorf("panic %q (panicked: %t), want a message naming ldc or len(c)", msg, ok)
		}
		for i := 0; i < front; i++ {
			if buf[i] != guardC {
				t.Fatalf("wrote %d elements before c", front-i)
			}
		}
	})
}

// parallelK returns a k ≥ atLeast for which an m×n×k product is big enough
// for the driver to give every one of threads threads a share: it only
// splits work of at least minFlopsPerThread multiply-adds per thread.
func parallelK(m, n, threads, atLeast int) int {
	return max(atLeast, (minFlopsPerThread*threads+m*n-1)/(m*n))
}

// threadCounts are the thread counts whose results must agree bitwise.
var threadCounts = []int{1, 2, 3, 7}

// TestSgemmThreadsBitwise checks that results are bitwise identical for
// every thread count, on shapes big enough to run in parallel, with edges
// in both directions (splits along n and along m). The 1-thread result is
// also checked against the reference, and every run's guards.
func TestSgemmThreadsBitwise(t *testing.T) {
	setThreads(t, 1)
	shapes := [][3]int{
		{197, 1000, 300},
		{1000, 37, parallelK(1000, 37, 7, 300)},
		{29, ncBlock + nr + 3, parallelK(29, ncBlock+nr+3, 7, 9)},
		{4*chunkLen + 5, 13, parallelK(4*chunkLen+5, 13, 7, 5)}, // several chunks per thread
	}
	combos := transposeCombos
	if testing.Short() {
		shapes = [][3]int{
			{61, 250, parallelK(61, 250, 3, 1)},
			{250, 37, parallelK(250, 37, 3, 1)},
		}
		combos = [][2]bool{{false, false}, {true, true}}
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for i, s := range shapes {
			if s[0]*s[1]*s[2] < 2*minFlopsPerThread {
				t.Fatalf("shape %v is too small to run in parallel", s)
			}
			for _, tr := range combos {
				tc := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2],
					alpha: 0.5, beta: -1, padA: 3, padB: 1, padC: nr + 1, seed: uint64(i)}
				var first *matrix
				for _, threads := range threadCounts {
					SetThreads(threads)
					var c *matrix
					var err error
					if threads == 1 && !testing.Short() {
						c, err = tc.run(im)
					} else { // guards only: the comparison with 1 thread does the rest
						a, b, cc := tc.operands()
						c0 := cc.clone()
						tc.call(im, a, b, cc)
						c, err = cc, cc.checkGuards(c0)
					}
					if err != nil {
						t.Fatalf("%v threads=%d: %v", tc, threads, err)
					}
					if first == nil {
						first = c
						continue
					}
					if idx := firstDifference(first.buf, c.buf); idx >= 0 {
						t.Fatalf("%v: threads=%d differs from threads=1 at %s: %v, want %v",
							tc, threads, c.where(idx), c.buf[idx], first.buf[idx])
					}
				}
			}
		}
	})
}

// firstDifference returns the first index where x and y differ bitwise, or -1.
func firstDifference(x, y []float32) int {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return i
		}
	}
	return -1
}

// TestSgemmConcurrent runs Sgemm from several goroutines at once, with
// more than one thread each, sharing A and B (which must only be read),
// and checks every result bitwise against a 1-thread run. Under -race it
// exercises the pool and the shared workspaces.
func TestSgemmConcurrent(t *testing.T) {
	type job struct {
		im *Impl
		tc gemmCase
		a  *matrix
		b  *matrix
	}
	m, n := 61, 130
	k := parallelK(m, n, 3, 1)
	var jobs []job
	for _, im := range Impls() {
		for i, tr := range transposeCombos {
			tc := gemmCase{transA: tr[0], transB: tr[1], m: m + i, n: n - 3*i, k: k, alpha: 1, beta: 0.5, padC: 1, seed: uint64(i)}
			a, b, _ := tc.operands()
			jobs = append(jobs, job{im, tc, a, b})
		}
	}
	// The expected results, one thread.
	setThreads(t, 1)
	want := make([][]float32, len(jobs))
	for i, j := range jobs {
		_, _, c := j.tc.operands()
		j.tc.call(j.im, j.a, j.b, c)
		want[i] = c.buf
	}
	a0 := make([][]float32, len(jobs))
	b0 := make([][]float32, len(jobs))
	for i, j := range jobs {
		a0[i], b0[i] = j.a.clone(), j.b.clone()
	}
	SetThreads(3)
	reps := 3
	if testing.Short() {
		reps = 2
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs)*reps)
	for i, j := range jobs {
		for r := 0; r < reps; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, c := j.tc.operands()
				j.tc.call(j.im, j.a, j.b, c)
				if idx := firstDifference(c.buf, want[i]); idx >= 0 {
					errs <- fmt.Errorf("impl=%s %v: concurrent result differs at %s: %v, want %v",
						j.im.Name(), j.tc, c.where(idx), c.buf[idx], want[i][idx])
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, j := range jobs {
		if err := j.a.checkUnchanged(a0[i]); err != nil {
			t.Errorf("impl=%s %v: %v", j.im.Name(), j.tc, err)
		}
		if err := j.b.checkUnchanged(b0[i]); err != nil {
			t.Errorf("impl=%s %v: %v", j.im.Name(), j.tc, err)
		}
	}
}

// TestSgemmAliased checks products whose C shares memory with A, B or the
// epilogue's bias: the result must be bitwise that of the same product on
// separate copies (it used to read operands already overwritten).
func TestSgemmAliased(t *testing.T) {
	const m, n, k = 150, 150, 150 // more than one block of C's rows
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(x []float32) {
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
	}
	type alias struct {
		name           string
		transA, transB bool
		beta           float32
		// where C, A and B start in one shared buffer (leading dimension ld)
		c, a, b int
		bias    int // where the bias starts in the buffer; -1: no bias
	}
	const ld = 160
	rows := 3 * m
	cases := []alias{
		{"c=a", false, false, 0, 0, 0, 2 * m * ld, -1},
		{"c=a beta=1", false, false, 1, 0, 0, 2 * m * ld, -1},
		{"c=b transB", false, true, 0.5, 0, 2 * m * ld, 0, -1},
		{"c=a+5rows transA", true, false, 1, 5 * ld, 0, 2 * m * ld, -1},
		{"c=b-7rows", false, false, 0, 7 * ld, 2 * m * ld, 0, -1},
		{"c=a+3cols", false, false, 1, 3, 0, 2 * m * ld, -1},
		{"bias in c", false, false, 0, 0, m * ld, 2 * m * ld, 2 * ld},
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				buf := make([]float32, rows*ld+ld)
				fill(buf)
				// The same product on separate copies of each operand.
				a, b, c := slices.Clone(buf[tc.a:]), slices.Clone(buf[tc.b:]), slices.Clone(buf[tc.c:])
				ep := Epilogue{Act: ActSigmoid}
				epAlias := ep
				if tc.bias >= 0 {
					ep.Bias = slices.Clone(buf[tc.bias : tc.bias+n])
					epAlias.Bias = buf[tc.bias : tc.bias+n]
				}
				im.SgemmEpilogue(tc.transA, tc.transB, m, n, k, 1, a, ld, b, ld, tc.beta, c, ld, ep)
				im.SgemmEpilogue(tc.transA, tc.transB, m, n, k, 1, buf[tc.a:], ld, buf[tc.b:], ld, tc.beta, buf[tc.c:], ld, epAlias)
				for i := range m {
					for j := range n {
						if got, want := buf[tc.c+i*ld+j], c[i*ld+j]; !sameFloat(got, want) {
							t.Fatalf("C[%d,%d] = %v, want %v as with separate operands", i, j, got, want)
						}
					}
				}
			})
		}
	})
}

// TestSgemmRowsBitwise checks that each row of C does not depend on how
// many rows the product has: a product of m rows gives, bitwise, what the
// product of each of its rows alone and of a run of them in the middle
// gives. The bottom edge of C (m not a multiple of mr) takes the macro-kernels
// of fewer rows, and a one-row product with B transposed reads B in place
// (Impl.gemv); their sums must be those of the full tiles, and so must the
// fused epilogue, with bias per row or per column.
func TestSgemmRowsBitwise(t *testing.T) {
	setThreads(t, 1)
	rng := rand.New(rand.NewPCG(21, 22))
	ms := append(seq(1, 14), mcBlock+mr+1)
	ns := []int{1, 10, nr, 2*nr + 1, 5*nr + 3}
	ks := []int{1, 7, 8, 2*kcBlock + 3, 2*kcBlock + 8} // multiples of 8: a one-row x·Bᵀ reads B in place
	if testing.Short() {
		ms, ns, ks = []int{1, 2, 5, 7, 13}, []int{10, 5*nr + 3}, []int{7, kcBlock + 3, kcBlock + 8}
	}
	eps := []Epilogue{{}, {Act: ActSigmoid}, {Act: ActTanh}, {Act: ActReLU}}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, tr := range transposeCombos {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						for e, ep := range eps {
							perRow := e%2 == 1
							lda, ldb, ldc := k+1, n+2, n+3*(k%2) // C's rows contiguous or not
							if tr[0] {
								lda = m + 1
							}
							if tr[1] {
								ldb = k + 2
							}
							ar, br := m, k
							if tr[0] {
								ar = k
							}
							if tr[1] {
								br = n
							}
							a, b := randSlice(rng, ar*lda), randSlice(rng, br*ldb)
							c0 := randSlice(rng, m*ldc)
							bias := randSlice(rng, n)
							if perRow {
								bias = randSlice(rng, m)
							}
							ep.Bias, ep.BiasPerRow = bias, perRow
							c := slices.Clone(c0)
							im.SgemmEpilogue(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, -1, c, ldc, ep)
							// rows [i0, i1) alone
							part := func(i0, i1 int) {
								ai := a[i0:] // op(A)'s rows are A's columns
								if !tr[0] {
									ai = a[i0*lda:]
								}
								pe := ep
								if perRow {
									pe.Bias = bias[i0:i1]
								}
								got := slices.Clone(c0[i0*ldc:])
								im.SgemmEpilogue(tr[0], tr[1], i1-i0, n, k, 0.5, ai, lda, b, ldb, -1, got, ldc, pe)
								if idx := firstDifference(got[:(i1-i0)*ldc], c[i0*ldc:i1*ldc]); idx >= 0 {
									t.Fatalf("trans=%v m=%d n=%d k=%d ep=%d: rows [%d,%d) alone differ at row %d col %d: %v, in the whole product %v",
										tr, m, n, k, e, i0, i1, i0+idx/ldc, idx%ldc, got[idx], c[i0*ldc+idx])
								}
							}
							for i := range m {
								part(i, i+1)
							}
							if m > 2 {
								part(1, m-1)
							}
						}
					}
				}
			}
		}
	})
}

// TestGrid checks grid's splits against the tiles each thread works
// through, on the shapes that need it (the seed workload's weight
// gradient, 33×49 tiles) and on others.
func TestGrid(t *testing.T) {
	cases := []struct{ tm, tn, chunks, threads, gm, gn int }{
		{33, 49, 16, 16, 3, 5}, // 11×10 tiles a thread, against 4 column tiles × 33 split by columns
		{33, 49, 2, 2, 1, 2},   // two threads: halves
		{1879, 13, 8, 2, 8, 1}, // long m: the most regions of the fewest tiles
		{1, 1, 4, 4, 1, 1},     // one tile
		{5, 3, 64, 16, 5, 3},   // fewer tiles than chunks: one region a tile
	}
	for _, c := range cases {
		gm, gn := grid(c.tm, c.tn, c.chunks, c.threads)
		if gm != c.gm || gn != c.gn {
			t.Errorf("grid(%d, %d, %d, %d) = %d×%d, want %d×%d", c.tm, c.tn, c.chunks, c.threads, gm, gn, c.gm, c.gn)
		}
	}
}

// TestSgemmShares checks that a product split among threads packs the
// operand its split does not divide once, in a kept buffer it then lets
// go of (share), where that pays, and not where the product is small.
func TestSgemmShares(t *testing.T) {
	setThreads(t, 3)
	kept := func() (n int) {
		sharedPacks.Lock()
		defer sharedPacks.Unlock()
		for _, p := range sharedPacks.free {
			if p.src != nil || p.side != 0 {
				t.Fatal("a kept shared packing still holds its source")
			}
			n = max(n, cap(p.buf))
		}
		return n
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, tc := range []struct {
			m, n, k int
			share   int // floats the shared packing needs at least; 0: none
		}{
			{40, 30, 20, 0},
			{197, 1000, 300, 198 * 300}, // split by columns: op(A) shared
			{1000, 37, 800, 48 * 800},   // split by rows: op(B) shared
		} {
			a := make([]float32, tc.m*tc.k)
			b := make([]float32, tc.k*tc.n)
			c := make([]float32, tc.m*tc.n)
			sharedPacks.Lock()
			sharedPacks.free = nil
			sharedPacks.Unlock()
			im.Sgemm(false, false, tc.m, tc.n, tc.k, 1, a, tc.k, b, tc.n, 0, c, tc.n)
			if got := kept(); tc.share == 0 && got != 0 || tc.share > 0 && got < tc.share {
				t.Errorf("%d×%d×%d: kept a shared packing of %d floats, want %d", tc.m, tc.n, tc.k, got, tc.share)
			}
		}
	})
}
