//go:build !purego

package kernels

var avx2Vec = genericVec
