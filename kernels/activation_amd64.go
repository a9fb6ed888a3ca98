//go:build !purego

package kernels

var avx2Act = genericAct
