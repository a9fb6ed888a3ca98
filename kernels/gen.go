package kernels

//go:generate sh -c "cd asm_gen && go run . -family sgemm -out ../zsgemm_amd64.s -stubs ../zsgemm_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family activation -out ../zactivation_amd64.s -stubs ../zactivation_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family vector -out ../zvector_amd64.s -stubs ../zvector_stubs_amd64.go -pkg kernels"
