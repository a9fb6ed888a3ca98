# gofma: make generate · test · bench · check (check is what CI runs).
GO ?= go
BENCH_COUNT ?= 10
BENCH_FILTER ?= .
# OpenBLAS joins the benchmarks when its header is installed (Debian: libopenblas-dev).
OPENBLAS_TAG := $(shell test -f /usr/include/x86_64-linux-gnu/cblas.h -o -f /usr/include/cblas.h && echo -tags openblas)

.PHONY: generate test bench check check-generated check-asm

generate:
	$(GO) generate ./kernels

test:
	$(GO) test ./...

bench:
	mkdir -p bench/out
	$(GO) test $(OPENBLAS_TAG) -run XXX -bench '$(BENCH_FILTER)' -count $(BENCH_COUNT) -timeout 0 ./bench | tee bench/out/bench.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@latest -col /impl bench/out/bench.txt

# check-generated fails when the avo output is not what `make generate` writes.
check-generated:
	$(GO) generate ./kernels
	git diff --exit-code -- kernels/

# check-asm fails when an assembly file names a register that exists only with AVX-512.
check-asm:
	@if grep -nE '\b([XY](1[6-9]|2[0-9]|3[01])|Z([0-9]|[12][0-9]|3[01])|K[0-7])\b' kernels/*.s; then \
		echo "AVX-512-only registers in kernels/*.s"; exit 1; fi

check: check-generated check-asm
	test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	$(GO) test ./...
	$(GO) test -tags purego ./...
	GOFMA_KERNELS=generic $(GO) test ./kernels
	$(GO) test -race -short ./...
	$(GO) test $(OPENBLAS_TAG) -run . ./bench
	$(GO) test -run XXX -bench . -benchtime 1x ./kernels
