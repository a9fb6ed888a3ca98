package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// csr is a random sparse matrix and its dense form.
type csr struct {
	m, k  int
	offs  []int
	cols  []int32
	vals  []float32
	dense []float64 // m×k
}

// randomCSR draws an m×k matrix with each element nonzero with
// probability density, rows i%5 == 3 empty, columns j%7 == 2 zero, and
// offsets starting at base (the arrays have base unused elements first).
func randomCSR(rng *rand.Rand, m, k int, density float64, base int) csr {
	s := csr{m: m, k: k, dense: make([]float64, m*k)}
	s.cols = make([]int32, base)
	s.vals = make([]float32, base)
	s.offs = append(s.offs, base)
	for i := range m {
		for j := range k {
			if i%5 == 3 || j%7 == 2 || rng.Float64() >= density {
				continue
			}
			v := float32(rng.NormFloat64())
			s.cols = append(s.cols, int32(j))
			s.vals = append(s.vals, v)
			s.dense[i*k+j] = float64(v)
		}
		s.offs = append(s.offs, len(s.cols))
	}
	return s
}

// transposed returns Sᵀ (k×m) in CSR form, its columns increasing.
func (s csr) transposed() csr {
	t := csr{m: s.k, k: s.m, offs: []int{0}, dense: make([]float64, s.m*s.k)}
	for j := range s.k {
		for i := range s.m {
			if v := s.dense[i*s.k+j]; v != 0 {
				t.cols = append(t.cols, int32(i))
				t.vals = append(t.vals, float32(v))
				t.dense[j*s.m+i] = v
			}
		}
		t.offs = append(t.offs, len(t.cols))
	}
	return t
}

// sparseCase is one product: S m×k, B k×n, C m×n (or n×m when trans).
type sparseCase struct {
	m, n, k        int
	density        float64
	alpha, beta    float32
	trans          bool
	ep             Epilogue
	ldbPad, ldcPad int
	prep           int // 0: CSR; 1: PrepareSparse in order, 2 clustered, and SparseAMM (SparseATMMTrans of Sᵀ)
}

func (tc sparseCase) String() string {
	return fmt.Sprintf("m=%d,n=%d,k=%d,density=%g,alpha=%g,beta=%g,trans=%t,act=%v,bias=%t,pad=%d/%d,prep=%d",
		tc.m, tc.n, tc.k, tc.density, tc.alpha, tc.beta, tc.trans, tc.ep.Act, tc.ep.Bias != nil, tc.ldbPad, tc.ldcPad, tc.prep)
}

// run computes tc on im and checks it against a float64 reference, with
// guard bands around C; it returns C.
func (tc sparseCase) run(t *testing.T, im *Impl, rng *rand.Rand) []float32 {
	t.Helper()
	s := randomCSR(rng, tc.m, tc.k, tc.density, 3)
	ldb := max(1, tc.n+tc.ldbPad)
	b := make([]float32, max(0, (tc.k-1)*ldb+tc.n))
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	cr, cc := tc.m, tc.n
	if tc.trans {
		cr, cc = tc.n, tc.m
	}
	ldc := max(1, cc+tc.ldcPad)
	const guard = 16
	const gv = float32(-77.5)
	buf := make([]float32, guard+max(0, (cr-1)*ldc+cc)+guard)
	for i := range buf {
		buf[i] = gv
	}
	c := buf[guard : len(buf)-guard]
	c0 := make([]float32, len(c))
	for r := range cr {
		for j := range cc {
			c[r*ldc+j] = float32(rng.NormFloat64())
		}
	}
	copy(c0, c)
	var a *SparseA
	switch {
	case tc.prep > 0 && tc.trans: // (S·B)ᵀ = Bᵀ·Sᵀ, SparseATMMTrans of Sᵀ prepared
		st := s.transposed()
		a = PrepareSparse(nil, tc.k, tc.m, st.offs, st.cols, st.vals, tc.prep == 2)
	case tc.prep > 0:
		a = PrepareSparse(nil, tc.m, tc.k, s.offs, s.cols, s.vals, tc.prep == 2)
	}
	switch {
	case tc.prep > 0 && tc.trans:
		im.SparseATMMTrans(tc.n, tc.alpha, a, b, ldb, tc.beta, c, ldc)
	case tc.prep > 0:
		im.SparseAMM(tc.n, tc.alpha, a, b, ldb, tc.beta, c, ldc, tc.ep)
	case tc.trans:
		im.SparseMMTrans(tc.m, tc.n, tc.k, tc.alpha, s.offs, s.cols, s.vals, b, ldb, tc.beta, c, ldc)
	default:
		im.SparseMM(tc.m, tc.n, tc.k, tc.alpha, s.offs, s.cols, s.vals, b, ldb, tc.beta, c, ldc, tc.ep)
	}
	for i := range guard {
		if buf[i] != gv || buf[len(buf)-1-i] != gv {
			t.Fatalf("%v: wrote outside C", tc)
		}
	}
	for i := range tc.m {
		for j := range tc.n {
			var sum, mag float64
			for p := range tc.k {
				sum += s.dense[i*tc.k+p] * float64(b[p*ldb+j])
				mag += math.Abs(s.dense[i*tc.k+p] * float64(b[p*ldb+j]))
			}
			at := i*ldc + j
			if tc.trans {
				at = j*ldc + i
			}
			want := float64(tc.alpha)*sum + float64(tc.beta)*float64(c0[at])
			switch {
			case tc.ep.Bias != nil && tc.ep.BiasPerRow:
				want += float64(tc.ep.Bias[i])
			case tc.ep.Bias != nil:
				want += float64(tc.ep.Bias[j])
			}
			switch tc.ep.Act {
			case ActSigmoid:
				want = 1 / (1 + math.Exp(-want))
			case ActTanh:
				want = math.Tanh(want)
			case ActReLU:
				want = math.Max(want, 0)
			}
			tol := 1e-5 * (1 + math.Abs(float64(tc.alpha))*mag + math.Abs(float64(tc.beta)*float64(c0[at])))
			if got := float64(c[at]); math.Abs(got-want) > tol {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (±%g)", tc, i, j, got, want, tol)
			}
		}
	}
	// Padding between rows of C is untouched.
	for r := range cr {
		for j := cc; j < ldc && r*ldc+j < len(c); j++ {
			if c[r*ldc+j] != c0[r*ldc+j] {
				t.Fatalf("%v: wrote C's padding at row %d, column %d", tc, r, j)
			}
		}
	}
	return c
}

// TestSparseMM checks both sparse products against a float64 reference on
// every implementation: densities from 0 to 1, empty rows and zero
// columns, widths around each block of the assembly, padded strides,
// alpha, beta and the epilogue.
func TestSparseMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	widths := []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 95, 96, 97, 100, 103, 104, 108, 111, 196, 200, 256}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for prep := range 3 {
			for _, d := range []float64{0, 0.001, 0.05, 0.2, 0.5, 1} {
				for _, n := range widths {
					tc := sparseCase{m: 1 + rng.IntN(40), n: n, k: 1 + rng.IntN(60), density: d, alpha: 1, prep: prep}
					tc.run(t, im, rng)
					tc.trans = true
					tc.run(t, im, rng)
				}
			}
		}
		bias := make([]float32, 200)
		for i := range bias {
			bias[i] = float32(i%9) - 4
		}
		for _, tc := range []sparseCase{
			{m: 13, n: 100, k: 30, density: 0.3, alpha: 0.5, beta: 1, ldbPad: 3, ldcPad: 5},
			{m: 13, n: 100, k: 30, density: 0.3, alpha: -2, beta: 0.25, ldbPad: 1, ldcPad: 2, trans: true},
			{m: 70, n: 196, k: 50, density: 0.2, alpha: 1, ep: Epilogue{Bias: bias[:196], Act: ActSigmoid}},
			{m: 150, n: 196, k: 500, density: 0.2, alpha: 0.5, beta: 0.5, ep: Epilogue{Bias: bias[:196], Act: ActSigmoid}},
			{m: 150, n: 100, k: 500, density: 0.3, alpha: 1, beta: 1, trans: true},
			{m: 3, n: 9, k: 1000, density: 0.02, alpha: 1},
			{m: 9, n: 17, k: 5, density: 0.6, alpha: 1, beta: 1, ep: Epilogue{Bias: bias[:17], Act: ActReLU}, ldcPad: 1},
			{m: 9, n: 17, k: 5, density: 0.6, alpha: 0, beta: 0.5, ep: Epilogue{Act: ActSigmoid}},
			{m: 9, n: 17, k: 5, density: 0.6, alpha: 0, beta: 2, trans: true},
			{m: 0, n: 5, k: 3, density: 1, alpha: 1},
			{m: 0, n: 5, k: 3, density: 1, alpha: 1, beta: 2, trans: true},
			{m: 8, n: 5, k: 0, density: 1, alpha: 1, beta: 0.5, trans: true},
			{m: 8, n: 5, k: 7, density: 1, alpha: 0, beta: 0.5, trans: true},
			{m: 4, n: 5, k: 0, density: 1, alpha: 1, beta: 1},
			{m: 64, n: 53, k: 2500, density: 0.4, alpha: 1, beta: 0.5, ldbPad: 2, ldcPad: 1},
			{m: 66, n: 41, k: 2100, density: 0.3, alpha: 2, beta: 1, trans: true},
			{m: 31, n: 196, k: 1100, density: 0.15, alpha: 1},
			{m: 37, n: 45, k: 60, density: 0.4, alpha: 1, beta: 0.5, ep: Epilogue{Bias: bias[:37], BiasPerRow: true, Act: ActReLU}},
			{m: 41, n: 3, k: 20, density: 0.5, alpha: 2, ep: Epilogue{Bias: bias[:41], BiasPerRow: true, Act: ActSigmoid}},
			{m: 40, n: 20, k: 30, density: 0.5, alpha: 1, ep: Epilogue{Bias: bias[:20], Act: ActTanh}},
		} {
			for tc.prep = range 3 {
				tc.run(t, im, rng)
			}
		}
	})
}

// TestSparseMMThreads checks that the sparse products give the same bits
// on any number of threads, with enough work to split: in whole chunks of
// rows, and, for 100 rows (two chunks) on more threads than that, in
// smaller tasks.
func TestSparseMMThreads(t *testing.T) {
	for _, m := range []int{500, 100} {
		s := randomCSR(rand.New(rand.NewPCG(5, uint64(m))), m, 300, 0.2, 0)
		b := make([]float32, 300*196)
		for i := range b {
			b[i] = float32(i%13) - 6
		}
		a := PrepareSparse(nil, m, 300, s.offs, s.cols, s.vals, true)
		st := s.transposed()
		at := PrepareSparse(nil, 300, m, st.offs, st.cols, st.vals, false)
		var ref [4][]float32
		for _, threads := range threadCounts {
			setThreads(t, threads)
			var got [4][]float32
			for i := range got {
				got[i] = make([]float32, m*196)
			}
			SparseMM(m, 196, 300, 1, s.offs, s.cols, s.vals, b, 196, 0, got[0], 196, Epilogue{Act: ActTanh})
			SparseMMTrans(m, 196, 300, 1, s.offs, s.cols, s.vals, b, 196, 0, got[1], m)
			SparseAMM(196, 1, a, b, 196, 0, got[2], 196, Epilogue{Act: ActTanh})
			SparseATMMTrans(196, 1, at, b, 196, 0, got[3], m)
			if ref[0] == nil {
				ref = got
				continue
			}
			for i := range got {
				if !sameBits(got[i], ref[i]) {
					t.Fatalf("m=%d threads=%d: product %d differs from threads=%d", m, threads, i, threadCounts[0])
				}
			}
		}
	}
}

// TestSparseAMMEpilogue checks that the grouped kernels' epilogue, applied
// in registers (sigmoid and ReLU, a bias per row or per column) or after
// them row by row (tanh), gives the bits of the product without it
// followed by the implementation's row pass (sigmoid within 1e-6), on
// every column block of the grouped kernels and its partial vectors.
func TestSparseAMMEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	const m, k = 40, 30
	s := randomCSR(rng, m, k, 0.6, 0)
	a := PrepareSparse(nil, m, k, s.offs, s.cols, s.vals, true)
	if rows, _ := a.Grouped(); rows < m/2 {
		t.Fatalf("%v: want most rows grouped", a)
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, n := range []int{1, 4, 8, 9, 16, 23, 24, 25, 47, 52, 70} {
			b := randSlice(rng, k*n)
			for i := range b {
				b[i] *= 2 // sums of a few units: both branches of sigmoid and tanh
			}
			for _, act := range []Activation{ActIdentity, ActSigmoid, ActTanh, ActReLU} {
				for bias := range 3 {
					ep := Epilogue{Act: act}
					switch bias {
					case 1:
						ep.Bias = randSlice(rng, n)
					case 2:
						ep.Bias, ep.BiasPerRow = randSlice(rng, m), true
					}
					beta := float32(bias) / 2
					c0 := randSlice(rng, m*n)
					got, want := slices.Clone(c0), slices.Clone(c0)
					im.SparseAMM(n, 1.5, a, b, n, beta, got, n, ep)
					im.SparseAMM(n, 1.5, a, b, n, beta, want, n, Epilogue{})
					im.finishPart(&ep, want, n, 0, m, 0, n)
					if act != ActSigmoid && !sameBits(got, want) {
						t.Fatalf("n=%d act=%v bias=%d: fused epilogue differs from the row pass", n, act, bias)
					}
					// The row pass takes a row's last n%8 elements with the
					// scalar twin, a bit or two from the vector form.
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); d > 1e-6 || math.IsNaN(d) {
							t.Fatalf("n=%d act=%v bias=%d: C[%d] = %v fused, %v row pass", n, act, bias, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestSparseMMPanics checks the argument errors, malformed CSR included.
func TestSparseMMPanics(t *testing.T) {
	b := make([]float32, 12)
	c := make([]float32, 12)
	good := func(offs []int, cols []int32, vals []float32) func() {
		return func() { SparseMM(2, 4, 3, 1, offs, cols, vals, b, 4, 0, c, 4, Epilogue{}) }
	}
	wantPanics(t, []panicCase{
		{good([]int{0, 1}, []int32{0}, []float32{1}), []string{"len(offs) = 2, need m+1 = 3"}},
		{good([]int{0, 1, 2}, []int32{0, 1}, []float32{1}), []string{"len(cols) = 2 and len(vals) = 1 differ"}},
		{good([]int{0, 2, 1}, []int32{0, 1}, []float32{1, 2}), []string{"offs[2] = 1 < offs[1] = 2"}},
		{good([]int{-1, 0, 1}, []int32{0, 1}, []float32{1, 2}), []string{"offs[0] = -1"}},
		{good([]int{0, 1, 3}, []int32{0, 1}, []float32{1, 2}), []string{"offs[m] = 3, more than len(cols) = 2"}},
		{good([]int{0, 1, 2}, []int32{0, 3}, []float32{1, 2}), []string{"cols[1] = 3, need 0 <= col < k = 3"}},
		{good([]int{0, 1, 2}, []int32{-1, 0}, []float32{1, 2}), []string{"cols[0] = -1"}},
		{func() { SparseMM(2, 4, 3, 1, []int{0, 0, 0}, nil, nil, b[:11], 4, 0, c, 4, Epilogue{}) }, []string{"len(b) = 11"}},
		{func() { SparseMMTrans(2, 4, 3, 1, []int{0, 0, 0}, nil, nil, b, 4, 0, c[:7], 2) }, []string{"len(c) = 7"}},
		{func() { SparseMM(-1, 4, 3, 1, []int{0}, nil, nil, b, 4, 0, c, 4, Epilogue{}) }, []string{"m = -1"}},
	})
	// The column check in each implementation's kernel, unblocked (k = 3)
	// and in blocks of sparseKBlock columns (k = 100): a column past k in
	// the last block, and ones past every block.
	for _, im := range Impls() {
		for _, kc := range [][2]int{{3, 7}, {100, 120}, {100, 150}, {100, 1000}} {
			k, bad := kc[0], kc[1]
			for _, n := range []int{4, 8, 20, 100} {
				bb := make([]float32, k*n)
				cc := make([]float32, 2*n)
				want := fmt.Sprintf("cols[2] = %d", bad)
				if msg, ok := panicMessage(func() {
					im.SparseMM(2, n, k, 1, []int{0, 1, 3}, []int32{2, 0, int32(bad)}, []float32{1, 2, 3}, bb, n, 0, cc, n, Epilogue{})
				}); !ok || !containsAll(msg, want) {
					t.Errorf("%s, n=%d: column %d of %d: panic %q (%t)", im.Name(), n, bad, k, msg, ok)
				}
			}
		}
	}
}

// TestPrepareSparsePanics checks PrepareSparse's argument errors and the
// prepared products' own.
func TestPrepareSparsePanics(t *testing.T) {
	b := make([]float32, 12)
	c := make([]float32, 12)
	prep := func(offs []int, cols []int32, vals []float32) func() {
		return func() { PrepareSparse(nil, 2, 3, offs, cols, vals, true) }
	}
	a := PrepareSparse(nil, 2, 3, []int{0, 1, 2}, []int32{0, 2}, []float32{1, 2}, false)
	wantPanics(t, []panicCase{
		{prep([]int{0, 1}, []int32{0}, []float32{1}), []string{"len(offs) = 2, need m+1 = 3"}},
		{prep([]int{0, 1, 2}, []int32{0, 1}, []float32{1}), []string{"len(cols) = 2 and len(vals) = 1 differ"}},
		{prep([]int{0, 2, 1}, []int32{0, 1}, []float32{1, 2}), []string{"offs[2] = 1 < offs[1] = 2"}},
		{prep([]int{0, 1, 3}, []int32{0, 1}, []float32{1, 2}), []string{"offs[m] = 3, more than len(cols) = 2"}},
		{prep([]int{0, 1, 2}, []int32{0, 3}, []float32{1, 2}), []string{"cols[1] = 3, need 0 <= col < k = 3"}},
		{prep([]int{0, 1, 2}, []int32{-1, 0}, []float32{1, 2}), []string{"cols[0] = -1"}},
		{func() { PrepareSparse(nil, -1, 3, []int{0}, nil, nil, false) }, []string{"m = -1"}},
		{func() { SparseAMM(4, 1, &SparseA{}, b, 4, 0, c, 4, Epilogue{}) }, []string{"a is not prepared"}},
		{func() { SparseATMMTrans(4, 1, nil, b, 4, 0, c, 4) }, []string{"a is not prepared"}},
		{func() { SparseAMM(4, 1, a, b[:11], 4, 0, c, 4, Epilogue{}) }, []string{"len(b) = 11"}},
		{func() { SparseAMM(4, 1, a, b, 4, 0, c[:7], 4, Epilogue{}) }, []string{"len(c) = 7"}},
		{func() { SparseAMM(-1, 1, a, b, 4, 0, c, 4, Epilogue{}) }, []string{"n = -1"}},
		{func() { SparseATMMTrans(4, 1, a, b[:7], 4, 0, c, 3) }, []string{"len(b) = 7"}},
		{func() { SparseATMMTrans(4, 1, a, b, 4, 0, c[:11], 3) }, []string{"len(c) = 11"}},
		{func() { ClusterOrder(nil, 2, 3, []int{0, 1}, []int32{0}) }, []string{"len(offs) = 2, need m+1 = 3"}},
		{func() { ClusterOrder(nil, 2, 3, []int{0, 2, 1}, []int32{0, 1}) }, []string{"offs[2] = 1 < offs[1] = 2"}},
		{func() { ClusterOrder(nil, 2, 3, []int{0, 1, 3}, []int32{0, 1}) }, []string{"offs[m] = 3, more than len(cols) = 2"}},
		{func() { ClusterOrder(nil, 2, 3, []int{0, 1, 2}, []int32{0, 3}) }, []string{"cols[1] = 3, need 0 <= col < k = 3"}},
		{func() { ClusterOrder(nil, 2, -3, []int{0, 1, 2}, []int32{0, 3}) }, []string{"k = -3"}},
	})
}

// TestClusterOrder checks that ClusterOrder gives the rows in the order
// PrepareSparse with cluster puts them (a permutation of all of S's rows),
// and that S's rows taken in that order and prepared without clustering
// make the same groups, their rows in order, and the same products.
func TestClusterOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, sh := range []struct {
		m, k    int
		density float64
	}{{0, 5, 0.5}, {1, 5, 0.5}, {7, 30, 0.3}, {64, 100, 0.2}, {301, 200, 0.1}, {100, 700, 0.02}} {
		s := randomCSR(rng, sh.m, sh.k, sh.density, 2)
		order := ClusterOrder(make([]int32, 3), sh.m, sh.k, s.offs, s.cols)
		a := PrepareSparse(nil, sh.m, sh.k, s.offs, s.cols, s.vals, true)
		if len(order) != sh.m || !slices.Equal(order, a.rows[:sh.m]) {
			t.Fatalf("%d×%d: ClusterOrder %v, PrepareSparse's rows %v", sh.m, sh.k, order, a.rows[:sh.m])
		}
		seen := make([]bool, sh.m)
		for _, r := range order {
			if seen[r] {
				t.Fatalf("%d×%d: row %d twice in %v", sh.m, sh.k, r, order)
			}
			seen[r] = true
		}
		// S's rows in that order.
		p := csr{m: sh.m, k: sh.k, offs: []int{0}}
		for _, r := range order {
			p.cols = append(p.cols, s.cols[s.offs[r]:s.offs[r+1]]...)
			p.vals = append(p.vals, s.vals[s.offs[r]:s.offs[r+1]]...)
			p.offs = append(p.offs, len(p.cols))
		}
		q := PrepareSparse(nil, sh.m, sh.k, p.offs, p.cols, p.vals, false)
		if !slices.Equal(q.first, a.first) || !slices.Equal(q.gcols, a.gcols) || !slices.Equal(q.gvals, a.gvals) || !slices.Equal(q.goffs, a.goffs) {
			t.Fatalf("%d×%d: the reordered rows prepared in order make other groups than clustering: %v, %v", sh.m, sh.k, q, a)
		}
		for i := range sh.m {
			if q.rows[i] != int32(i) {
				t.Fatalf("%d×%d: slot %d holds row %d, want it in order", sh.m, sh.k, i, q.rows[i])
			}
		}
		n := 19
		b := make([]float32, sh.k*n)
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		c, cq := make([]float32, sh.m*n), make([]float32, sh.m*n)
		SparseAMM(n, 1, a, b, n, 0, c, n, Epilogue{})
		SparseAMM(n, 1, q, b, n, 0, cq, n, Epilogue{})
		for i, r := range order {
			if !sameBits(cq[i*n:(i+1)*n], c[int(r)*n:(int(r)+1)*n]) {
				t.Fatalf("%d×%d: row %d of the reordered product differs from row %d of the clustered one", sh.m, sh.k, i, r)
			}
		}
	}
}

// TestPrepareSparseBadLeavesA checks that a PrepareSparse that panics
// leaves its SparseA as it was: its products still those of the matrix it
// held.
func TestPrepareSparseBadLeavesA(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := randomCSR(rng, 40, 300, 0.4, 0)
	a := PrepareSparse(nil, 40, 300, s.offs, s.cols, s.vals, true)
	b := make([]float32, 300*9)
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	c1, c2 := make([]float32, 40*9), make([]float32, 40*9)
	SparseAMM(9, 1, a, b, 9, 0, c1, 9, Epilogue{})
	if _, ok := panicMessage(func() { PrepareSparse(a, 2, 3, []int{0, 1, 2}, []int32{0, 3}, []float32{1, 2}, false) }); !ok {
		t.Fatal("PrepareSparse of a bad column did not panic")
	}
	SparseAMM(9, 1, a, b, 9, 0, c2, 9, Epilogue{})
	if !sameBits(c1, c2) {
		t.Fatal("a PrepareSparse that panicked changed its SparseA")
	}
}

// TestSparseAReuse checks that preparing into a used SparseA, larger or
// smaller, gives the products of a new one.
func TestSparseAReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var a SparseA
	a.Release()
	for _, sz := range [][2]int{{60, 90}, {9, 13}, {130, 40}, {0, 5}, {21, 1}} {
		m, k, n := sz[0], sz[1], 19
		s := randomCSR(rng, m, k, 0.3, 2)
		b := make([]float32, k*n)
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		for _, cluster := range []bool{false, true} {
			PrepareSparse(&a, m, k, s.offs, s.cols, s.vals, cluster)
			fresh := PrepareSparse(nil, m, k, s.offs, s.cols, s.vals, cluster)
			c1, c2 := make([]float32, m*n), make([]float32, m*n)
			SparseAMM(n, 1, &a, b, n, 0, c1, n, Epilogue{})
			SparseAMM(n, 1, fresh, b, n, 0, c2, n, Epilogue{})
			if !sameBits(c1, c2) {
				t.Fatalf("m=%d, k=%d, cluster=%t: a reused SparseA gives other results", m, k, cluster)
			}
			if mm, kk := a.Dims(); mm != m || kk != k || !strings.Contains(a.String(), fmt.Sprintf("%d×%d", m, k)) {
				t.Errorf("Dims() = %d, %d, String() = %q; want %d×%d", mm, kk, a.String(), m, k)
			}
		}
	}
}

// FuzzSparseMM runs fuzzed CSR matrices, valid or not, through the
// assembly and its Go twin: both panic alike, or agree within rounding.
func FuzzSparseMM(f *testing.F) {
	f.Add([]byte{3, 20, 5, 1, 2, 0, 1, 3, 4, 2, 0, 9}, uint8(3))
	f.Add([]byte{0, 0, 0}, uint8(0))
	f.Add([]byte{1, 8, 1, 0, 0, 0, 200}, uint8(1))
	f.Add([]byte{16, 27, 18, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, uint8(7))
	f.Add([]byte{2, 3, 1, 2, 16, 2, 32, 2, 48, 2, 64, 2, 80, 2, 96, 1}, uint8(3)) // rows of one column repeated, longer than k
	f.Fuzz(func(t *testing.T, data []byte, nnzPerRow uint8) {
		asm := implNamed("avx2")
		if asm == nil || len(data) < 3 {
			t.Skip()
		}
		m, n, k := int(data[0]%17), int(data[1]%130), int(data[2]%19)
		data = data[3:]
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			x := data[0]
			data = data[1:]
			return x
		}
		offs := []int{0}
		var cols []int32
		var vals []float32
		for range m {
			for range int(nnzPerRow % 9) {
				cols = append(cols, int32(next())-2) // some out of range, some negative
				vals = append(vals, float32(next())/16-4)
			}
			offs = append(offs, len(cols))
		}
		if next()%5 == 0 && len(offs) > 2 { // now and then offsets that decrease
			offs[1], offs[2] = offs[2], offs[1]
		}
		b := make([]float32, k*n)
		for i := range b {
			b[i] = float32(i%11) - 5
		}
		results := make([][]float32, 2)
		msgs := make([]string, 2)
		for i, im := range []*Impl{asm, generic} {
			c := make([]float32, m*n)
			msgs[i], _ = panicMessage(func() { im.SparseMM(m, n, k, 1, offs, cols, vals, b, n, 0, c, n, Epilogue{}) })
			results[i] = c
		}
		if msgs[0] != msgs[1] {
			t.Fatalf("assembly panics %q, Go twin %q", msgs[0], msgs[1])
		}
		if msgs[0] != "" {
			return
		}
		agree(t, "SparseMM", results[0], results[1])
		// The prepared products, in order and clustered: SparseAMM, and
		// SparseATMMTrans of the same SparseA with B m×n.
		bt := make([]float32, m*n)
		for i := range bt {
			bt[i] = float32(i%7) - 3
		}
		for _, cluster := range []bool{false, true} {
			a := PrepareSparse(nil, m, k, offs, cols, vals, cluster)
			for i, im := range []*Impl{asm, generic} {
				c := make([]float32, m*n)
				im.SparseAMM(n, 1, a, b, max(1, n), 0, c, max(1, n), Epilogue{})
				results[i] = c
			}
			agree(t, "SparseAMM", results[0], results[1])
			for i, im := range []*Impl{asm, generic} {
				c := make([]float32, n*k)
				im.SparseATMMTrans(n, 1, a, bt, max(1, n), 0, c, max(1, k))
				results[i] = c
			}
			agree(t, "SparseATMMTrans", results[0], results[1])
		}
	})
}

// agree fails t unless the assembly's result got and its Go twin's want
// agree within rounding.
func agree(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: C[%d] = %v, Go twin %v", what, i, got[i], want[i])
		}
	}
}

// TestSparseMMUnsorted checks a CSR matrix whose rows list their columns
// in decreasing order: the products take them unblocked and agree with the
// same matrix in increasing order.
func TestSparseMMUnsorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	s := randomCSR(rng, 80, 400, 0.1, 0)
	r := csr{m: s.m, k: s.k, offs: s.offs, cols: slices.Clone(s.cols), vals: slices.Clone(s.vals)}
	for i := range s.m {
		slices.Reverse(r.cols[s.offs[i]:s.offs[i+1]])
		slices.Reverse(r.vals[s.offs[i]:s.offs[i+1]])
	}
	b := make([]float32, 400*37)
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		c1, c2 := make([]float32, 80*37), make([]float32, 80*37)
		im.SparseMM(80, 37, 400, 1, s.offs, s.cols, s.vals, b, 37, 0, c1, 37, Epilogue{})
		im.SparseMM(80, 37, 400, 1, r.offs, r.cols, r.vals, b, 37, 0, c2, 37, Epilogue{})
		check := func(what string) {
			for i := range c1 {
				if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-4*(1+math.Abs(float64(c1[i]))) {
					t.Fatalf("%s: C[%d] = %v with columns decreasing, %v increasing", what, i, c2[i], c1[i])
				}
			}
		}
		check("SparseMM")
		// Prepared, the groups with a decreasing row take the row form
		// (into a SparseA that held the increasing rows' block tables):
		// only groups of empty rows, which clustering puts together, may
		// be grouped, with no values.
		a := PrepareSparse(nil, 80, 400, s.offs, s.cols, s.vals, true)
		PrepareSparse(a, 80, 400, r.offs, r.cols, r.vals, true)
		if _, vals := a.Grouped(); vals != 0 {
			t.Errorf("%v: rows with decreasing columns grouped", a)
		}
		im.SparseAMM(37, 1, a, b, 37, 0, c2, 37, Epilogue{})
		check("SparseAMM")
		bt := make([]float32, 80*37)
		for i := range bt {
			bt[i] = float32(rng.NormFloat64())
		}
		ct1, ct2 := make([]float32, 37*400), make([]float32, 37*400)
		im.SparseATMMTrans(37, 1, a, bt, 37, 0, ct2, 400)
		im.SparseATMMTrans(37, 1, PrepareSparse(nil, 80, 400, s.offs, s.cols, s.vals, false), bt, 37, 0, ct1, 400)
		c1, c2 = ct1, ct2
		check("SparseATMMTrans")
	})
}

// TestSparseMMCrowdedB checks the CSR products with B's rows a multiple of
// 128 floats apart, which they read through a copy when S has enough
// nonzeros a row of B (sparseCopyB): bitwise what the same B gives with
// rows 8 floats farther apart, read in place, for a B as wide as its
// stride and one narrower.
func TestSparseMMCrowdedB(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	const m, k = 300, 20
	s := randomCSR(rng, m, k, 0.5, 0)
	if nnz := s.offs[m]; nnz < sparseCopyB*k {
		t.Fatalf("%d nonzeros, fewer than sparseCopyB·k: B would not be copied", nnz)
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		for _, n := range []int{128, 99} {
			const crowdedLd, plainLd = 128, 136
			b1, b2 := make([]float32, k*crowdedLd), make([]float32, k*plainLd)
			for p := range k {
				for j := range n {
					v := float32(rng.NormFloat64())
					b1[p*crowdedLd+j], b2[p*plainLd+j] = v, v
				}
			}
			c1, c2 := make([]float32, m*n), make([]float32, m*n)
			im.SparseMM(m, n, k, 1, s.offs, s.cols, s.vals, b1, crowdedLd, 0, c1, n, Epilogue{Act: ActSigmoid})
			im.SparseMM(m, n, k, 1, s.offs, s.cols, s.vals, b2, plainLd, 0, c2, n, Epilogue{Act: ActSigmoid})
			if i := firstDifference(c1, c2); i >= 0 {
				t.Fatalf("n=%d: SparseMM C[%d] = %v with B's rows %d apart, %v %d apart", n, i, c1[i], crowdedLd, c2[i], plainLd)
			}
			im.SparseMMTrans(m, n, k, 1, s.offs, s.cols, s.vals, b1, crowdedLd, 0, c1, m)
			im.SparseMMTrans(m, n, k, 1, s.offs, s.cols, s.vals, b2, plainLd, 0, c2, m)
			if i := firstDifference(c1, c2); i >= 0 {
				t.Fatalf("n=%d: SparseMMTrans C[%d] = %v with B's rows %d apart, %v %d apart", n, i, c1[i], crowdedLd, c2[i], plainLd)
			}
		}
	})
}

// TestByCount checks cluster's order: every row once, by nonzero count
// (more than k, a column repeated, counting as k), ties in index order, on
// rows of 0 to 2k nonzeros with offsets not starting at 0.
func TestByCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const m, k = 300, 9
	offs := []int{5}
	for range m {
		offs = append(offs, offs[len(offs)-1]+rng.IntN(2*k+1))
	}
	order := make([]int, m)
	byCount(order, offs, k)
	seen := make([]bool, m)
	for j, i := range order {
		if seen[i] {
			t.Fatalf("row %d twice", i)
		}
		seen[i] = true
		if j == 0 {
			continue
		}
		h, n0, n1 := order[j-1], min(offs[order[j-1]+1]-offs[order[j-1]], k), min(offs[i+1]-offs[i], k)
		if n0 > n1 || n0 == n1 && h > i {
			t.Fatalf("order[%d] = row %d (%d nonzeros) after row %d (%d)", j, i, n1, h, n0)
		}
	}
}
