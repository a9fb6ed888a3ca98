package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// packedModes are which operands a packed call takes packed: A, B, both.
var packedModes = [][2]bool{{true, false}, {false, true}, {true, true}}

// packOperands packs a and b (built for tc) as tc's call takes them, into
// pa and pb when the mode says so, reusing them; nil for the others.
func packOperands(im *Impl, tc gemmCase, a, b *matrix, mode [2]bool, pa, pb *Packed) (*Packed, *Packed) {
	if mode[0] {
		pa = im.PackA(pa, tc.transA, tc.m, tc.k, a.arg(tc.view), a.ld)
	} else {
		pa = nil
	}
	if mode[1] {
		pb = im.PackB(pb, tc.transB, tc.k, tc.n, b.arg(tc.view), b.ld)
	} else {
		pb = nil
	}
	return pa, pb
}

// packedMatches runs im.SgemmPacked on fresh operands of tc, with the
// operands of mode packed into pa and pb (a nil slice standing in for a
// packed operand's matrix), and im.SgemmEpilogue on a copy, and returns an
// error unless C's whole buffer is bitwise the same and the packed call
// left C's guards and A and B alone.
func packedMatches(im *Impl, tc gemmCase, ep Epilogue, mode [2]bool, pa, pb *Packed) error {
	a, b, c := tc.operands()
	a0, b0, c0 := a.clone(), b.clone(), c.clone()
	want := c.copy()
	im.SgemmEpilogue(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.arg(tc.view), a.ld,
		b.arg(tc.view), b.ld, tc.beta, want.arg(tc.view), want.ld, ep)
	pa, pb = packOperands(im, tc, a, b, mode, pa, pb)
	aArg, bArg := a.arg(tc.view), b.arg(tc.view)
	if pa != nil {
		aArg = nil
	}
	if pb != nil {
		bArg = nil
	}
	im.SgemmPacked(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, aArg, a.ld, pa,
		bArg, b.ld, pb, tc.beta, c.arg(tc.view), c.ld, ep)
	for _, err := range []error{a.checkUnchanged(a0), b.checkUnchanged(b0), c.checkGuards(c0)} {
		if err != nil {
			return err
		}
	}
	if idx := firstDifference(c.buf, want.buf); idx >= 0 {
		return fmt.Errorf("%s = %v, SgemmEpilogue gives %v", c.where(idx), c.buf[idx], want.buf[idx])
	}
	return nil
}

// testEpilogues returns the epilogues a packed product is checked with:
// none, and bias per row or per column with an activation.
func testEpilogues(rng *rand.Rand, m, n int) []Epilogue {
	return []Epilogue{{},
		{Bias: randSlice(rng, m), BiasPerRow: true, Act: ActSigmoid},
		{Bias: randSlice(rng, n), Act: ActReLU},
		{Act: ActTanh}}
}

// TestSgemmPacked checks that products with packed operands (A, B, both)
// are bitwise those of SgemmEpilogue, for every implementation, transpose
// and epilogue, on shapes around the micro-tile and the blocks: several K
// blocks, M and N blocks, right edges of 8 and fewer columns, edge rows.
// The Packed values are reused from one shape to the next.
func TestSgemmPacked(t *testing.T) {
	step := max(1, maxTilesPerCall/(mcBlock/mr)) * nr // columns per assembly call
	shapes := [][3]int{
		{1, 1, 1}, {mr - 1, nr - 1, 3}, {mr, nr, 8},
		{2*mr + 1, nr + 8, kcBlock + 1},
		{mr + 1, 2*nr + 5, 2*kcBlock + 7},
		{mcBlock + 1, nr + 3, kcBlock + 9},
		{mcBlock, step + nr + 1, 3},
		{mr + 1, ncBlock + nr + 3, kcBlock + 1},
		{2*mcBlock + mr + 1, 2*nr + 1, 2*kcBlock + 7},
	}
	if testing.Short() {
		shapes = shapes[:6]
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(21, 22))
		var pa, pb Packed
		failures := 0
		for _, s := range shapes {
			for _, tr := range transposeCombos {
				for _, mode := range packedModes {
					for _, ep := range testEpilogues(rng, s[0], s[1]) {
						tc := vary(rng, gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2]})
						if tc.alpha == 0 {
							tc.alpha = -1
						}
						if err := packedMatches(im, tc, ep, mode, &pa, &pb); err != nil {
							t.Errorf("%v packed A %t, B %t, epilogue %+v: %v", tc, mode[0], mode[1], ep.Act, err)
							if failures++; failures == maxFailures {
								t.Fatalf("stopping after %d failures", failures)
							}
						}
					}
				}
			}
		}
		// BLAS's quick return (alpha == 0, k == 0) and an empty C, with
		// the epilogue still applied to C.
		for _, s := range [][3]int{{9, 20, 5}, {9, 20, 0}, {0, 20, 5}, {9, 0, 5}} {
			for _, ep := range testEpilogues(rng, s[0], s[1]) {
				tc := gemmCase{m: s[0], n: s[1], k: s[2], alpha: 0, beta: 0.5, transA: true, padC: 2}
				if err := packedMatches(im, tc, ep, [2]bool{true, true}, &pa, &pb); err != nil {
					t.Errorf("%v: %v", tc, err)
				}
			}
		}
	})
}

// TestSgemmPackedThreadsBitwise checks that products with packed operands
// (either, the other packed once for all regions or by each, or both) are
// bitwise the same on every thread count of threadCounts, and the same as
// without packing, with splits along n and along m.
func TestSgemmPackedThreadsBitwise(t *testing.T) {
	setThreads(t, 1)
	shapes := [][3]int{
		{61, 250, parallelK(61, 250, 3, 1)},
		{250, 37, parallelK(250, 37, 3, 1)},
		{29, ncBlock + nr + 3, parallelK(29, ncBlock+nr+3, 3, 9)},
		{4*chunkLen + 5, 13, parallelK(4*chunkLen+5, 13, 3, 5)},
	}
	if testing.Short() {
		shapes = shapes[:2]
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(23, 24))
		for i, s := range shapes {
			for _, tr := range transposeCombos {
				tc := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2],
					alpha: 0.5, beta: -1, padA: 3, padB: 1, padC: nr + 1, seed: uint64(i)}
				ep := Epilogue{Bias: randSlice(rng, tc.n), Act: ActSigmoid}
				// Every thread count against SgemmEpilogue on 1 thread
				// (TestSgemmEpilogueThreadsBitwise covers its threads).
				SetThreads(1)
				a, b, c0 := tc.operands()
				want := c0.copy()
				im.SgemmEpilogue(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.arg(false), a.ld,
					b.arg(false), b.ld, tc.beta, want.arg(false), want.ld, ep)
				for _, threads := range threadCounts {
					SetThreads(threads)
					for _, mode := range packedModes {
						c := c0.copy()
						pa, pb := packOperands(im, tc, a, b, mode, nil, nil)
						im.SgemmPacked(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.arg(false), a.ld, pa,
							b.arg(false), b.ld, pb, tc.beta, c.arg(false), c.ld, ep)
						if err := c.checkGuards(c0.buf); err != nil {
							t.Fatalf("%v threads=%d packed %v: %v", tc, threads, mode, err)
						}
						if idx := firstDifference(c.buf, want.buf); idx >= 0 {
							t.Fatalf("%v threads=%d packed %v: %s = %v, unpacked on 1 thread %v",
								tc, threads, mode, c.where(idx), c.buf[idx], want.buf[idx])
						}
					}
				}
			}
		}
	})
}

// TestPackedRepack packs one Packed again and again with other shapes,
// sides and transposes: smaller ones reuse its buffer, larger ones grow
// it, and every product stays right.
func TestPackedRepack(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *Impl) {
		rng := rand.New(rand.NewPCG(25, 26))
		var p Packed
		if p.Len() != 0 {
			t.Fatalf("the zero Packed holds %d floats", p.Len())
		}
		steps := []struct {
			m, n, k  int
			transA   bool
			a        bool // pack A, else B
			sameLen  bool // the buffer must be reused
			minFloat int
		}{
			{m: 2*mr + 1, n: 9, k: 2*kcBlock + 7, a: true, minFloat: 3 * mr * (2*kcBlock + 7)},
			{m: mr + 1, n: 9, k: kcBlock + 3, a: true, transA: true, sameLen: true},
			{m: 5, n: nr + 1, k: kcBlock + 3, sameLen: true},
			{m: 5, n: 3*nr + 1, k: 2*kcBlock + 9, minFloat: 4 * nr * (2*kcBlock + 9)},
			{m: 1, n: 1, k: 1, a: true, sameLen: true},
		}
		for i, st := range steps {
			tc := gemmCase{transA: st.transA, transB: i%2 == 1, m: st.m, n: st.n, k: st.k, alpha: 1, beta: 0.5, padA: 1, padB: 2, seed: uint64(i)}
			mode := [2]bool{st.a, !st.a}
			before := p.Len()
			if err := packedMatches(im, tc, Epilogue{Bias: randSlice(rng, tc.n)}, mode, &p, &p); err != nil {
				t.Fatalf("step %d: %v: %v", i, tc, err)
			}
			if st.sameLen && p.Len() != before {
				t.Errorf("step %d: %v: Len %d, was %d: the buffer was not reused", i, tc, p.Len(), before)
			}
			if p.Len() < st.minFloat {
				t.Errorf("step %d: %v: Len %d, need at least %d", i, tc, p.Len(), st.minFloat)
			}
		}
		p.Release()
		if p.Len() != 0 {
			t.Errorf("after Release, Len = %d", p.Len())
		}
	})
}

// TestSgemmPackedPanics checks the argument checks of PackA, PackB and
// SgemmPacked: each panics, before writing C, with a message naming the
// argument.
func TestSgemmPackedPanics(t *testing.T) {
	a, b := make([]float32, 35), make([]float32, 35)
	cbuf := make([]float32, 35)
	for i := range cbuf {
		cbuf[i] = guardC
	}
	pa := PackA(nil, false, 5, 7, a, 7) // op(A) 5×7
	paT := PackA(nil, true, 7, 5, a, 7) // op(A) 7×5, transposed
	pb := PackB(nil, false, 7, 5, b, 5) // op(B) 7×5
	pbT := PackB(nil, true, 5, 7, b, 5) // op(B) 5×7, transposed
	released := PackA(nil, false, 5, 7, a, 7)
	released.Release()
	mul := func(transA, transB bool, m, n, k int, pa, pb *Packed, c []float32) func() {
		return func() { SgemmPacked(transA, transB, m, n, k, 1, nil, 0, pa, nil, 0, pb, 0, c, n, Epilogue{}) }
	}
	c := cbuf[:25]
	wantPanics(t, []panicCase{
		{func() { PackA(nil, false, -1, 7, a, 7) }, []string{"m = -1"}},
		{func() { PackA(nil, false, 5, -2, a, 7) }, []string{"k = -2"}},
		{func() { PackA(nil, false, 5, 7, a, 6) }, []string{"lda = 6, need at least 7"}},
		{func() { PackA(nil, true, 7, 5, a, 8) }, []string{"len(a) = 35, need at least 39"}},
		{func() { PackB(nil, false, 7, 5, b[:34], 5) }, []string{"len(b) = 34, need at least 35"}},
		{func() { PackB(nil, true, 7, -3, b, 5) }, []string{"n = -3"}},
		{func() { PackB(nil, true, 5, 7, b, 4) }, []string{"ldb = 4, need at least 5"}},
		{mul(false, false, 5, 5, 7, pb, nil, c), []string{"pa packs op(B) 7×5 (transB=false), the call needs op(A) 5×7 (transA=false)"}},
		{mul(false, false, 5, 5, 7, pa, pa, c), []string{"pb packs op(A) 5×7 (transA=false), the call needs op(B) 7×5 (transB=false)"}},
		{mul(true, false, 5, 5, 7, pa, pb, c), []string{"pa packs op(A) 5×7 (transA=false), the call needs op(A) 5×7 (transA=true)"}},
		{mul(false, false, 7, 5, 5, paT, pb, c), []string{"pa packs op(A) 7×5 (transA=true), the call needs op(A) 7×5 (transA=false)"}},
		{mul(false, true, 5, 7, 5, pa, pbT, cbuf), []string{"pa packs op(A) 5×7", "needs op(A) 5×5"}},
		{mul(false, false, 4, 5, 7, pa, pb, c), []string{"pa packs op(A) 5×7", "needs op(A) 4×7"}},
		{mul(false, false, 5, 4, 7, pa, pb, c), []string{"pb packs op(B) 7×5", "needs op(B) 7×4"}},
		{mul(false, false, 5, 5, 6, nil, pb, c), []string{"pb packs op(B) 7×5", "needs op(B) 6×5"}},
		{mul(false, false, 5, 5, 7, released, pb, c), []string{"pa is empty"}},
		{mul(false, false, 5, 5, 7, pa, &Packed{}, c), []string{"pb is empty"}},
		{mul(false, false, 5, 5, 7, pa, pb, c[:24]), []string{"len(c) = 24, need at least 25"}},
		{mul(false, false, 5, 5, 7, pa, nil, c), []string{"ldb = 0, need at least 5"}},
		{func() {
			SgemmPacked(false, false, 5, 5, 7, 1, nil, 0, pa, nil, 0, pb, 0, c, 5, Epilogue{Bias: make([]float32, 4)})
		}, []string{"len(bias) = 4, need 5"}},
	})
	for i, v := range cbuf {
		if v != guardC {
			t.Fatalf("c[%d] written before a panic", i)
		}
	}
}

// TestSgemmPackedAllocatesNothing checks that products with packed
// operands, and packing again into a Packed of the same shape, allocate
// nothing, on one thread and on two.
func TestSgemmPackedAllocatesNothing(t *testing.T) {
	m, n, k := 196, 2000, 300
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	bias := make([]float32, m)
	setThreads(t, 1)
	pa := PackA(nil, false, m, k, a, k)
	pb := PackB(nil, true, k, n, b, k)
	for _, threads := range []int{1, 2} {
		SetThreads(threads)
		for name, f := range map[string]func(){
			"SgemmPacked(A)": func() { SgemmPacked(false, true, m, n, k, 1, nil, 0, pa, b, k, nil, 0, c, n, Epilogue{}) },
			"SgemmPacked(B)": func() { SgemmPacked(false, true, m, n, k, 1, a, k, nil, nil, 0, pb, 0, c, n, Epilogue{}) },
			"SgemmPacked(A, B, bias)": func() {
				SgemmPacked(false, true, m, n, k, 1, nil, 0, pa, nil, 0, pb, 0, c, n, Epilogue{Bias: bias, BiasPerRow: true, Act: ActSigmoid})
			},
			"PackA": func() { PackA(pa, false, m, k, a, k) },
			"PackB": func() { PackB(pb, true, k, n, b, k) },
		} {
			f()
			if got := testing.AllocsPerRun(10, f); got != 0 {
				t.Errorf("threads=%d: %s allocates %v times per call, want 0", threads, name, got)
			}
		}
	}
}

// TestSgemmPackedExternal checks that an implementation with an external
// Sgemm multiplies the packed operands' source matrices, with the result
// of its SgemmEpilogue on them.
func TestSgemmPackedExternal(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	forEachImpl(t, func(t *testing.T, im *Impl) {
		ext, calls := counting(im, "ext")
		tc := gemmCase{transA: true, m: 2*mr + 1, n: nr + 3, k: kcBlock + 5, alpha: 1, beta: 0.5, padA: 2, padB: 1, padC: 3}
		for _, ep := range testEpilogues(rng, tc.m, tc.n) {
			for _, mode := range packedModes {
				*calls = 0
				if err := packedMatches(ext, tc, ep, mode, nil, nil); err != nil || *calls != 2 {
					t.Errorf("packed A %t, B %t, epilogue %v: %d external calls (want 2), %v", mode[0], mode[1], ep.Act, *calls, err)
				}
			}
		}
		// Packing on the external implementation keeps the source, no
		// panels; such a Packed multiplies its source on the native one.
		a, b, _ := tc.operands()
		pa := ext.PackA(nil, tc.transA, tc.m, tc.k, a.arg(tc.view), a.ld)
		pb := ext.PackB(nil, tc.transB, tc.k, tc.n, b.arg(tc.view), b.ld)
		if pa.Len() != 0 || pb.Len() != 0 {
			t.Errorf("packed on an external Sgemm: Len %d and %d, want 0 (no panels)", pa.Len(), pb.Len())
		}
		_, _, c := tc.operands()
		want := c.copy()
		ep := Epilogue{Act: ActSigmoid}
		im.SgemmEpilogue(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.arg(tc.view), a.ld,
			b.arg(tc.view), b.ld, tc.beta, want.arg(tc.view), want.ld, ep)
		*calls = 0
		im.SgemmPacked(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, nil, 0, pa, nil, 0, pb,
			tc.beta, c.arg(tc.view), c.ld, ep)
		if idx := firstDifference(c.buf, want.buf); idx >= 0 || *calls != 0 {
			t.Errorf("source-only operands on %s: %d external calls, first difference at %d", im.Name(), *calls, idx)
		}
	})
}
