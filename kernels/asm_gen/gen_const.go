package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"strconv"

	"github.com/mmcloughlin/avo/printer"
)

// goConst is a constant of consts.go as zconst.go declares it: an untyped
// constant of the same value, a float as float32 rounds it (every use in
// package kernels converts it to float32), in hex when hex is set.
type goConst struct {
	name  string
	value any // int, uint32 (written in hex) or float32
	hex   bool
}

// goConstGroups are the constants of zconst.go, one const block each, with
// its doc comment.
var goConstGroups = []struct {
	doc    string
	consts []goConst
}{
	{"Micro-tile shape of the SGEMM macro-kernels: mr rows by nr columns of C;\n" +
		"the packed panels of A hold mr rows, those of B nr columns.",
		[]goConst{{"mr", mr, false}, {"nr", nr, false}}},
	{"Epilogue codes of a macro-kernel's store (store.epi): bit 0 adds a bias\n" +
		"per row of C, bit 1 a bias per column, and the bits from epiActShift up\n" +
		"hold the activation: actIdentity, actSigmoid, actTanh or actReLU, the\n" +
		"values of Activation.",
		[]goConst{{"epiRowBias", epiRowBias, false}, {"epiColBias", epiColBias, false}, {"epiActShift", epiActShift, false},
			{"actIdentity", actIdentity, false}, {"actSigmoid", actSigmoid, false}, {"actTanh", actTanh, false}, {"actReLU", actReLU, false}}},
	{"sumBlock is how many terms the inner accumulators of the row and column\n" +
		"sums take before they are added into the outer ones.",
		[]goConst{{"sumBlock", sumBlock, false}}},
	{"The sparse products' register blocks (asm_gen/consts.go explains them).",
		[]goConst{{"maxSparseVecs", maxSparseVecs, false}, {"sparseGroup", sparseGroup, false},
			{"sparseGroupVecs", sparseGroupVecs, false}, {"groupPrefetch", groupPrefetch, false}}},
	{"Modes of the sparse row kernels (asm_gen/consts.go explains them).",
		[]goConst{{"spmmWrite", spmmWrite, false}, {"spmmScale", spmmScale, false}, {"spmmAdd", spmmAdd, false}}},
	{"Constants of the exponential (asm_gen/consts.go explains them).",
		[]goConst{{"log2e", float32(log2e), true}, {"ln2Hi", float32(ln2Hi), true}, {"ln2Lo", float32(ln2Lo), true},
			{"expMagic", float32(expMagic), true}, {"expMagicBias", float32(expMagicBias), true},
			{"expC5", float32(expC5), true}, {"expC4", float32(expC4), true}, {"expC3", float32(expC3), true},
			{"expC2", float32(expC2), true}, {"expC1", float32(expC1), true},
			{"expCutoff", float32(expCutoff), true}, {"expHi", float32(expHi), false}}},
	{"Constants of tanh: below tanhSmall an odd polynomial, above it\n" +
		"(1 − e^−2|x|)/(1 + e^−2|x|).",
		[]goConst{{"tanhSmall", float32(tanhSmall), false}, {"tanhC1", float32(tanhC1), false}, {"tanhC2", float32(tanhC2), false},
			{"tanhC3", float32(tanhC3), false}, {"tanhC4", float32(tanhC4), false}, {"tanhC5", float32(tanhC5), false}}},
	{"Constants of the logarithm (Cephes logf).",
		[]goConst{{"logSqrtHalfBits", uint32(logSqrtHalfBits), true},
			{"logP0", float32(logP0), false}, {"logP1", float32(logP1), false}, {"logP2", float32(logP2), false},
			{"logP3", float32(logP3), false}, {"logP4", float32(logP4), false}, {"logP5", float32(logP5), false},
			{"logP6", float32(logP6), false}, {"logP7", float32(logP7), false}, {"logP8", float32(logP8), false},
			{"logQ1", float32(logQ1), false}, {"logQ2", float32(logQ2), true}, {"minNormal", float32(minNormal), true}}},
}

// writeGoConsts writes the constants package kernels shares with the
// assembly to the Go file path (package pkg, no build constraints).
func writeGoConsts(path, pkg string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// %s\n\n", printer.NewGoRunConfig().GeneratedWarning())
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	b.WriteString("// The constants the Go code shares with the assembly, declared once in\n" +
		"// asm_gen/consts.go: micro-tile shape, epilogue codes, summation blocking\n" +
		"// and the constants of the transcendental functions.\n")
	for _, g := range goConstGroups {
		b.WriteString("\n")
		for _, line := range bytes.Split([]byte(g.doc), []byte("\n")) {
			fmt.Fprintf(&b, "// %s\n", line)
		}
		if len(g.consts) == 1 {
			c := g.consts[0]
			fmt.Fprintf(&b, "const %s = %s\n", c.name, c.literal())
			continue
		}
		b.WriteString("const (\n")
		for _, c := range g.consts {
			fmt.Fprintf(&b, "\t%s = %s\n", c.name, c.literal())
		}
		b.WriteString(")\n")
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}

// literal returns the Go literal of c's value.
func (c goConst) literal() string {
	switch v := c.value.(type) {
	case int:
		return strconv.Itoa(v)
	case uint32:
		return fmt.Sprintf("%#08x", v)
	case float32:
		if c.hex {
			return strconv.FormatFloat(float64(v), 'x', -1, 32)
		}
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	panic(fmt.Sprintf("constant %s: unexpected type %T", c.name, c.value))
}
