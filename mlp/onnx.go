package mlp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// What WriteONNX writes. The field numbers below are onnx.proto's.
const (
	onnxIRVersion  = 8             // ModelProto.ir_version: IR version 8 (ONNX 1.10 and later)
	onnxOpset      = 13            // the version of the default domain's operator set
	onnxFloat      = 1             // TensorProto.DataType FLOAT, TypeProto.Tensor elem_type
	onnxAttrInt    = 2             // AttributeProto.AttributeType INT
	onnxInput      = "input"       // the graph's input
	onnxOutput     = "output"      // the graph's output
	onnxBatch      = "N"           // the symbolic first dimension of both
	onnxMaxMessage = math.MaxInt32 // protobuf's limit on an encoded message: 2 GiB − 1 bytes
	onnxWriteChunk = 64 << 10      // bytes of weights WriteONNX encodes at once
	onnxProducer   = "gofma"       // ModelProto.producer_name
	onnxGraphName  = "gofma_mlp"   // GraphProto.name begins with it
	protoVarint    = 0             // wire type of int32, int64, enums
	protoBytes     = 2             // wire type of strings, bytes, messages
)

// WriteONNX writes the network to w as an ONNX model (a ModelProto of IR
// version 8, operator set 13 of the default domain) that computes what
// Predict does, up to float32 rounding. Its graph has one input, "input",
// a float32 tensor of shape [N, Inputs] with N a symbolic dimension, and
// one output, "output", of shape [N, Outputs]. Layer k (from 1) is a Gemm
// node of the previous layer's output with the initializers "layerk.W",
// the out×in weights (transB = 1), and "layerk.b", the bias, followed by
// its activation's node (Sigmoid, Tanh or Relu; none for Identity). The
// last layer is followed by the head: Sigmoid for BinaryCrossEntropy,
// Softmax with axis = 1 for CrossEntropy, nothing for MeanSquaredError.
// Weights and biases are stored as raw little-endian float32, as they
// are, NaN and infinity included.
//
// WriteONNX writes through a buffer, which it flushes before returning; it
// copies no more than a small chunk of the weights at a time. A model
// larger than protobuf's 2 GiB limit on a message is an error before
// anything is written: it would need ONNX's external data, which WriteONNX
// does not write. Errors of w are wrapped. WriteONNX only reads the
// weights: like Predict, it must not run while they change.
func (n *Network) WriteONNX(w io.Writer) error {
	m, err := n.onnxModel()
	if err != nil {
		return err
	}
	if err := m.write(w); err != nil {
		return fmt.Errorf("mlp: onnx: writing: %w", err)
	}
	return nil
}

// WriteONNXFile writes the network's ONNX model (see WriteONNX) to the
// file path, replacing it whole or not at all, as SaveFile replaces a
// model file. Errors name the file.
func (n *Network) WriteONNXFile(path string) error {
	m, err := n.onnxModel()
	if err != nil {
		return err
	}
	if err := replaceFile(path, m.write); err != nil {
		return fmt.Errorf("mlp: onnx: %s: %w", path, err)
	}
	return nil
}

// onnxModel is an encoded ModelProto but for the weights, which stay in
// the network until it is written: head, then each tensor's head and its
// data, then tail.
type onnxModel struct {
	head    []byte // the model's fields before the graph's initializers, down to the graph's nodes and name
	tensors []onnxTensor
	tail    []byte // the graph's input and output, then the model's opset_import
}

// onnxTensor is one of the graph's initializers.
type onnxTensor struct {
	head  []byte    // GraphProto.initializer's key and length, then the TensorProto up to raw_data's length
	data  []float32 // raw_data's values
	bytes int64     // raw_data's length
}

// onnxModel encodes the network's model, or returns the error of a model
// too large to write.
func (n *Network) onnxModel() (*onnxModel, error) {
	var nodes []byte
	var tensors []onnxTensor
	prev := onnxInput
	for i, l := range n.layers {
		k := strconv.Itoa(i + 1)
		op, attrs := l.act.onnxOp(), []byte(nil)
		out := "layer" + k + ".a" // the layer's output
		if i == len(n.layers)-1 {
			op, attrs = n.cfg.Loss.onnxHead()
			out = onnxOutput
		}
		z := out // Gemm's output
		if op != "" {
			z = "layer" + k + ".z"
		}
		wName, bName := "layer"+k+".W", "layer"+k+".b"
		gemm := onnxNode("layer"+k+".gemm", "Gemm", []string{prev, wName, bName}, z, onnxIntAttr("transB", 1))
		nodes = protoAppendBytes(nodes, 1, gemm) // GraphProto.node
		if op != "" {
			node := onnxNode("layer"+k+"."+strings.ToLower(op), op, []string{z}, out, attrs)
			nodes = protoAppendBytes(nodes, 1, node)
		}
		prev = out
		tensors = append(tensors,
			onnxTensorOf(wName, []int{l.out, l.in}, l.w),
			onnxTensorOf(bName, []int{l.out}, l.b))
	}

	name := onnxGraphName
	for _, l := range n.layers {
		name += "_" + strconv.Itoa(l.in)
	}
	name += "_" + strconv.Itoa(n.cfg.Outputs)
	graphHead := protoAppendString(nodes, 2, name) // GraphProto.name
	graphTail := protoAppendBytes(nil, 11, onnxValueInfo(onnxInput, n.cfg.Inputs))
	graphTail = protoAppendBytes(graphTail, 12, onnxValueInfo(onnxOutput, n.cfg.Outputs))
	graphLen := int64(len(graphHead) + len(graphTail))
	for _, t := range tensors {
		graphLen += int64(len(t.head)) + t.bytes
	}

	m := &onnxModel{tensors: tensors}
	m.head = protoAppendInt(nil, 1, onnxIRVersion)      // ModelProto.ir_version
	m.head = protoAppendString(m.head, 2, onnxProducer) // ModelProto.producer_name
	m.head = protoAppendKey(m.head, 7, protoBytes)      // ModelProto.graph
	m.head = binary.AppendUvarint(m.head, uint64(graphLen))
	graphAt := len(m.head)
	m.head = append(m.head, graphHead...)
	opset := protoAppendString(nil, 1, "") // OperatorSetIdProto.domain: the default, ai.onnx
	opset = protoAppendInt(opset, 2, onnxOpset)
	m.tail = protoAppendBytes(graphTail, 8, opset) // ModelProto.opset_import

	size := int64(graphAt) + graphLen + int64(len(m.tail)-len(graphTail))
	if size > onnxMaxMessage {
		big := 0 // the layer with the largest weight tensor, the largest tensor
		for i, t := range tensors {
			if t.bytes > tensors[2*big].bytes {
				big = i / 2
			}
		}
		l := n.layers[big]
		return nil, fmt.Errorf("mlp: onnx: the model would be %d bytes, more than protobuf's 2 GiB limit on a message (its largest tensor, layer %d's %d×%d weights, is %d bytes): a network this large needs ONNX external data, which WriteONNX does not write",
			size, big+1, l.out, l.in, tensors[2*big].bytes)
	}
	return m, nil
}

// onnxOp returns the ONNX operator that applies a, or "" for Identity.
func (a Activation) onnxOp() string {
	switch a {
	case Sigmoid:
		return "Sigmoid"
	case Tanh:
		return "Tanh"
	case ReLU:
		return "Relu"
	}
	return ""
}

// onnxHead returns the ONNX operator that turns logits into l's outputs,
// "" for none, and its encoded attributes.
func (l Loss) onnxHead() (op string, attrs []byte) {
	switch l {
	case BinaryCrossEntropy:
		return "Sigmoid", nil
	case CrossEntropy:
		return "Softmax", onnxIntAttr("axis", 1)
	}
	return "", nil
}

// onnxNode returns the NodeProto named name of operator op on inputs,
// with one output and attrs, a sequence of encoded NodeProto.attribute
// fields.
func onnxNode(name, op string, inputs []string, output string, attrs []byte) []byte {
	var b []byte
	for _, in := range inputs {
		b = protoAppendString(b, 1, in) // NodeProto.input
	}
	b = protoAppendString(b, 2, output) // NodeProto.output
	b = protoAppendString(b, 3, name)   // NodeProto.name
	b = protoAppendString(b, 4, op)     // NodeProto.op_type
	return append(b, attrs...)
}

// onnxIntAttr returns the NodeProto.attribute field of an integer
// attribute.
func onnxIntAttr(name string, v int64) []byte {
	a := protoAppendString(nil, 1, name) // AttributeProto.name
	a = protoAppendInt(a, 3, v)          // AttributeProto.i
	a = protoAppendInt(a, 20, onnxAttrInt)
	return protoAppendBytes(nil, 5, a)
}

// onnxValueInfo returns the ValueInfoProto of a float32 tensor named name
// of shape [N, cols].
func onnxValueInfo(name string, cols int) []byte {
	var shape []byte                                                         // TensorShapeProto
	shape = protoAppendBytes(shape, 1, protoAppendString(nil, 2, onnxBatch)) // dim { dim_param }
	shape = protoAppendBytes(shape, 1, protoAppendInt(nil, 1, int64(cols)))  // dim { dim_value }
	tensor := protoAppendInt(nil, 1, onnxFloat)                              // TypeProto.Tensor.elem_type
	tensor = protoAppendBytes(tensor, 2, shape)                              // TypeProto.Tensor.shape
	typ := protoAppendBytes(nil, 1, tensor)                                  // TypeProto.tensor_type
	vi := protoAppendString(nil, 1, name)                                    // ValueInfoProto.name
	return protoAppendBytes(vi, 2, typ)                                      // ValueInfoProto.type
}

// onnxTensorOf returns the initializer name of shape dims holding data.
// Its sizes come from dims, so that a model's size is known before its
// data is read.
func onnxTensorOf(name string, dims []int, data []float32) onnxTensor {
	var fields []byte
	count := int64(1)
	for _, d := range dims {
		fields = protoAppendInt(fields, 1, int64(d)) // TensorProto.dims
		count *= int64(d)
	}
	fields = protoAppendInt(fields, 2, onnxFloat)  // TensorProto.data_type
	fields = protoAppendString(fields, 8, name)    // TensorProto.name
	fields = protoAppendKey(fields, 9, protoBytes) // TensorProto.raw_data
	fields = binary.AppendUvarint(fields, uint64(4*count))
	head := protoAppendKey(nil, 5, protoBytes) // GraphProto.initializer
	head = binary.AppendUvarint(head, uint64(int64(len(fields))+4*count))
	return onnxTensor{head: append(head, fields...), data: data, bytes: 4 * count}
}

// write writes the model to w, returning w's error unwrapped.
func (m *onnxModel) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, onnxWriteChunk)
	if _, err := bw.Write(m.head); err != nil {
		return err
	}
	buf := make([]byte, onnxWriteChunk)
	for _, t := range m.tensors {
		if _, err := bw.Write(t.head); err != nil {
			return err
		}
		for p := t.data; len(p) > 0; {
			k := min(len(p), len(buf)/4)
			for i, v := range p[:k] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := bw.Write(buf[:4*k]); err != nil {
				return err
			}
			p = p[k:]
		}
	}
	if _, err := bw.Write(m.tail); err != nil {
		return err
	}
	return bw.Flush()
}

// protoAppendKey appends the key of field f with wire type wire.
func protoAppendKey(b []byte, f, wire int) []byte {
	return binary.AppendUvarint(b, uint64(f)<<3|uint64(wire))
}

// protoAppendInt appends field f, an int32, int64 or enum, with value v.
func protoAppendInt(b []byte, f int, v int64) []byte {
	return binary.AppendUvarint(protoAppendKey(b, f, protoVarint), uint64(v))
}

// protoAppendBytes appends field f, bytes or an encoded message, with
// value p.
func protoAppendBytes(b []byte, f int, p []byte) []byte {
	b = binary.AppendUvarint(protoAppendKey(b, f, protoBytes), uint64(len(p)))
	return append(b, p...)
}

// protoAppendString appends field f, a string, with value s.
func protoAppendString(b []byte, f int, s string) []byte {
	b = binary.AppendUvarint(protoAppendKey(b, f, protoBytes), uint64(len(s)))
	return append(b, s...)
}
