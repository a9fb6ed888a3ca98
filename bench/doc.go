// Package bench compares gofma's kernels with other implementations of the
// same operations on the shapes the reference workloads run: gofma's own
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
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -filter '.name:Sgemm .unit:GFLOP/s' -row /shape,/threads -col /impl bench.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -filter '.name:TrainStep .unit:ms/step' -table /workload -row /batch,/threads -col /impl,/path bench.txt
//
// Benchmarks are named BenchmarkSgemm/shape=NAME/impl=IMPL/threads=N and
// report GFLOP/s (2·m·n·k per operation). gofma's multi-threaded
// implementations and OpenBLAS run on 1 and 2 threads, or on the counts
// -threads lists (go test ./bench -args -threads 1,2,4,8,16), as does
// BenchmarkPeak; the pure-Go and gonum ones on one.
//
// BenchmarkTrainStep/workload=W/batch=B/impl=IMPL/path=P/threads=N times
// training steps with mlp, each implementation's Sgemm under gofma's
// elementwise kernels (gofma's own with fused epilogues, a baseline's with
// the epilogue in a second pass), on MNIST's training images of two
// reference workloads: workload=seed/batch=full, 5 vs 8 (11,272 samples,
// 784-196-1, sigmoid, binary cross-entropy, full-batch GD), and
// workload=everyday with batch=32, 128 and 512, all ten digits (60,000
// samples, 784-256-128-10, sigmoid, softmax cross-entropy, Adam,
// mini-batches shuffled and gathered by Fit). path=dense computes the first
// layer's two products from X as a dense matrix; path=sparse, on gofma's
// own implementations only, from X in CSR form, skipping the 80% of pixels
// that are zero (mlp.FitConfig.Sparse). Where the MNIST files are not found
// it trains on random data of the same shapes and skips path=sparse. It
// reports ms/step, the steady state (the steps after a Fit's first);
// ms/first-step, that first step with Fit's one-time setup (packing X, or
// making its CSR form); samples/s, GFLOP/s of the steady steps' matrix
// products (their dense FLOPs on both paths) and %peak, that rate as a
// share of the FMA peak on N threads measured in the same sub-benchmark;
// its ns/op also counts the first step and Fit's check of the data, so
// read ms/step.
//
// BenchmarkPeak/threads=N reports the machine's FMA peak from
// kernels.MeasurePeak, to judge a kernel against. The machines are shared
// and noisy: compare implementations within one run, as ratios, and quote
// medians (benchstat does both).
package bench
