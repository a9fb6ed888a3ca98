//go:build !amd64 || !gc || purego

package kernels

func hasAVX2FMA() bool { return false }

func initPlatform() {
	reason = "built without assembly (purego, not amd64, or not gc)"
}
