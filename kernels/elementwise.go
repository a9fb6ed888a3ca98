package kernels

import "github.com/klauspost/cpuid/v2"

// maxCall is about how many elements one assembly call of the streaming
// kernels processes: a few hundred microseconds at most, since assembly is
// not preemptible.
const maxCall = 1 << 18

// actNTBytes is the output size from which the elementwise assembly kernels
// store around the caches (non-temporal stores): about the size of the
// last-level cache, where the output would evict itself anyway. Tests
// lower it to exercise that path.
var actNTBytes = func() int {
	if l3 := cpuid.CPU.Cache.L3; l3 > 0 {
		return l3
	}
	return 32 << 20
}()
