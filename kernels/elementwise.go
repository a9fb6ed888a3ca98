package kernels

import "github.com/klauspost/cpuid/v2"

// Conventions shared by the elementwise kernels of every family (exp.go,
// activation.go, loss.go, vector.go, update.go); elementwise_amd64.go wires
// their assembly.

// maxCall is about how many elements one assembly call of the streaming
// kernels processes: a few hundred microseconds at most, since assembly is
// not preemptible.
const maxCall = 1 << 18

// ntBytes is the size from which an elementwise kernel stores its output
// around the caches, with non-temporal stores: the size of the last-level
// cache, beyond which the output would not survive in it anyway and
// ordinary stores would first read every output line from memory. The
// transcendental kernels compare their output's size with it (unaryAVX2),
// the streaming ones their working set, all streams of one call (ntStart).
// Tests lower it to reach that path on small data.
var ntBytes = func() int {
	if l3 := cpuid.CPU.Cache.L3; l3 > 0 {
		return l3
	}
	return 32 << 20
}()
