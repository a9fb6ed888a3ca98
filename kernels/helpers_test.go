package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Guard values. C's guard is an ordinary number, so that any stray write
// to it (even alpha*x + beta*guard) changes its bits. A's and B's guard is a
// NaN, so that a stray read of A or B poisons the result and fails the
// tolerance check; A and B must not be written at all.
var (
	guardC  = float32(12345)
	guardAB = math.Float32frombits(0x7fe5a5a5) // a quiet NaN with a payload
)

// guardLen is the number of guard elements before and after each matrix:
// more than a micro-tile row, so a stray vector store lands in it.
const guardLen = 4*nr + 3

// matrix is a rows×cols row-major matrix with leading dimension ld inside a
// larger buffer: guard elements before and after it and in the ld-cols
// padding at the end of each row.
type matrix struct {
	name           string
	buf            []float32
	off            int // index of element (0, 0) in buf
	rows, cols, ld int
}

// newMatrix returns a rows×cols matrix with ld = cols+pad (at least 1),
// guard everywhere outside it and elements from val.
func newMatrix(name string, rows, cols, pad int, guard float32, val func() float32) *matrix {
	x := &matrix{name: name, off: guardLen, rows: rows, cols: cols, ld: max(1, cols+pad)}
	x.buf = make([]float32, guardLen+x.size()+guardLen)
	for i := range x.buf {
		x.buf[i] = guard
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			x.buf[x.off+i*x.ld+j] = val()
		}
	}
	return x
}

// size is the length a slice needs to hold the matrix: (rows-1)*ld + cols.
func (x *matrix) size() int {
	if x.rows == 0 || x.cols == 0 {
		return 0
	}
	return (x.rows-1)*x.ld + x.cols
}

// arg is the matrix as Sgemm takes it. A tight slice ends at the last
// element (its capacity runs on into the guard, so that stray writes land
// there); a view runs on to the end of the buffer, like a sub-matrix of a
// larger matrix.
func (x *matrix) arg(view bool) []float32 {
	if view {
		return x.buf[x.off:]
	}
	return x.buf[x.off : x.off+x.size()]
}

func (x *matrix) at(i, j int) float32 { return x.buf[x.off+i*x.ld+j] }

func (x *matrix) clone() []float32 { return append([]float32(nil), x.buf...) }

// copy returns a copy of x in a buffer of its own.
func (x *matrix) copy() *matrix {
	y := *x
	y.buf = x.clone()
	return &y
}

// element reports whether buf[idx] is an element of the matrix, and which.
func (x *matrix) element(idx int) (i, j int, ok bool) {
	rel := idx - x.off
	if rel < 0 || rel >= x.size() {
		return 0, 0, false
	}
	i, j = rel/x.ld, rel%x.ld
	return i, j, j < x.cols
}

// where describes the position of buf[idx] relative to the matrix.
func (x *matrix) where(idx int) string {
	rel := idx - x.off
	switch {
	case rel < 0:
		return fmt.Sprintf("guard before %s at %d", x.name, rel)
	case rel >= x.size():
		return fmt.Sprintf("guard after %s at +%d", x.name, rel-x.size())
	}
	i, j := rel/x.ld, rel%x.ld
	if j >= x.cols {
		return fmt.Sprintf("padding of %s row %d, column %d (ld %d)", x.name, i, j, x.ld)
	}
	return fmt.Sprintf("%s[%d,%d]", x.name, i, j)
}

// checkGuards returns an error for the first element outside the matrix
// whose bits differ from before.
func (x *matrix) checkGuards(before []float32) error {
	for idx, v := range x.buf {
		if _, _, ok := x.element(idx); ok {
			continue
		}
		if math.Float32bits(v) != math.Float32bits(before[idx]) {
			return fmt.Errorf("%s overwritten: %v, was %v", x.where(idx), v, before[idx])
		}
	}
	return nil
}

// checkUnchanged returns an error for the first element of the buffer,
// matrix or guard, whose bits differ from before.
func (x *matrix) checkUnchanged(before []float32) error {
	for idx, v := range x.buf {
		if math.Float32bits(v) != math.Float32bits(before[idx]) {
			return fmt.Errorf("%s written: %v, was %v", x.where(idx), v, before[idx])
		}
	}
	return nil
}

// gemmCase is one Sgemm call to check.
type gemmCase struct {
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int  // leading dimension minus row length
	view             bool // pass slices that run on past the matrices
	exact            bool // small-integer data: the result must be exact
	special          bool // C holds NaN and ±Inf (when its values must not matter)
	seed             uint64
	data             []byte // when not nil, the values come from these bytes (fuzzing)
}

func (tc gemmCase) String() string {
	s := fmt.Sprintf("transA=%t transB=%t m=%d n=%d k=%d alpha=%v beta=%v pad=%d/%d/%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
	if tc.view {
		s += " view"
	}
	if tc.exact {
		s += " exact"
	}
	if tc.special {
		s += " special"
	}
	return s
}

// quick reports whether Sgemm only scales C by beta (BLAS's quick return).
func (tc gemmCase) quick() bool { return tc.alpha == 0 || tc.k == 0 }

// operands builds A, B and C for tc, with guards.
func (tc gemmCase) operands() (a, b, c *matrix) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = ac, ar
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = bc, br
	}
	rng := rand.New(rand.NewPCG(tc.seed, uint64(tc.m)<<42|uint64(tc.n)<<21|uint64(tc.k)))
	var ab, cv func() float32
	switch {
	case tc.data != nil:
		i := 0
		next := func() int8 {
			if len(tc.data) == 0 {
				return int8(rng.Uint32())
			}
			v := tc.data[i%len(tc.data)] + byte(i/len(tc.data)*37)
			i++
			return int8(v)
		}
		ab = func() float32 { return float32(next()) / 16 }
		cv = func() float32 { return float32(next()) / 8 }
	case tc.exact:
		// |products| ≤ 16 and |sums| ≤ 16k stay far below 2^24, and alpha
		// and beta are 0, ±1 or 0.5: every operation is exact.
		ab = func() float32 { return float32(rng.IntN(9) - 4) }
		cv = func() float32 { return float32(rng.IntN(33)-16) / 2 }
	default:
		ab = func() float32 { return rng.Float32()*2 - 1 }
		cv = ab
	}
	if tc.special {
		specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
			math.Float32frombits(0x7f812345), math.Float32frombits(0xffc00001)}
		cv = func() float32 { return specials[rng.IntN(len(specials))] }
	}
	a = newMatrix("a", ar, ac, tc.padA, guardAB, ab)
	b = newMatrix("b", br, bc, tc.padB, guardAB, ab)
	c = newMatrix("c", tc.m, tc.n, tc.padC, guardC, cv)
	return a, b, c
}

// call runs im.Sgemm on the operands.
func (tc gemmCase) call(im *Impl, a, b, c *matrix) {
	im.Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.arg(tc.view), a.ld,
		b.arg(tc.view), b.ld, tc.beta, c.arg(tc.view), c.ld)
}

// run builds the operands, runs im.Sgemm and checks everything: A and B
// unchanged, C's guards untouched, C's elements right. It returns C.
func (tc gemmCase) run(im *Impl) (*matrix, error) {
	a, b, c := tc.operands()
	a0, b0, c0 := a.clone(), b.clone(), c.clone()
	tc.call(im, a, b, c)
	if err := a.checkUnchanged(a0); err != nil {
		return c, err
	}
	if err := b.checkUnchanged(b0); err != nil {
		return c, err
	}
	if err := c.checkGuards(c0); err != nil {
		return c, err
	}
	return c, tc.checkResult(a, b, c0, c)
}

// checkResult compares C with the reference computed from A, B and C's old
// buffer c0 and returns an error for the first wrong element.
func (tc gemmCase) checkResult(a, b *matrix, c0 []float32, c *matrix) error {
	want, tol := tc.reference(a, b, c0, c)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			e := i*tc.n + j
			if err := tc.checkElement(c.at(i, j), want[e], tol[e]); err != nil {
				return fmt.Errorf("c[%d,%d] = %v", i, j, err)
			}
		}
	}
	return nil
}

// checkElement returns an error unless got matches the reference value
// want within tol. The quick path (alpha == 0 or k == 0) must give exactly
// float32(beta*c0), and zeros for beta == 0 even over NaN; exact cases
// (tol == 0) must be exact.
func (tc gemmCase) checkElement(got float32, want, tol float64) error {
	if tc.quick() {
		if !sameFloat(got, float32(want)) {
			return fmt.Errorf("%v, want beta*c = %v", got, float32(want))
		}
		return nil
	}
	if diff := math.Abs(float64(got) - want); !(diff <= tol) {
		return fmt.Errorf("%v, want %v (error %.3g, tolerance %.3g)", got, want, diff, tol)
	}
	return nil
}

// reference returns, for each element of C (row-major, m×n), its value
// alpha*op(A)*op(B) + beta*C0 in float64 and the tolerance of a float32
// computation, errorBound (0 for exact cases). beta == 0 ignores C0, which
// may hold NaN. On the quick path want is float32(beta*C0) exactly, as
// BLAS computes it.
func (tc gemmCase) reference(a, b *matrix, c0 []float32, c *matrix) (want, tol []float64) {
	want = make([]float64, tc.m*tc.n)
	tol = make([]float64, tc.m*tc.n)
	old := func(i, j int) float32 { return c0[c.off+i*c.ld+j] }
	if tc.quick() {
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				w := tc.beta * old(i, j)
				switch tc.beta {
				case 0:
					w = 0
				case 1:
					w = old(i, j)
				}
				want[i*tc.n+j] = float64(w)
			}
		}
		return want, tol
	}
	// op(A) by rows and op(B) by columns, in float64, so that the dot
	// products below run over contiguous memory.
	opA := make([]float64, tc.m*tc.k)
	opBT := make([]float64, tc.n*tc.k)
	for p := 0; p < tc.k; p++ {
		for i := 0; i < tc.m; i++ {
			if tc.transA {
				opA[i*tc.k+p] = float64(a.at(p, i))
			} else {
				opA[i*tc.k+p] = float64(a.at(i, p))
			}
		}
		for j := 0; j < tc.n; j++ {
			if tc.transB {
				opBT[j*tc.k+p] = float64(b.at(j, p))
			} else {
				opBT[j*tc.k+p] = float64(b.at(p, j))
			}
		}
	}
	alpha, beta := float64(tc.alpha), float64(tc.beta)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var sum, mag float64
			ar, br := opA[i*tc.k:(i+1)*tc.k], opBT[j*tc.k:(j+1)*tc.k]
			for p, x := range ar {
				x *= br[p]
				sum += x
				mag += math.Abs(x)
			}
			w := alpha * sum
			mag *= math.Abs(alpha)
			if beta != 0 {
				w += beta * float64(old(i, j))
				mag += math.Abs(beta * float64(old(i, j)))
			}
			want[i*tc.n+j] = w
			if !tc.exact {
				tol[i*tc.n+j] = errorBound(tc.k, mag)
			}
		}
	}
	return want, tol
}

// errorBound bounds |computed - exact| for one element of C that float32
// arithmetic computes from products whose absolute values, with the
// beta*C term, add up to mag. A product in a KC block of kb terms passes
// through at most kb roundings in the block's accumulator, one for the
// product, one for alpha and one for each of the B blocks added into C;
// as kb + B ≤ k + 1, that is fewer than n = k + 4 roundings whatever the
// blocking, the summation order or the use of FMA, and γ_n = nu/(1-nu) ≤
// 2nu. The bound therefore cannot be flaky, yet for k in the hundreds it
// stays far below a wrong or missing product of typical size.
func errorBound(k int, mag float64) float64 {
	const u = 1.0 / (1 << 24) // unit roundoff of float32
	return 2*u*float64(k+4)*mag + 1e-35
}

// sameBits reports whether a and b hold the same bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// sameFloat reports whether x and y are equal or both NaN.
func sameFloat(x, y float32) bool {
	return x == y || x != x && y != y
}

// scalars are the values of alpha and beta every test goes through.
var scalars = []float32{0, 1, -1, 0.5}

// transposeCombos are the four (transA, transB) combinations.
var transposeCombos = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// vary sets the free parameters of tc from rng: alpha, beta, padding,
// views and kind of data. C holds NaN and ±Inf whenever beta == 0 (they
// must not leak into the result), and sometimes on the quick path.
func vary(rng *rand.Rand, tc gemmCase) gemmCase {
	pads := []int{0, 0, 1, 3, nr + 1}
	tc.alpha = scalars[rng.IntN(len(scalars))]
	tc.beta = scalars[rng.IntN(len(scalars))]
	tc.padA = pads[rng.IntN(len(pads))]
	tc.padB = pads[rng.IntN(len(pads))]
	tc.padC = pads[rng.IntN(len(pads))]
	tc.view = rng.IntN(3) == 0
	tc.exact = rng.IntN(4) == 0
	tc.special = tc.beta == 0 || tc.quick() && rng.IntN(2) == 0
	tc.seed = rng.Uint64()
	return tc
}

// maxFailures is how many failing cases a test reports before it stops.
const maxFailures = 10

// runCases runs every case on im and reports the failures.
func runCases(t *testing.T, im *Impl, cases []gemmCase) {
	t.Helper()
	failures := 0
	for _, tc := range cases {
		if _, err := tc.run(im); err != nil {
			t.Errorf("%v: %v", tc, err)
			if failures++; failures == maxFailures {
				t.Fatalf("stopping after %d failures", failures)
			}
		}
	}
}

// forEachImpl runs f in one subtest per implementation available on this
// machine, named impl=NAME.
func forEachImpl(t *testing.T, f func(t *testing.T, im *Impl)) {
	t.Helper()
	for _, im := range Impls() {
		t.Run("impl="+im.Name(), func(t *testing.T) { f(t, im) })
	}
}

// implNamed returns the available implementation called name, or nil.
func implNamed(name string) *Impl {
	for _, im := range Impls() {
		if im.Name() == name {
			return im
		}
	}
	return nil
}

// setThreads sets the kernels' thread count until the test ends.
func setThreads(t testing.TB, n int) {
	prev := SetThreads(n)
	t.Cleanup(func() { SetThreads(prev) })
}

// restoreDefault makes the test restore the default implementation when it
// ends.
func restoreDefault(t testing.TB) {
	prev := Default()
	t.Cleanup(func() {
		if err := Use(prev.Name()); err != nil {
			t.Errorf("restoring the default implementation: %v", err)
		}
	})
}

// panicMessage runs f and returns the message it panicked with, or "" and
// false when it did not panic.
func panicMessage(f func()) (msg string, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			switch r := r.(type) {
			case string:
				msg = r
			case error:
				msg = r.Error()
			default:
				msg = fmt.Sprint(r)
			}
		}
	}()
	f()
	return "", false
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// panicCase is a call that must panic with a message that starts
// "kernels: " and contains every one of want.
type panicCase struct {
	f    func()
	want []string
}

// wantPanics runs every case and reports those that do not panic as they
// should.
func wantPanics(t *testing.T, cases []panicCase) {
	t.Helper()
	for i, c := range cases {
		msg, ok := panicMessage(c.f)
		if !ok || !strings.HasPrefix(msg, "kernels: ") || !containsAll(msg, c.want...) {
			t.Errorf("case %d: panic %q (panicked %t), want one containing %q", i, msg, ok, c.want)
		}
	}
}

// fuzzFloats runs check on the fuzz bytes as float32 bit patterns, four
// bytes (little-endian) each, with the assembly implementation; it skips
// where there is none.
func fuzzFloats(f *testing.F, check func(t *testing.T, asm *Impl, x []float32, data []byte)) {
	f.Add([]byte{0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f, 0x12, 0x34, 0x56, 0x78})
	f.Add(make([]byte, 4*33))
	asm := implNamed("avx2")
	f.Fuzz(func(t *testing.T, data []byte) {
		if asm == nil {
			t.Skip("no assembly on this machine")
		}
		x := make([]float32, len(data)/4)
		for i := range x {
			x[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		check(t, asm, x, data)
	})
}
