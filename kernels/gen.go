package kernels

//go:generate sh -c "cd asm_gen && go run . -consts ../zconst.go"
//go:generate sh -c "cd asm_gen && go run . -family sgemm -out ../zsgemm_amd64.s -stubs ../zsgemm_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family pack -out ../zpack_amd64.s -stubs ../zpack_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family peak -out ../zpeak_amd64.s -stubs ../zpeak_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family exp -out ../zexp_amd64.s -stubs ../zexp_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family activation -out ../zactivation_amd64.s -stubs ../zactivation_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family loss -out ../zloss_amd64.s -stubs ../zloss_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family vector -out ../zvector_amd64.s -stubs ../zvector_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family update -out ../zupdate_amd64.s -stubs ../zupdate_stubs_amd64.go -pkg kernels"
//go:generate sh -c "cd asm_gen && go run . -family sparse -out ../zsparse_amd64.s -stubs ../zsparse_stubs_amd64.go -pkg kernels"
