package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// biasActs emits the part of a fused epilogue that the GEMM's micro-tiles
// and the grouped sparse kernels share, on accumulators acc(r, v) (rows ×
// vecs) with the epilogue code in e (not zero): the bias per row or per
// column its flags ask for, then the activation its code names, sigmoid
// and ReLU in registers with Y12–Y15 as scratch, and then done. Tanh
// jumps to label("tanh"), which the caller emits, when tanh is set, and is
// left alone (a jump to done) otherwise; so is identity.
type biasActs struct {
	rows, vecs int
	acc        func(r, v int) reg.VecPhysical
	e          reg.Register
	label      func(string) string // the kernel's name for a label
	// rowBias and colBias set up the addressing of the row and column
	// biases, once; rowVec broadcasts row r's bias into y, and colVec
	// loads the bias of the columns of vector v into y.
	rowBias, colBias func()
	rowVec, colVec   func(i int, y reg.VecPhysical)
	scratch          reg.VecPhysical // the bias vector; Y12 when zero
	tanh             bool
	done             string
	doneNext         bool // done follows the epilogue: no jump to it at the end
}

// emit emits the epilogue.
func (b biasActs) emit() {
	y := b.scratch
	if y == nil {
		y = reg.Y12
	}
	all := func(f func(a reg.VecPhysical)) {
		for r := 0; r < b.rows; r++ {
			for v := 0; v < b.vecs; v++ {
				f(b.acc(r, v))
			}
		}
	}
	TESTQ(U32(epiRowBias), b.e)
	JE(LabelRef(b.label("norowbias")))
	b.rowBias()
	for r := 0; r < b.rows; r++ {
		b.rowVec(r, y)
		for v := 0; v < b.vecs; v++ {
			VADDPS(y, b.acc(r, v), b.acc(r, v))
		}
	}
	Label(b.label("norowbias"))
	TESTQ(U32(epiColBias), b.e)
	JE(LabelRef(b.label("nocolbias")))
	b.colBias()
	for v := 0; v < b.vecs; v++ {
		b.colVec(v, y)
		for r := 0; r < b.rows; r++ {
			VADDPS(y, b.acc(r, v), b.acc(r, v))
		}
	}
	Label(b.label("nocolbias"))
	SHRQ(U8(epiActShift), b.e)
	CMPQ(b.e, U8(actSigmoid))
	JE(LabelRef(b.label("sigmoid")))
	if b.tanh {
		CMPQ(b.e, U8(actTanh))
		JE(LabelRef(b.label("tanh")))
	}
	CMPQ(b.e, U8(actReLU))
	JNE(LabelRef(b.done))
	VXORPS(y, y, y)
	all(func(a reg.VecPhysical) { VMAXPS(a, y, a) }) // NaN, the second operand, stays
	JMP(LabelRef(b.done))
	Label(b.label("sigmoid"))
	all(func(a reg.VecPhysical) { sigmoidBody([]reg.VecPhysical{a, reg.Y12, reg.Y13, reg.Y14, reg.Y15}) })
	if !b.doneNext {
		JMP(LabelRef(b.done))
	}
}
