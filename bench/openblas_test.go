//go:build openblas && cgo

package bench

import (
	"strings"
	"testing"
)

// TestOpenBLASBuilt checks that the openblas build tag registers the
// OpenBLAS baseline and that it knows its build.
func TestOpenBLASBuilt(t *testing.T) {
	found := false
	for _, im := range Impls() {
		found = found || im.Name == "openblas"
	}
	if !found {
		t.Fatal("built with the openblas tag but Impls() has no openblas")
	}
	if cfg := OpenBLASConfig(); !strings.Contains(cfg, "OpenBLAS") {
		t.Errorf("OpenBLASConfig() = %q, want it to name OpenBLAS", cfg)
	}
	t.Log(OpenBLASConfig())
}

// TestOpenBLASChecksArguments checks that bad arguments panic in Go, naming
// the argument, before OpenBLAS can read outside a slice.
func TestOpenBLASChecksArguments(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 9), make([]float32, 4)
	for _, tc := range []struct {
		name         string
		m, n, k, lda int
		c            []float32
		want         string
	}{
		{"short c", 2, 3, 3, 3, c, "len(c) = 4, need at least 6"},
		{"small lda", 2, 2, 3, 2, c, "lda = 2, need at least 3"},
		{"negative m", -1, 2, 3, 3, c, "m = -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			OpenBLAS(false, false, tc.m, tc.n, tc.k, 1, a, tc.lda, b, tc.n, 0, tc.c, tc.n)
		})
	}
}
