//go:build !purego

package kernels

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestAssemblyConstantsMatchGo checks that the constant vectors of the
// generated transcendental kernels hold the values of their Go twins'
// constants: the generator (its own module) restates them, and the two
// implementations must compute with the same numbers.
func TestAssemblyConstantsMatchGo(t *testing.T) {
	want := map[string]float32{
		"log2e": log2e, "negLn2Hi": -ln2Hi, "negLn2Lo": -ln2Lo,
		"magic": expMagic, "magicBias": expMagicBias,
		"c1": expC1, "c2": expC2, "c3": expC3, "c4": expC4, "c5": expC5,
		"cutoff": expCutoff, "hi": expHi, "tanhSmall": tanhSmall,
		"t1": tanhC1, "t2": tanhC2, "t3": tanhC3, "t4": tanhC4, "t5": tanhC5,
		"p0": logP0, "p1": logP1, "p2": logP2, "p3": logP3, "p4": logP4,
		"p5": logP5, "p6": logP6, "p7": logP7, "p8": logP8, "q1": logQ1, "q2": logQ2,
	}
	files, err := filepath.Glob("z*_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`DATA act_(\w+)<>\+0\(SB\)/4, \$0x([0-9a-f]+)`)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			v, ok := want[m[1]]
			if !ok {
				continue
			}
			bits, err := strconv.ParseUint(m[2], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			if uint32(bits) != math.Float32bits(v) {
				t.Errorf("%s: act_%s = %v, the Go twin's is %v", file, m[1], math.Float32frombits(uint32(bits)), v)
			}
			seen[m[1]] = true
		}
	}
	if len(seen) != len(want) {
		t.Errorf("found %d of the %d constants", len(seen), len(want))
	}
}
