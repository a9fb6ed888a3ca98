package kernels

import (
	"fmt"
	"runtime"

	"github.com/klauspost/cpuid/v2"
)

// Report describes what runs: the implementation, why it was chosen, and the
// CPU it runs on.
type Report struct {
	Impl    string   // implementation the package-level functions use
	Reason  string   // why the default is what it is (CPU features, GOFMA_KERNELS, build)
	Avail   []string // implementations this machine can run, best first
	CPU     string   // brand string
	AVX2    bool     // the CPU (and OS) run AVX2
	FMA3    bool     // the CPU runs FMA3
	L1D     int      // bytes per core; -1 if unknown
	L2      int      // bytes per core; -1 if unknown
	L3      int      // bytes; -1 if unknown
	Cores   int      // logical cores
	Threads int      // threads the kernels use
}

// Info returns the report for this process now.
func Info() Report {
	r := Report{
		Impl:    Default().Name(),
		Reason:  reason,
		CPU:     cpuid.CPU.BrandName,
		AVX2:    cpuid.CPU.Supports(cpuid.AVX2),
		FMA3:    cpuid.CPU.Supports(cpuid.FMA3),
		L1D:     cpuid.CPU.Cache.L1D,
		L2:      cpuid.CPU.Cache.L2,
		L3:      cpuid.CPU.Cache.L3,
		Cores:   runtime.NumCPU(),
		Threads: Threads(),
	}
	for _, im := range available {
		r.Avail = append(r.Avail, im.name)
	}
	if r.CPU == "" {
		r.CPU = "unknown " + runtime.GOARCH + " CPU"
	}
	return r
}

// String formats the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("kernels=%s (%s; available %v) cpu=%q avx2=%t fma3=%t L1d=%s L2=%s L3=%s cores=%d threads=%d",
		r.Impl, r.Reason, r.Avail, r.CPU, r.AVX2, r.FMA3, size(r.L1D), size(r.L2), size(r.L3), r.Cores, r.Threads)
}

func size(b int) string {
	switch {
	case b < 0:
		return "?"
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", b>>20)
	case b >= 1<<10 && b%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", b>>10)
	}
	return fmt.Sprintf("%dB", b)
}
