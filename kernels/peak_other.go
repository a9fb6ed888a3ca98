//go:build !amd64 || purego

package kernels

func fmaProbe(int) {}
