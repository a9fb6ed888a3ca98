package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The assembly building blocks of Sgemm against their Go twins, on every
// tail length of kc and around the 8-wide steps of the transposing packers,
// with guard bands after every destination. Packing only moves values, so
// the results must be bitwise equal; the macro-kernels must agree within
// float32 rounding of sums of kc products.

const guardWord = float32(-7777)

var twinKCs = append(seq(0, 33), 63, 64, 65, 127, 128, 129, 255, 256, 257)

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// guarded returns a slice of n elements followed by guardLen guard words.
func guarded(n int) (s, all []float32) {
	all = make([]float32, n+guardLen)
	for i := n; i < len(all); i++ {
		all[i] = guardWord
	}
	return all[:n], all
}

func checkGuard(t *testing.T, all []float32, n int, what string) {
	t.Helper()
	for i := n; i < len(all); i++ {
		if all[i] != guardWord {
			t.Fatalf("%s wrote past its end at +%d", what, i-n)
		}
	}
}

func TestPackersMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type packer struct {
		name       string
		asm, twin  func(dst, src []float32, ld, kc, n int)
		rows, cols func(kc, n int) int // source extent
		panel      int
	}
	for _, im := range Impls() {
		if im == generic {
			continue
		}
		packers := []packer{
			{"AN", im.packAN, generic.packAN, func(kc, n int) int { return n * mr }, func(kc, n int) int { return kc }, mr},
			{"AT", im.packAT, generic.packAT, func(kc, n int) int { return kc }, func(kc, n int) int { return n * mr }, mr},
			{"BN", im.packBN, generic.packBN, func(kc, n int) int { return kc }, func(kc, n int) int { return n * nr }, nr},
			{"BT", im.packBT, generic.packBT, func(kc, n int) int { return n * nr }, func(kc, n int) int { return kc }, nr},
		}
		for _, p := range packers {
			t.Run(fmt.Sprintf("impl=%s/pack%s", im.Name(), p.name), func(t *testing.T) {
				for _, kc := range twinKCs[1:] {
					for _, n := range []int{1, 2, 3} {
						rows, cols := p.rows(kc, n), p.cols(kc, n)
						ld := cols + 3
						src := randSlice(rng, (rows-1)*ld+cols)
						size := n * kc * p.panel
						want := make([]float32, size)
						p.twin(want, src, ld, kc, n)
						got, all := guarded(size)
						p.asm(got, slices.Clip(src), ld, kc, n)
						checkGuard(t, all, size, "pack"+p.name)
						if !slices.Equal(got, want) {
							t.Fatalf("kc=%d n=%d: assembly and Go packing differ", kc, n)
						}
					}
				}
			})
		}
	}
}

// macroVariant is one of an implementation's macro-kernels and its Go
// twin: it stores rows rows of each A panel's tiles (fewer than mr only
// with one A panel) and cols columns of each B panel's.
type macroVariant struct {
	name       string
	asm, twin  macroFunc
	rows, cols int
}

// height returns the rows of C the variant stores for mt A panels.
func (v macroVariant) height(mt int) int {
	if v.rows < mr {
		return v.rows
	}
	return mt * mr
}

// macroVariants returns im's macro-kernels with their twins: macro,
// macro8 and each of macroRows.
func macroVariants(im *Impl) []macroVariant {
	vs := []macroVariant{{"macro", im.macro, generic.macro, mr, nr}, {"macro8", im.macro8, generic.macro8, mr, 8}}
	for h := 1; h < mr; h++ {
		vs = append(vs, macroVariant{fmt.Sprintf("macroRows%d", h), im.macroRows[h], generic.macroRows[h], h, nr})
	}
	return vs
}

func TestMacroKernelsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, im := range Impls() {
		if im == generic {
			continue
		}
		for _, v := range macroVariants(im) {
			t.Run(fmt.Sprintf("impl=%s/%s", im.Name(), v.name), func(t *testing.T) {
				for _, kc := range twinKCs[1:] {
					for _, mt := range []int{1, 2, 5} {
						if v.rows < mr && mt != 1 {
							continue
						}
						nt := 1
						switch {
						case v.rows < mr: // the wide kernels and the rest
							nt = 1 + kc%9
						case v.cols == nr:
							nt = 1 + kc%3
						}
						ap := randSlice(rng, mt*kc*mr)
						bp := randSlice(rng, nt*kc*nr)
						ldc := nt*v.cols + 2
						size := (v.height(mt)-1)*ldc + nt*v.cols
						c0 := randSlice(rng, size)
						for _, accum := range []bool{false, true} {
							want := slices.Clone(c0)
							st := store{alpha: 0.5, beta: -1.5, accum: accum}
							v.twin(ap, bp, want, kc, mt, nt, ldc, st)
							got, all := guarded(size)
							copy(got, c0)
							v.asm(ap, bp, got, kc, mt, nt, ldc, st)
							checkGuard(t, all, size, v.name)
							for i := range got {
								if i%ldc >= nt*v.cols { // padding between rows stays
									if got[i] != c0[i] {
										t.Fatalf("kc=%d mt=%d: wrote padding at %d", kc, mt, i)
									}
									continue
								}
								if d := float64(got[i] - want[i]); d > 1e-4*float64(kc+1) || d < -1e-4*float64(kc+1) {
									t.Fatalf("kc=%d mt=%d nt=%d accum=%t: c[%d] = %v, Go twin %v", kc, mt, nt, accum, i, got[i], want[i])
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestBalance checks the block sizes the driver splits dimensions into: a
// multiple of the unit, never above the bound, covering the total.
func TestBalance(t *testing.T) {
	for _, bu := range [][2]int{{kcBlock, 8}, {mcBlock, mr}, {ncBlock, nr}, {16, 16}, {32, 8}} {
		maxBlock, unit := bu[0], bu[1]
		for total := 1; total <= 20000; total++ {
			size := balance(total, maxBlock, unit)
			if size <= 0 || size%unit != 0 || (size > maxBlock && total > maxBlock) {
				t.Fatalf("balance(%d, %d, %d) = %d", total, maxBlock, unit, size)
			}
		}
	}
	if got := balance(11272, 256, 8); got != 240 {
		t.Errorf("balance(11272, 256, 8) = %d, want 240 (47 even blocks, not 44 of 256 and one of 8)", got)
	}
}

// TestMacroEpilogueMatchesGo compares the macro-kernels' fused epilogue
// (bias per row or column, then each activation, in registers) with the Go
// twin, which applies the Go twins of the activations to each stored row.
func TestMacroEpilogueMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, im := range Impls() {
		if im == generic {
			continue
		}
		for _, v := range macroVariants(im) {
			t.Run(fmt.Sprintf("impl=%s/%s", im.Name(), v.name), func(t *testing.T) {
				for _, kc := range []int{1, 7, 64} {
					mt, nt := 3, 1
					if v.cols == nr {
						nt = 2
					}
					if v.rows < mr {
						mt, nt = 1, 7 // the wide kernels and the rest
					}
					ap := randSlice(rng, mt*kc*mr)
					bp := randSlice(rng, nt*kc*nr)
					ldc := nt*v.cols + 2
					size := (v.height(mt)-1)*ldc + nt*v.cols
					c0 := randSlice(rng, size)
					for _, biasBits := range []int{0, epiRowBias, epiColBias} {
						for act := ActIdentity; act <= ActReLU; act++ {
							st := store{alpha: 0.25, beta: 1, accum: true, epi: biasBits | int(act)<<epiActShift}
							if biasBits == epiRowBias {
								st.bias = randSlice(rng, v.height(mt))
							} else if biasBits == epiColBias {
								st.bias = randSlice(rng, nt*v.cols)
							}
							want := slices.Clone(c0)
							v.twin(ap, bp, want, kc, mt, nt, ldc, st)
							got, all := guarded(size)
							copy(got, c0)
							v.asm(ap, bp, got, kc, mt, nt, ldc, st)
							checkGuard(t, all, size, v.name)
							for i := range got {
								if i%ldc >= nt*v.cols {
									if got[i] != c0[i] {
										t.Fatalf("wrote padding at %d", i)
									}
									continue
								}
								d := math.Abs(float64(got[i] - want[i]))
								if d > 1e-5*(1+math.Abs(float64(want[i]))) {
									t.Fatalf("kc=%d bias=%d act=%v: c[%d] = %v, Go twin %v", kc, biasBits, act, i, got[i], want[i])
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestColumnKernelMatchesGo compares the column kernel (a right edge of
// fewer than 8 columns) with its Go twin: every kc of twinKCs, 1 to 19 A
// panels (two groups of 8 and the rest one at a time), B's column strided
// as in a packed panel or not, overwriting and accumulating. The panels of
// A and B's column end their slices, and out is guarded, so a load or store
// past them faults or shows.
func TestColumnKernelMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, im := range Impls() {
		if im == generic {
			continue
		}
		t.Run("impl="+im.Name(), func(t *testing.T) {
			for _, kc := range twinKCs[1:] {
				for _, mt := range []int{1, 2, 7, 8, 9, 16, 19} {
					for _, ldb := range []int{nr, 1, 3} {
						ap := slices.Clip(randSlice(rng, mt*kc*mr))
						b := slices.Clip(randSlice(rng, (kc-1)*ldb+1))
						out0 := randSlice(rng, mt*mr)
						for _, accum := range []bool{false, true} {
							st := store{alpha: 0.5, beta: -1.5, accum: accum}
							want := slices.Clone(out0)
							generic.column(ap, b, want, kc, mt, ldb, st)
							got, all := guarded(len(out0))
							copy(got, out0)
							im.column(ap, b, got, kc, mt, ldb, st)
							checkGuard(t, all, len(out0), "column")
							for i := range got {
								if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*float64(kc+1) {
									t.Fatalf("kc=%d mt=%d ldb=%d accum=%t: out[%d] = %v, Go twin %v", kc, mt, ldb, accum, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestGemvKernelMatchesGo compares the one-row x·Bᵀ kernel with its Go
// twin: kb from 1 to 4 blocks of 8, with and without a tail of 1 to 7
// (masked), and a kc block's worth, 1 to 9 groups of 8
// outputs, B's rows packed or padded, overwriting and accumulating. B, x,
// acc and c end their slices, and c is guarded.
func TestGemvKernelMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, im := range Impls() {
		if im.gemv == nil {
			continue
		}
		t.Run("impl="+im.Name(), func(t *testing.T) {
			for _, kb := range []int{1, 3, 7, 8, 9, 15, 16, 24, 29, 32, kcBlock - 1, kcBlock} {
				for _, groups := range []int{1, 2, 9} {
					for _, ldb := range []int{kb, kb + 3} {
						b := slices.Clip(randSlice(rng, (8*groups-1)*ldb+kb))
						x := slices.Clip(randSlice(rng, kb))
						c0 := randSlice(rng, 8*groups)
						for _, accum := range []bool{false, true} {
							st := store{alpha: 0.5, beta: -1.5, accum: accum}
							want := slices.Clone(c0)
							gemvGeneric(b, ldb, x, make([]float32, 8*groups), want, groups, kb, st)
							got, all := guarded(len(c0))
							copy(got, c0)
							im.gemv(b, ldb, x, slices.Clip(make([]float32, 8*groups)), got, groups, kb, st)
							checkGuard(t, all, len(c0), "gemv")
							for i := range got {
								if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*float64(kb+1) {
									t.Fatalf("kb=%d groups=%d ldb=%d accum=%t: c[%d] = %v, Go twin %v", kb, groups, ldb, accum, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		})
	}
}
