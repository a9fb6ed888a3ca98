// Command asm_gen writes the AVX2/FMA assembly of package kernels with avo.
//
// Run it through `make generate` (or `go generate ./kernels`); it writes one
// ../zFAMILY_amd64.s and ../zFAMILY_stubs_amd64.go per family, each family
// from the file gen_FAMILY.go, and with -consts ../zconst.go the constants
// package kernels shares with the assembly (consts.go, gen_const.go). Vector registers are assigned by hand: avo's
// allocator may hand out Y16–Y31, which exist only with AVX-512.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	. "github.com/mmcloughlin/avo/build"
)

// families are the groups of routines, each generated into its own file
// (`-family NAME -out ../zNAME_amd64.s -stubs ../zNAME_stubs_amd64.go`), so
// that each stays readable and is regenerated on its own.
var families = map[string]func(){
	"sgemm":      sgemmFamily,
	"pack":       packFamily,
	"peak":       peakFamily,
	"exp":        expFamily,
	"activation": activationFamily,
	"loss":       lossFamily,
	"vector":     vectorFamily,
	"update":     updateFamily,
	"sparse":     sparseFamily,
}

func main() {
	family := flag.String("family", "", "routines to generate: "+familyNames())
	consts := flag.String("consts", "", "write the constants shared with package kernels to this Go file instead")
	flag.Parse()
	if *consts != "" {
		if err := writeGoConsts(*consts, "kernels"); err != nil {
			fmt.Fprintln(os.Stderr, "asm_gen:", err)
			os.Exit(1)
		}
		return
	}
	emit, ok := families[*family]
	if !ok {
		fmt.Fprintf(os.Stderr, "asm_gen: unknown -family %q\n", *family)
		os.Exit(2)
	}
	ConstraintExpr("amd64,gc,!purego") // //go:build amd64 && gc && !purego
	emit()
	Generate()
}

// familyNames lists the families, sorted, for the usage message.
func familyNames() string {
	var names []string
	for name := range families {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
