// Package bench compares gofma's kernels with other implementations of the
// same operations on the shapes the reference workload runs: gofma's own
// implementations (impl=avx2, impl=generic), gonum's pure-Go BLAS
// (impl=gonum) and, with the build tag openblas (cgo and libopenblas-dev),
// OpenBLAS (impl=openblas).
//
// It is a benchmark package and exports nothing: the code lives in its
// tests, and the non-test files hold only the list of implementations,
// because the OpenBLAS wrapper needs cgo, which test files cannot use. Each
// implementation is a kernels.Impl: gofma's own, or for a baseline gofma's
// best with the baseline's Sgemm (kernels' WithSgemm; gonum's through
// mat32.SgemmOf), so that one loop runs them all side by side in one
// process. Run it with
//
//	go test -run XXX -bench . -count 10 ./bench > bench.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl bench.txt
//
// Benchmarks are named BenchmarkSgemm/shape=NAME/impl=IMPL/threads=N and
// report GFLOP/s (2·m·n·k per operation); BenchmarkTrainStep/impl=IMPL/threads=N
// times full-batch training steps of the reference workload with mlp, each
// implementation's Sgemm under gofma's elementwise kernels (gofma's own with
// fused epilogues, a baseline's with the epilogue in a second pass), in
// ms/step; BenchmarkPeak/threads=N reports the machine's FMA peak from
// kernels.MeasurePeak, to judge a kernel against. The machines are shared
// and noisy: compare implementations within one run, as ratios, and quote
// medians (benchstat does both).
package bench
