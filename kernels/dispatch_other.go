//go:build !amd64 || purego

package kernels

func hasAVX2FMA() bool { return false }

func initPlatform() {
	reason = "built without assembly (purego or not amd64)"
}
