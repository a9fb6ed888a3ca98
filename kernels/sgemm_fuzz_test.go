package kernels

import (
	"math"
	"testing"
)

// maxFuzzDim bounds the fuzzed m, n and k: larger sizes add little that
// the tests above do not cover and slow the fuzzer down.
const maxFuzzDim = 70

// FuzzSgemm compares the AVX2 implementation with the generic one on
// fuzzed sizes (each at most maxFuzzDim), transposes, scalars, padding and
// data. Both run on the same operands; each must leave A and B alone, write
// nothing outside C and match the float64 reference within errorBound, and
// the two must agree within the sum of their bounds (exactly on BLAS's
// quick path, alpha == 0 or k == 0). The data come from the fuzz bytes as
// multiples of 1/16 (C's of 1/8); alpha and beta are alpha8/32 and
// beta8/32. Run it with
//
//	go test -run XXX -fuzz FuzzSgemm -fuzztime 30s ./kernels
func FuzzSgemm(f *testing.F) {
	type seed struct {
		m, n, k        uint8
		transA, transB bool
		alpha, beta    int8
		pads           uint8
		data           []byte
	}
	for _, s := range []seed{
		{0, 0, 0, false, false, 32, 0, 0, nil},
		{1, 1, 1, false, false, 32, 0, 0, []byte{16}},
		{mr, nr, 1, false, false, 32, 32, 0, []byte{1, 2, 3}},
		{mr + 1, nr + 1, 9, false, true, -32, 16, 0x15, []byte{0x80, 0x7f, 3, 250}},
		{2 * mr, 2 * nr, 8, true, false, 16, -32, 0x2a, []byte("the quick brown fox")},
		{2*mr + 1, 2*nr + 1, 17, true, true, 7, 5, 0x7f, []byte{255, 0, 1}},
		{maxFuzzDim, maxFuzzDim, maxFuzzDim, false, false, 32, 32, 0, []byte{9, 8, 7, 6, 5}},
		{maxFuzzDim, 1, maxFuzzDim, true, false, -32, 0, 0x40, []byte{42}},
		{1, maxFuzzDim, maxFuzzDim, false, true, 32, -16, 0x03, []byte{200, 100}},
		{5, 33, 0, false, false, 32, 16, 0, []byte{1}}, // k == 0: C scaled by beta
		{5, 33, 8, false, false, 0, -32, 0, []byte{1}}, // alpha == 0
		{31, 15, 33, true, true, 16, 0, 0x30, nil},     // no data: PRNG values
	} {
		f.Add(s.m, s.n, s.k, s.transA, s.transB, s.alpha, s.beta, s.pads, s.data)
	}
	f.Fuzz(func(t *testing.T, m8, n8, k8 uint8, transA, transB bool, alpha8, beta8 int8, pads uint8, data []byte) {
		avx, gen := implNamed("avx2"), implNamed("generic")
		if avx == nil {
			t.Skip("only the generic implementation runs on this machine")
		}
		if data == nil {
			data = []byte{} // nil would mean "not fuzzed" to operands
		}
		tc := gemmCase{
			transA: transA, transB: transB,
			m: int(m8) % (maxFuzzDim + 1), n: int(n8) % (maxFuzzDim + 1), k: int(k8) % (maxFuzzDim + 1),
			alpha: float32(alpha8) / 32, beta: float32(beta8) / 32,
			padA: int(pads & 3), padB: int(pads >> 2 & 3), padC: int(pads>>4&3) * 5,
			view: pads&0x40 != 0,
			seed: uint64(len(data)),
			data: data,
		}
		// NaN and Inf in C, where they must not matter, unless the top bit says no.
		tc.special = tc.beta == 0 && pads&0x80 == 0

		a, b, c := tc.operands()
		a0, b0, c0 := a.clone(), b.clone(), c.clone()
		cAVX, cGen := c.copy(), c.copy()
		tc.call(avx, a, b, cAVX)
		tc.call(gen, a, b, cGen)
		for _, err := range []error{a.checkUnchanged(a0), b.checkUnchanged(b0),
			cAVX.checkGuards(c0), cGen.checkGuards(c0)} {
			if err != nil {
				t.Fatalf("%v: %v", tc, err)
			}
		}
		want, tol := tc.reference(a, b, c0, c)
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				e := i*tc.n + j
				x, y := cAVX.at(i, j), cGen.at(i, j)
				if err := tc.checkElement(x, want[e], tol[e]); err != nil {
					t.Fatalf("%v: impl=avx2: c[%d,%d] = %v", tc, i, j, err)
				}
				if err := tc.checkElement(y, want[e], tol[e]); err != nil {
					t.Fatalf("%v: impl=generic: c[%d,%d] = %v", tc, i, j, err)
				}
				if d := math.Abs(float64(x) - float64(y)); !sameFloat(x, y) && !(d <= 2*tol[e]) {
					t.Fatalf("%v: c[%d,%d]: avx2 %v, generic %v differ by %.3g > %.3g", tc, i, j, x, y, d, 2*tol[e])
				}
			}
		}
	})
}
