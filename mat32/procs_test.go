package mat32

import "runtime"

// setProcs sets GOMAXPROCS to n and returns the function that restores it.
func setProcs(n int) func() {
	prev := runtime.GOMAXPROCS(n)
	return func() { runtime.GOMAXPROCS(prev) }
}
