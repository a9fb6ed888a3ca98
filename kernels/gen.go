package kernels

//go:generate sh -c "cd asm_gen && go run . -out ../zkernels_amd64.s -stubs ../zstubs_amd64.go -pkg kernels"
