# gofma: make generate · test · bench · check (check is what CI runs).
GO ?= go
BENCH_COUNT ?= 10
BENCH_RUN ?= .
# benchstat at a fixed version, so that tables can be reproduced.
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# The OpenBLAS baseline needs cgo and libopenblas (Debian: apt-get install libopenblas-dev).
BENCH_TAGS ?= $(shell pkg-config --exists openblas 2>/dev/null && [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo openblas)

.PHONY: generate test bench check check-generated check-asm check-binaries

generate:
	$(GO) generate ./kernels

test:
	$(GO) test -count=1 ./...

bench:
	@mkdir -p bench/out
	@echo "$(GO) test -tags '$(BENCH_TAGS)' -bench '$(BENCH_RUN)' -count $(BENCH_COUNT) ./bench > bench/out/bench.txt"
	@{ $(GO) test -tags '$(BENCH_TAGS)' -run '^$$' -bench '$(BENCH_RUN)' -count $(BENCH_COUNT) -timeout 0 ./bench; \
	   echo $$? > bench/out/.status; } | tee bench/out/bench.txt
	@exit $$(cat bench/out/.status)
	$(BENCHSTAT) -filter '.name:Sgemm .unit:GFLOP/s' -table .config,/threads -row /shape -col /impl bench/out/bench.txt
	$(BENCHSTAT) -filter '.name:TrainStep .unit:ms/step' -row /threads -col /impl bench/out/bench.txt
	$(BENCHSTAT) -filter '.name:Peak' -row /threads bench/out/bench.txt

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
