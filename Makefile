# gofma: make generate · test · bench · check (check is what CI runs).
GO ?= go
BENCH_COUNT ?= 10
BENCH_TIME ?= 1s
BENCH_RUN ?= .
comma := ,
# benchstat at a fixed version, so that tables can be reproduced.
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# The OpenBLAS baseline needs cgo and libopenblas (Debian: apt-get install libopenblas-dev).
BENCH_TAGS ?= $(shell pkg-config --exists openblas 2>/dev/null && [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo openblas)

.PHONY: generate test bench bench-sgemm bench-kernels bench-parts check check-generated check-asm check-binaries fuzz

generate:
	$(GO) generate ./kernels

test:
	$(GO) test -count=1 ./...

# bench runs every benchmark README quotes and prints its benchstat tables;
# bench-sgemm, bench-kernels and bench-parts run one part each. Raw results
# go to bench/out/*.txt. BENCH_RUN narrows bench-sgemm's benchmarks.
bench: bench-sgemm bench-kernels bench-parts

# runbench runs `go test -bench` with the arguments $(2) into bench/out/$(1),
# keeping go test's exit status through the pipe.
define runbench
	@mkdir -p bench/out
	@echo "$(GO) test -run '^$$' -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) $(2) > bench/out/$(1)"
	@{ $(GO) test -run '^$$' -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -timeout 0 $(2); echo $$? > bench/out/.status; } | tee bench/out/$(1)
	@exit $$(cat bench/out/.status)
endef

# SGEMM and the training steps of both workloads (full batch; mini-batches of
# 32, 128, 512) against gonum, pure Go and OpenBLAS, the first layer dense and,
# on gofma's kernels, sparse (columns IMPL PATH, against avx2 dense); the FMA peak.
bench-sgemm:
	$(call runbench,sgemm.txt,-tags '$(BENCH_TAGS)' -bench '$(BENCH_RUN)' ./bench)
	$(BENCHSTAT) -filter '.name:Sgemm .unit:GFLOP/s' -table .config,/threads -row /shape -col /impl bench/out/sgemm.txt
	$(BENCHSTAT) -filter '.name:TrainStep .unit:ms/step' -table /workload -row /batch,/threads -col /impl,/path bench/out/sgemm.txt
	$(BENCHSTAT) -filter '.name:TrainStep .unit:%peak' -row /workload,/batch,/threads -col /impl,/path bench/out/sgemm.txt
	$(BENCHSTAT) -filter '.name:Peak' -row /threads bench/out/sgemm.txt

# Elementwise kernels (bytes read and written per second, in L2 and out of
# cache, against copy) and the fused forward layer against the bare GEMM.
bench-kernels:
	$(call runbench,kernels.txt,-short -bench '^Benchmark(Copy|Sigmoid|Tanh|SigmoidBackward|TanhBackward|Adam|SgemmEpilogue|CountNonzero|CompressNonzero)$$/^(size=(L2|mem)|shape=)' ./kernels)
	$(BENCHSTAT) -filter '.unit:B/s' -row .name,/size -col /impl bench/out/kernels.txt
	$(BENCHSTAT) -filter '.name:SgemmEpilogue .unit:sec/op' -row /impl -col /epilogue bench/out/kernels.txt

# mat32 products against gonum's, and a training step against its GEMMs alone.
bench-parts:
	$(call runbench,mat32.txt,-bench Product ./mat32)
	$(call runbench,mlp.txt,-bench StepOverhead -cpu 1$(comma)2 ./mlp)
	$(BENCHSTAT) -filter '.unit:GFLOP/s' -row /shape -col /impl bench/out/mat32.txt
	$(BENCHSTAT) -filter '.name:StepOverhead' bench/out/mlp.txt

# check-generated fails when the avo output is not what `make generate` writes.
check-generated:
	$(GO) generate ./kernels
	@git diff --exit-code -- kernels/ && test -z "$$(git status --porcelain -- kernels/)" || \
		(git status --short -- kernels/; echo "generated files differ from main: run make generate and commit"; exit 1)

# check-asm fails when an assembly file names a register that exists only with AVX-512.
check-asm:
	@if grep -nE '\b([XY](1[6-9]|2[0-9]|3[01])|Z([0-9]|[12][0-9]|3[01])|K[0-7])\b' kernels/*.s; then \
		echo "AVX-512-only registers in kernels/*.s"; exit 1; fi

# check-binaries fails when git tracks an executable binary (build outputs
# belong in .gitignore).
check-binaries:
	@bash .ci/no-binaries

check: check-binaries check-generated check-asm
	test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags purego ./...
	GOFMA_KERNELS=generic $(GO) test -count=1 ./kernels
	$(GO) test -count=1 -race -short ./...
	$(GO) test -count=1 -tags '$(BENCH_TAGS)' -run . ./bench
	$(GO) test -count=1 -run XXX -bench . -benchtime 1x ./kernels
	$(MAKE) fuzz

# fuzz runs every fuzz target of the module for FUZZ_TIME each (go test
# fuzzes one target at a time); check runs it briefly, to find what the
# seed corpora miss. A failure leaves its input in the package's testdata.
# FUZZ_TIME counts executions, not seconds: with a duration, Go 1.26's
# coordinator can fail a target with a bare "context deadline exceeded"
# when the time runs out mid-execution (go.dev/issue/75804, fixed in 1.27).
# 30000 executions take 1 to 15 s a target on the development VM.
FUZZ_TIME ?= 30000x
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "$(GO) test -run '^\$$' -fuzz '^$$f\$$' -fuzztime $(FUZZ_TIME) $$pkg"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZ_TIME) $$pkg; \
		done; \
	done
