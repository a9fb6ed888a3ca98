//go:build openblas && cgo

package bench

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestOpenBLASBuilt checks that the openblas build tag registers the
// OpenBLAS baseline and that it knows its build.
func TestOpenBLASBuilt(t *testing.T) {
	found := false
	for _, im := range impls() {
		found = found || im.name == "openblas"
	}
	if !found {
		t.Fatal("built with the openblas tag but impls() has no openblas")
	}
	if cfg := openBLASConfig(); !strings.Contains(cfg, "OpenBLAS") {
		t.Errorf("openBLASConfig() = %q, want it to name OpenBLAS", cfg)
	}
	t.Log(openBLASConfig())
}

// TestOpenBLASChecksArguments checks that bad arguments panic in Go, naming
// the argument, before OpenBLAS can read outside a slice or truncate a size.
func TestOpenBLASChecksArguments(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 9), make([]float32, 4)
	type argCase struct {
		name         string
		m, n, k, lda int
		c            []float32
		want         string
	}
	cases := []argCase{
		{"short c", 2, 3, 3, 3, c, "len(c) = 4, need at least 6"},
		{"small lda", 2, 2, 3, 2, c, "lda = 2, need at least 3"},
		{"negative m", -1, 2, 3, 3, c, "m = -1"},
	}
	if strconv.IntSize == 64 {
		big := int64(math.MaxInt32) + 1
		cases = append(cases, argCase{"lda over int32", 1, 1, 1, int(big), c, "lda = 2147483648, more than OpenBLAS's"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			openblas.kernels.Sgemm(false, false, tc.m, tc.n, tc.k, 1, a, tc.lda, b, tc.n, 0, tc.c, tc.n)
		})
	}
}
