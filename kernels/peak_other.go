//go:build !amd64 || !gc || purego

package kernels

func fmaProbe(int) {}
