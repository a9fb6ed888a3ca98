package bench

import (
	"runtime"
	"runtime/debug"

	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gofma/gofma/kernels"
	"github.com/gofma/gofma/mat32"
)

// impl is one SGEMM implementation under comparison.
type impl struct {
	name string
	// kernels runs it: one of gofma's implementations, or for a baseline
	// gofma's best with the baseline's Sgemm (kernels' WithSgemm), so that
	// training runs the baseline's products under gofma's elementwise
	// kernels.
	kernels *kernels.Impl
	// setThreads sets the threads the implementation's Sgemm uses and
	// returns the previous setting, for restoring it.
	setThreads func(n int) int
	// threads lists the thread counts worth benchmarking.
	threads []int
	// about describes a baseline's build (version, configuration) for the
	// header of benchmark output; empty for gofma's own (see kernels.Info).
	about string
	// sparse is set for gofma's own implementations, whose kernels run
	// mlp's sparse path (kernels.SparseMM): BenchmarkTrainStep times
	// path=sparse on them. A baseline's would run gofma's sparse kernels
	// too, whatever its Sgemm, so it times path=dense only.
	sparse bool
}

// impls returns every implementation in this build: gofma's (kernels.Impls:
// avx2 where the CPU has it, generic), gonum, and openblas with the build
// tag openblas.
func impls() []impl {
	var all []impl
	for _, im := range kernels.Impls() {
		threads := []int{1}
		if im.Name() != "generic" { // the pure-Go twin is the slow reference
			threads = []int{1, 2}
		}
		all = append(all, impl{name: im.Name(), kernels: im, setThreads: kernels.SetThreads, threads: threads, sparse: true})
	}
	// gonum's Sgemm splits large products over GOMAXPROCS goroutines.
	all = append(all, impl{name: "gonum", kernels: kernels.Impls()[0].WithSgemm("gonum", mat32.SgemmOf(gonum.Implementation{})),
		setThreads: runtime.GOMAXPROCS, threads: []int{1},
		about: "gonum.org/v1/gonum/blas/gonum " + moduleVersion("gonum.org/v1/gonum")})
	if openblas != nil {
		all = append(all, *openblas)
	}
	return all
}

// openblas is set by openblas.go in builds with the openblas tag.
var openblas *impl

// moduleVersion returns the version of module path from this binary's build
// information; test binaries have none, so it falls back to "(version as in
// go.mod)".
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				if m.Replace != nil {
					m = m.Replace
				}
				return m.Version
			}
		}
	}
	return "(version as in go.mod)"
}
