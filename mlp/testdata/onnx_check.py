#!/usr/bin/env python3
"""Checks ONNX models that mlp.Network.WriteONNX wrote, independently of Go.

Usage: onnx_check.py MANIFEST

MANIFEST is a JSON file {"cases": [...]}, each case with:
  name     what to call it in messages
  model    the .onnx file
  inputs   the samples, rows x cols float32, little-endian, row-major
  rows     the number of samples
  cols     features per sample (the network's inputs)
  outputs  the network's outputs
  result   the file to write the model's outputs to: rows x outputs
           float64, little-endian, row-major

Each model is loaded with onnx.load, checked with
onnx.checker.check_model(full_check=True) and
onnx.shape_inference.infer_shapes(strict_mode=True), and evaluated here with
numpy in float64 (from its float32 weights), node by node in graph order;
only Gemm, Sigmoid, Tanh, Relu and Softmax are known, and any other operator
or attribute is an error. The caller compares the results with Predict.
Exits with status 1 and a message on the first problem.
"""

import json
import sys

import numpy as np
import onnx
import onnx.checker
import onnx.helper
import onnx.numpy_helper
import onnx.shape_inference


class CheckError(Exception):
    pass


def attributes(node, known):
    """Returns node's attributes as a dict, failing on any not in known."""
    attrs = {}
    for a in node.attribute:
        if a.name not in known:
            raise CheckError(f"node {node.name!r} ({node.op_type}) has unknown attribute {a.name!r}")
        attrs[a.name] = onnx.helper.get_attribute_value(a)
    return attrs


def gemm(node, args):
    """Gemm as the ONNX spec defines it: alpha * A' @ B' + beta * C."""
    attrs = attributes(node, {"alpha", "beta", "transA", "transB"})
    if len(args) not in (2, 3):
        raise CheckError(f"Gemm node {node.name!r} has {len(args)} inputs, need 2 or 3")
    a, b = args[0], args[1]
    if a.ndim != 2 or b.ndim != 2:
        raise CheckError(f"Gemm node {node.name!r}: A is {a.ndim}-D and B {b.ndim}-D, need 2-D")
    if attrs.get("transA", 0):
        a = a.T
    if attrs.get("transB", 0):
        b = b.T
    if a.shape[1] != b.shape[0]:
        raise CheckError(f"Gemm node {node.name!r}: A' is {a.shape}, B' {b.shape}")
    y = float(attrs.get("alpha", 1.0)) * (a @ b)
    if len(args) == 3 and args[2] is not None:
        c = args[2]
        # C must broadcast to Y unidirectionally.
        if np.broadcast_shapes(c.shape, y.shape) != y.shape:
            raise CheckError(f"Gemm node {node.name!r}: C of shape {c.shape} does not broadcast to {y.shape}")
        y = y + float(attrs.get("beta", 1.0)) * c
    return y


def sigmoid(node, args):
    attributes(node, set())
    x = args[0]
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def tanh(node, args):
    attributes(node, set())
    return np.tanh(args[0])


def relu(node, args):
    attributes(node, set())
    return np.maximum(args[0], 0)


def softmax(node, args):
    # Softmax-13: along one axis, by default the last.
    attrs = attributes(node, {"axis"})
    x = args[0]
    axis = attrs.get("axis", -1)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


OPS = {"Gemm": gemm, "Sigmoid": sigmoid, "Tanh": tanh, "Relu": relu, "Softmax": softmax}


def dims(value_info):
    """The shape of a ValueInfoProto as a list of ints and dim_param strings."""
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        which = d.WhichOneof("value")
        out.append(d.dim_value if which == "dim_value" else d.dim_param if which == "dim_param" else None)
    return out


def check_interface(model, case):
    g = model.graph
    if model.ir_version != 8:
        raise CheckError(f"ir_version {model.ir_version}, want 8")
    opsets = [(o.domain, o.version) for o in model.opset_import]
    if opsets != [("", 13)]:
        raise CheckError(f"opset_import {opsets}, want [('', 13)]")
    if [i.name for i in g.input] != ["input"] or [o.name for o in g.output] != ["output"]:
        raise CheckError(f"graph inputs {[i.name for i in g.input]}, outputs {[o.name for o in g.output]}: want ['input'], ['output']")
    for vi, cols in ((g.input[0], case["cols"]), (g.output[0], case["outputs"])):
        if vi.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise CheckError(f"{vi.name} has element type {vi.type.tensor_type.elem_type}, want FLOAT")
        if dims(vi) != ["N", cols]:
            raise CheckError(f"{vi.name} has shape {dims(vi)}, want ['N', {cols}]")


def evaluate(model, x):
    values = {"input": x}
    for init in model.graph.initializer:
        values[init.name] = onnx.numpy_helper.to_array(init).astype(np.float64)
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise CheckError(f"node {node.name!r} is in domain {node.domain!r}")
        op = OPS.get(node.op_type)
        if op is None:
            raise CheckError(f"node {node.name!r} has operator {node.op_type}, which this check does not know")
        args = []
        for name in node.input:
            if name == "":
                args.append(None)  # an optional input left out
            elif name not in values:
                raise CheckError(f"node {node.name!r} reads {name!r}, which nothing computed")
            else:
                args.append(values[name])
        if len(node.output) != 1:
            raise CheckError(f"node {node.name!r} has {len(node.output)} outputs, want 1")
        values[node.output[0]] = op(node, args)
    if "output" not in values:
        raise CheckError("no node computes 'output'")
    return values["output"]


def check(case):
    model = onnx.load(case["model"])
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    check_interface(inferred, case)
    rows, cols = case["rows"], case["cols"]
    x = np.fromfile(case["inputs"], dtype="<f4")
    if x.size != rows * cols:
        raise CheckError(f"{case['inputs']} holds {x.size} values, want {rows}x{cols}")
    y = evaluate(model, x.reshape(rows, cols).astype(np.float64))
    if y.shape != (rows, case["outputs"]):
        raise CheckError(f"output has shape {y.shape}, want {(rows, case['outputs'])}")
    y.astype("<f8").tofile(case["result"])
    ops = " ".join(n.op_type for n in model.graph.node)
    print(f"{case['name']}: checked and evaluated {rows} rows: {ops}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: onnx_check.py MANIFEST")
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    print(f"onnx {onnx.__version__}, numpy {np.__version__}")
    for case in manifest["cases"]:
        try:
            check(case)
        except Exception as e:  # the checker's and shape inference's errors too
            sys.exit(f"{case['name']}: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
