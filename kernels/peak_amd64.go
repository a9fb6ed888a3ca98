//go:build !purego

package kernels

func fmaProbe(iters int) { fmaPeak(iters) }
