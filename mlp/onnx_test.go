package mlp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gofma/gofma/mat32"
)

// onnxCase is a network for the ONNX tests and the nodes its model must
// have, in order.
type onnxCase struct {
	name string
	cfg  Config
	ops  []string
}

// onnxCases cover every activation, every head, networks without hidden
// layers, and weights of more than one write chunk. No layer is square, so
// a transposed weight matrix cannot pass.
var onnxCases = []onnxCase{
	{"bce/every-activation", Config{Inputs: 5, Hidden: []Layer{{7, Sigmoid}, {6, Tanh}, {4, ReLU}, {3, Identity}}, Outputs: 2, Loss: BinaryCrossEntropy},
		[]string{"Gemm", "Sigmoid", "Gemm", "Tanh", "Gemm", "Relu", "Gemm", "Gemm", "Sigmoid"}},
	{"crossentropy/relu", Config{Inputs: 4, Hidden: []Layer{{9, ReLU}}, Outputs: 3, Loss: CrossEntropy},
		[]string{"Gemm", "Relu", "Gemm", "Softmax"}},
	{"mse/tanh-sigmoid", Config{Inputs: 3, Hidden: []Layer{{5, Tanh}, {4, Sigmoid}}, Outputs: 2, Loss: MeanSquaredError},
		[]string{"Gemm", "Tanh", "Gemm", "Sigmoid", "Gemm"}},
	{"mse/identity", Config{Inputs: 3, Hidden: []Layer{{4, Identity}}, Outputs: 1, Loss: MeanSquaredError},
		[]string{"Gemm", "Gemm"}},
	{"bce/one-layer", Config{Inputs: 6, Outputs: 1, Loss: BinaryCrossEntropy}, []string{"Gemm", "Sigmoid"}},
	{"crossentropy/one-layer", Config{Inputs: 3, Outputs: 4, Loss: CrossEntropy}, []string{"Gemm", "Softmax"}},
	{"mse/one-layer", Config{Inputs: 2, Outputs: 3, Loss: MeanSquaredError}, []string{"Gemm"}},
	// W1 is 80,000 bytes, more than one chunk of onnxWriteChunk.
	{"crossentropy/chunks", Config{Inputs: 200, Hidden: []Layer{{100, ReLU}}, Outputs: 10, Loss: CrossEntropy, Init: InitHe},
		[]string{"Gemm", "Relu", "Gemm", "Softmax"}},
}

// onnxNet returns the network of c with random biases (New's are zero).
func onnxNet(t testing.TB, c onnxCase, seed uint64) *Network {
	t.Helper()
	cfg := c.cfg
	cfg.Seed = seed
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	for l := range n.NumLayers() {
		for i := range n.Bias(l) {
			n.Bias(l)[i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	return n
}

// writeONNX returns the network's ONNX model.
func writeONNX(t testing.TB, n *Network) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := n.WriteONNX(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteONNXGraph(t *testing.T) {
	for _, c := range onnxCases {
		t.Run(c.name, func(t *testing.T) {
			n := onnxNet(t, c, 1)
			// Values that must be stored as they are, payloads included.
			w := n.Weights(0).RawMatrix().Data
			w[0] = float32(math.NaN())
			w[1] = math.Float32frombits(0x7fc12345) // a NaN with a payload
			w[2] = float32(math.Inf(1))
			w[len(w)-1] = float32(math.Inf(-1))
			n.Bias(0)[0] = float32(math.Copysign(0, -1))

			b := writeONNX(t, n)
			if again := writeONNX(t, n); !bytes.Equal(b, again) {
				t.Fatal("two writes of one network differ")
			}
			m, err := decodeONNX(b)
			if err != nil {
				t.Fatalf("not a well-formed model: %v", err)
			}
			checkONNXGraph(t, n, c.ops, m)
		})
	}
}

// checkONNXGraph checks the decoded model m of n, whose nodes' operators
// must be ops.
func checkONNXGraph(t *testing.T, n *Network, ops []string, m *onnxDecoded) {
	t.Helper()
	cfg := n.Config()
	if m.irVersion != 8 || m.producer != "gofma" {
		t.Errorf("ir_version %d, producer_name %q; want 8, gofma", m.irVersion, m.producer)
	}
	if want := []onnxDecodedOpset{{"", 13}}; !slices.Equal(m.opsets, want) {
		t.Errorf("opset_import %v, want %v", m.opsets, want)
	}
	if m.graphName == "" {
		t.Error("the graph has no name")
	}
	var got []string
	for _, nd := range m.nodes {
		got = append(got, nd.op)
	}
	if !slices.Equal(got, ops) {
		t.Fatalf("nodes %v, want %v", got, ops)
	}

	// The data flow: each node reads the one before, Gemm reads layer l's
	// initializers, and the last node writes "output".
	inits := map[string]onnxDecodedTensor{}
	for _, ini := range m.inits {
		if _, dup := inits[ini.name]; dup {
			t.Errorf("two initializers named %q", ini.name)
		}
		inits[ini.name] = ini
	}
	if len(m.inits) != 2*n.NumLayers() {
		t.Errorf("%d initializers, want %d", len(m.inits), 2*n.NumLayers())
	}
	prev, layer := "input", 0
	names := map[string]bool{"input": true}
	for i, nd := range m.nodes {
		if len(nd.outputs) != 1 || names[nd.outputs[0]] {
			t.Fatalf("node %d (%s) has outputs %q: want one new name", i, nd.op, nd.outputs)
		}
		names[nd.outputs[0]] = true
		if len(nd.inputs) == 0 || nd.inputs[0] != prev {
			t.Fatalf("node %d (%s) has inputs %q: want %q first", i, nd.op, nd.inputs, prev)
		}
		prev = nd.outputs[0]
		switch nd.op {
		case "Gemm":
			if len(nd.inputs) != 3 {
				t.Fatalf("Gemm node %d has inputs %q, want A, B, C", i, nd.inputs)
			}
			if want := map[string]int64{"transB": 1}; !mapsEqual(nd.attrs, want) {
				t.Errorf("Gemm node %d has attributes %v, want %v", i, nd.attrs, want)
			}
			w, b := n.Weights(layer), n.Bias(layer)
			rows, cols := w.Dims()
			checkONNXTensor(t, inits, nd.inputs[1], []int64{int64(rows), int64(cols)}, w.RawMatrix().Data)
			checkONNXTensor(t, inits, nd.inputs[2], []int64{int64(rows)}, b)
			layer++
		case "Softmax":
			if want := map[string]int64{"axis": 1}; !mapsEqual(nd.attrs, want) {
				t.Errorf("Softmax node %d has attributes %v, want %v", i, nd.attrs, want)
			}
		default:
			if len(nd.attrs) != 0 {
				t.Errorf("%s node %d has attributes %v, want none", nd.op, i, nd.attrs)
			}
		}
		if nd.op != "Gemm" && len(nd.inputs) != 1 {
			t.Errorf("%s node %d has inputs %q, want one", nd.op, i, nd.inputs)
		}
	}
	if prev != "output" {
		t.Errorf("the last node writes %q, want \"output\"", prev)
	}
	if layer != n.NumLayers() {
		t.Errorf("%d Gemm nodes, want %d", layer, n.NumLayers())
	}
	wantIn := []onnxDecodedValue{{"input", 1, "N," + strconv.Itoa(cfg.Inputs)}}
	wantOut := []onnxDecodedValue{{"output", 1, "N," + strconv.Itoa(cfg.Outputs)}}
	if !slices.Equal(m.inputs, wantIn) || !slices.Equal(m.outputs, wantOut) {
		t.Errorf("graph inputs %v, outputs %v; want %v, %v", m.inputs, m.outputs, wantIn, wantOut)
	}
}

// checkONNXTensor checks that the initializer name is a FLOAT tensor of
// shape dims whose raw data are the bits of want.
func checkONNXTensor(t *testing.T, inits map[string]onnxDecodedTensor, name string, dims []int64, want []float32) {
	t.Helper()
	ini, ok := inits[name]
	switch {
	case !ok:
		t.Errorf("no initializer %q", name)
	case ini.dataType != 1:
		t.Errorf("initializer %q has data_type %d, want 1 (FLOAT)", name, ini.dataType)
	case !slices.Equal(ini.dims, dims):
		t.Errorf("initializer %q has dims %v, want %v", name, ini.dims, dims)
	case len(ini.raw) != 4*len(want):
		t.Errorf("initializer %q has %d bytes of raw_data, want %d", name, len(ini.raw), 4*len(want))
	default:
		for i, v := range want {
			if got := binary.LittleEndian.Uint32(ini.raw[4*i:]); got != math.Float32bits(v) {
				t.Errorf("initializer %q: value %d has bits %#08x, want %#08x (%v)", name, i, got, math.Float32bits(v), v)
				return
			}
		}
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

var errONNXWrite = errors.New("disk full")

// failingWriter fails once it has taken room bytes.
type failingWriter struct{ room int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.room {
		k := w.room
		w.room = 0
		return k, errONNXWrite
	}
	w.room -= len(p)
	return len(p), nil
}

func TestWriteONNXWriteError(t *testing.T) {
	n := onnxNet(t, onnxCases[len(onnxCases)-1], 2)
	size := len(writeONNX(t, n))
	for _, room := range []int{0, 1, 100, size / 2, size - 1} {
		err := n.WriteONNX(&failingWriter{room: room})
		if !errors.Is(err, errONNXWrite) || !strings.HasPrefix(err.Error(), "mlp: onnx: writing: ") {
			t.Errorf("writer failing after %d of %d bytes: error %v, want \"mlp: onnx: writing: \" and the writer's", room, size, err)
		}
	}
	if err := n.WriteONNX(&failingWriter{room: size}); err != nil {
		t.Errorf("writer with room for the %d bytes: %v", size, err)
	}
}

// countingWriter counts what it is given.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

func TestWriteONNXTooLarge(t *testing.T) {
	// Networks of layers without weights: the size check reads shapes
	// only, so they stand for networks too large to allocate here.
	shape := func(inputs int, units ...int) *Network {
		n := &Network{cfg: Config{Inputs: inputs, Outputs: units[len(units)-1], Loss: MeanSquaredError}}
		for _, u := range units {
			n.layers = append(n.layers, layer{in: inputs, out: u, act: Identity})
			inputs = u
		}
		return n
	}
	for _, c := range []struct {
		name string
		n    *Network
		want string // in the error; "" for none
	}{
		{"one-2GiB-tensor", shape(1<<20, 1<<9), "layer 1's 512×1048576 weights, is 2147483648 bytes"},
		{"1.5GiB-and-1GiB", shape(1<<20, 1<<8, 3<<19), "layer 2's 1572864×256 weights, is 1610612736 bytes"},
		{"1GiB", shape(1<<20, 1<<8), ""},
	} {
		if c.want == "" {
			if _, err := c.n.onnxModel(); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var w countingWriter
		err := c.n.WriteONNX(&w)
		if err == nil || !strings.HasPrefix(err.Error(), "mlp: onnx: ") || !strings.Contains(err.Error(), "2 GiB") ||
			!strings.Contains(err.Error(), "external data") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one about 2 GiB and external data naming %q", c.name, err, c.want)
		}
		if w.n != 0 {
			t.Errorf("%s: wrote %d bytes before the error, want none", c.name, w.n)
		}
	}
}

// TestWriteONNXRuntime has testdata/onnx_check.py load each model with the
// onnx Python package (Debian: python3-onnx), check it with onnx's checker
// and strict shape inference, and evaluate it with numpy in float64; the
// results must be Predict's up to float32 rounding. Without python3 and
// onnx it is skipped, unless GOFMA_REQUIRE_ONNX=1.
func TestWriteONNXRuntime(t *testing.T) {
	python := onnxPython(t)
	dir := t.TempDir()

	type manifestCase struct {
		Name    string `json:"name"`
		Model   string `json:"model"`
		Inputs  string `json:"inputs"`
		Rows    int    `json:"rows"`
		Cols    int    `json:"cols"`
		Outputs int    `json:"outputs"`
		Result  string `json:"result"`
	}
	var cases []manifestCase
	var want []*mat32.Dense
	add := func(name string, n *Network, rows int, seed uint64) {
		cfg := n.Config()
		X := onnxInputs(rows, cfg.Inputs, seed)
		Y, err := n.Predict(X)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(dir, strconv.Itoa(len(cases)))
		f, err := os.Create(base + ".onnx")
		if err != nil {
			t.Fatal(err)
		}
		if err := n.WriteONNX(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		x := X.RawMatrix().Data
		raw := make([]byte, 0, 4*len(x))
		for _, v := range x {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		if err := os.WriteFile(base+".in", raw, 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, manifestCase{name, base + ".onnx", base + ".in", rows, cfg.Inputs, cfg.Outputs, base + ".out"})
		want = append(want, Y)
	}
	for i, c := range onnxCases {
		add(c.name, onnxNet(t, c, uint64(10+i)), 40, uint64(20+i))
	}
	// A trained network, whose weights are no longer the initial draw.
	trained := onnxNet(t, onnxCases[0], 5)
	X := onnxInputs(64, trained.Config().Inputs, 6)
	Y := mat32.NewDense(64, 2, make([]float32, 128))
	for r := range 64 {
		Y.Set(r, 0, float32(r%2))
		Y.Set(r, 1, float32(r/2%2))
	}
	if _, err := trained.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{LR: 0.01}, Iterations: 20}); err != nil {
		t.Fatal(err)
	}
	add("bce/every-activation/trained", trained, 40, 7)

	manifest, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	mpath := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(mpath, manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, filepath.Join("testdata", "onnx_check.py"), mpath).CombinedOutput()
	if err != nil {
		t.Fatalf("%s testdata/onnx_check.py: %v\n%s", python, err, out)
	}
	t.Logf("%s testdata/onnx_check.py:\n%s", python, out)

	// abs 1e-5 + rel 1e-4: float32 rounding of Predict's products and of
	// its exp, tanh and sigmoid (within 4 ULP).
	const abs, rel = 1e-5, 1e-4
	for i, c := range cases {
		raw, err := os.ReadFile(c.Result)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != 8*c.Rows*c.Outputs {
			t.Fatalf("%s: %d bytes of results, want %d", c.Name, len(raw), 8*c.Rows*c.Outputs)
		}
		worst, bad := 0.0, 0
		for r := range c.Rows {
			for j := range c.Outputs {
				got := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*(r*c.Outputs+j):]))
				pred := float64(want[i].At(r, j))
				tol := abs + rel*math.Abs(got)
				d := math.Abs(got - pred)
				if !(d <= tol) { // NaN fails
					if bad++; bad <= 5 {
						t.Errorf("%s: sample %d output %d: ONNX %.9g, Predict %.9g (|Δ| %.3g > %.3g)", c.Name, r, j, got, pred, d, tol)
					}
				}
				worst = max(worst, d/tol)
			}
		}
		if bad > 5 {
			t.Errorf("%s: %d outputs differ in all", c.Name, bad)
		}
		t.Logf("%s: largest |ONNX − Predict| is %.3g of the tolerance", c.Name, worst)
	}
}

// onnxInputs returns rows samples of cols features: mostly standard normal,
// then a row of zeros, rows far out (±8, where sigmoid and tanh saturate
// and softmax's logits are large), and a row of small values.
func onnxInputs(rows, cols int, seed uint64) *mat32.Dense {
	rng := rand.New(rand.NewPCG(seed, 11))
	x := make([]float32, rows*cols)
	for r := range rows {
		for j := range cols {
			var v float64
			switch {
			case r == rows-1:
				v = 1e-3 * rng.NormFloat64()
			case r == rows-2:
				v = 8 * float64(1-2*(j%2))
			case r == rows-3:
				v = -8 * float64(1-2*(j%2))
			case r == rows-4:
				v = 0
			case r >= rows-8:
				v = 4 * rng.NormFloat64()
			default:
				v = rng.NormFloat64()
			}
			x[r*cols+j] = float32(v)
		}
	}
	return mat32.NewDense(rows, cols, x)
}

// onnxPython returns a Python that imports onnx and numpy: python3 on the
// PATH, or else /usr/bin/python3 (where Debian's python3-onnx is, if PATH
// leads to another Python). When there is none, the test is skipped, or
// fails if GOFMA_REQUIRE_ONNX=1.
func onnxPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		out, err := exec.Command(path, "-c", "import numpy, onnx; print(onnx.__version__)").CombinedOutput()
		if err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			tried = append(tried, fmt.Sprintf("%s: %v: %s", path, err, lines[len(lines)-1]))
			continue
		}
		t.Logf("%s, onnx %s", path, strings.TrimSpace(string(out)))
		return path
	}
	msg := "no python3 with the onnx and numpy modules (" + strings.Join(tried, "; ") + "); install python3-onnx (Debian) to check the exported models"
	if os.Getenv("GOFMA_REQUIRE_ONNX") == "1" {
		t.Fatal(msg + "; GOFMA_REQUIRE_ONNX=1 requires the check")
	}
	t.Skip(msg + "; GOFMA_REQUIRE_ONNX=1 makes this a failure")
	return ""
}

// A 2-8-1 network learns XOR, then is written as an ONNX model. Its size
// depends on the shape only, not on the weights.
func ExampleNetwork_WriteONNX() {
	X := mat32.NewDense(4, 2, []float32{0, 0, 0, 1, 1, 0, 1, 1})
	Y := mat32.NewDense(4, 1, []float32{0, 1, 1, 0})
	net, err := New(Config{Inputs: 2, Hidden: []Layer{{Units: 8, Act: Tanh}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := net.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{LR: 0.05}, Iterations: 300}); err != nil {
		log.Fatal(err)
	}
	var model bytes.Buffer // or a file, model.onnx
	if err := net.WriteONNX(&model); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote an ONNX model of %d bytes\n", model.Len())
	// Output: wrote an ONNX model of 531 bytes
}

// The test's decoder of the protobuf wire format and of the parts of an
// ONNX model that WriteONNX writes. Any other field, a wire type other
// than the field's, a repeated singular field, bytes left over or a
// truncated value is an error.

// onnxDecoded is a decoded ModelProto.
type onnxDecoded struct {
	irVersion int64
	producer  string
	opsets    []onnxDecodedOpset
	graphName string
	nodes     []onnxDecodedNode
	inits     []onnxDecodedTensor
	inputs    []onnxDecodedValue
	outputs   []onnxDecodedValue
}

type onnxDecodedOpset struct {
	domain  string
	version int64
}

type onnxDecodedNode struct {
	name, op        string
	inputs, outputs []string
	attrs           map[string]int64 // integer attributes, the only kind written
}

type onnxDecodedTensor struct {
	name     string
	dims     []int64
	dataType int64
	raw      []byte
}

type onnxDecodedValue struct {
	name     string
	elemType int64
	shape    string // the dims joined by commas: dim_value as a number, dim_param as it is
}

// pbField is one field of a protobuf message: a varint's value, or a
// length-delimited field's bytes.
type pbField struct {
	num  int
	wire int
	v    uint64
	b    []byte
}

// pbParse splits a message into its fields; it knows the varint and
// length-delimited wire types only, the ones WriteONNX writes.
func pbParse(b []byte) ([]pbField, error) {
	var fs []pbField
	for len(b) > 0 {
		key, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, fmt.Errorf("bad key varint at % x", b[:min(len(b), 10)])
		}
		b = b[k:]
		f := pbField{num: int(key >> 3), wire: int(key & 7)}
		if f.num == 0 || key>>3 > 1<<29-1 {
			return nil, fmt.Errorf("field number %d", key>>3)
		}
		switch f.wire {
		case 0:
			if f.v, k = binary.Uvarint(b); k <= 0 {
				return nil, fmt.Errorf("field %d: bad varint", f.num)
			}
			b = b[k:]
		case 2:
			n, k := binary.Uvarint(b)
			if k <= 0 || n > uint64(len(b)-k) {
				return nil, fmt.Errorf("field %d: bad length (%d bytes left)", f.num, len(b))
			}
			f.b, b = b[k:k+int(n)], b[k+int(n):]
		default:
			return nil, fmt.Errorf("field %d: wire type %d", f.num, f.wire)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// pbMsg is a parsed message being read field by field.
type pbMsg struct {
	what string // the message's type, for errors
	seen map[int]bool
	err  error
}

// field checks f: wire type wire, and at most once unless repeated.
func (m *pbMsg) field(f pbField, wire int, repeated bool) bool {
	switch {
	case m.err != nil:
	case f.wire != wire:
		m.err = fmt.Errorf("%s field %d has wire type %d, want %d", m.what, f.num, f.wire, wire)
	case !repeated && m.seen[f.num]:
		m.err = fmt.Errorf("%s field %d appears twice", m.what, f.num)
	}
	if m.seen == nil {
		m.seen = map[int]bool{}
	}
	m.seen[f.num] = true
	return m.err == nil
}

func (m *pbMsg) int(f pbField, repeated bool) int64 {
	if !m.field(f, 0, repeated) {
		return 0
	}
	return int64(f.v)
}

func (m *pbMsg) str(f pbField, repeated bool) string {
	if !m.field(f, 2, repeated) {
		return ""
	}
	if !utf8.Valid(f.b) {
		m.err = fmt.Errorf("%s field %d is not UTF-8", m.what, f.num)
	}
	return string(f.b)
}

func (m *pbMsg) bytes(f pbField, repeated bool) []byte {
	if !m.field(f, 2, repeated) {
		return nil
	}
	return f.b
}

func (m *pbMsg) unknown(f pbField) {
	if m.err == nil {
		m.err = fmt.Errorf("%s has unexpected field %d", m.what, f.num)
	}
}

// need checks that the fields nums were present.
func (m *pbMsg) need(nums ...int) error {
	for _, n := range nums {
		if m.err == nil && !m.seen[n] {
			m.err = fmt.Errorf("%s lacks field %d", m.what, n)
		}
	}
	return m.err
}

// decode parses b as a message of type what and passes each field to f.
func decode(what string, b []byte, f func(m *pbMsg, fd pbField) error) (*pbMsg, error) {
	fs, err := pbParse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	m := &pbMsg{what: what}
	for _, fd := range fs {
		err := f(m, fd)
		if m.err != nil {
			return nil, m.err // the first error, before a nested one it caused
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func decodeONNX(b []byte) (*onnxDecoded, error) {
	d := &onnxDecoded{}
	m, err := decode("ModelProto", b, func(m *pbMsg, f pbField) error {
		switch f.num {
		case 1:
			d.irVersion = m.int(f, false)
		case 2:
			d.producer = m.str(f, false)
		case 7:
			if g := m.bytes(f, false); g != nil {
				return decodeONNXGraph(d, g)
			}
		case 8:
			var o onnxDecodedOpset
			om, err := decode("OperatorSetIdProto", m.bytes(f, true), func(om *pbMsg, f pbField) error {
				switch f.num {
				case 1:
					o.domain = om.str(f, false)
				case 2:
					o.version = om.int(f, false)
				default:
					om.unknown(f)
				}
				return nil
			})
			if err != nil {
				return err
			}
			d.opsets = append(d.opsets, o)
			return om.need(2)
		default:
			m.unknown(f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, m.need(1, 2, 7, 8)
}

func decodeONNXGraph(d *onnxDecoded, b []byte) error {
	m, err := decode("GraphProto", b, func(m *pbMsg, f pbField) error {
		switch f.num {
		case 1:
			nd, err := decodeONNXNode(m.bytes(f, true))
			d.nodes = append(d.nodes, nd)
			return err
		case 2:
			d.graphName = m.str(f, false)
		case 5:
			t, err := decodeONNXTensor(m.bytes(f, true))
			d.inits = append(d.inits, t)
			return err
		case 11, 12:
			v, err := decodeONNXValue(m.bytes(f, true))
			if f.num == 11 {
				d.inputs = append(d.inputs, v)
			} else {
				d.outputs = append(d.outputs, v)
			}
			return err
		default:
			m.unknown(f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return m.need(1, 2, 5, 11, 12)
}

func decodeONNXNode(b []byte) (onnxDecodedNode, error) {
	nd := onnxDecodedNode{attrs: map[string]int64{}}
	m, err := decode("NodeProto", b, func(m *pbMsg, f pbField) error {
		switch f.num {
		case 1:
			nd.inputs = append(nd.inputs, m.str(f, true))
		case 2:
			nd.outputs = append(nd.outputs, m.str(f, true))
		case 3:
			nd.name = m.str(f, false)
		case 4:
			nd.op = m.str(f, false)
		case 5:
			var name string
			var v, typ int64
			am, err := decode("AttributeProto", m.bytes(f, true), func(am *pbMsg, f pbField) error {
				switch f.num {
				case 1:
					name = am.str(f, false)
				case 3:
					v = am.int(f, false)
				case 20:
					typ = am.int(f, false)
				default:
					am.unknown(f)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := am.need(1, 3, 20); err != nil {
				return err
			}
			if _, dup := nd.attrs[name]; dup || typ != 2 {
				return fmt.Errorf("attribute %q: type %d (want 2, INT), or repeated", name, typ)
			}
			nd.attrs[name] = v
		default:
			m.unknown(f)
		}
		return nil
	})
	if err != nil {
		return nd, err
	}
	return nd, m.need(1, 2, 3, 4)
}

func decodeONNXTensor(b []byte) (onnxDecodedTensor, error) {
	var t onnxDecodedTensor
	m, err := decode("TensorProto", b, func(m *pbMsg, f pbField) error {
		switch f.num {
		case 1:
			t.dims = append(t.dims, m.int(f, true))
		case 2:
			t.dataType = m.int(f, false)
		case 8:
			t.name = m.str(f, false)
		case 9:
			t.raw = m.bytes(f, false)
		default:
			m.unknown(f)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	return t, m.need(1, 2, 8, 9)
}

func decodeONNXValue(b []byte) (onnxDecodedValue, error) {
	var v onnxDecodedValue
	var dims []string
	// each decodes a message that holds one submessage, field 1 or 2,
	// and the fields other lists.
	var typ, tensor, shape func(m *pbMsg, f pbField) error
	typ = func(m *pbMsg, f pbField) error { // TypeProto
		if f.num != 1 {
			m.unknown(f)
			return nil
		}
		tm, err := decode("TypeProto.Tensor", m.bytes(f, false), tensor)
		if err != nil {
			return err
		}
		return tm.need(1, 2)
	}
	tensor = func(m *pbMsg, f pbField) error { // TypeProto.Tensor
		switch f.num {
		case 1:
			v.elemType = m.int(f, false)
		case 2:
			_, err := decode("TensorShapeProto", m.bytes(f, false), shape)
			return err
		default:
			m.unknown(f)
		}
		return nil
	}
	shape = func(m *pbMsg, f pbField) error { // TensorShapeProto
		if f.num != 1 {
			m.unknown(f)
			return nil
		}
		dm, err := decode("TensorShapeProto.Dimension", m.bytes(f, true), func(dm *pbMsg, f pbField) error {
			switch f.num {
			case 1:
				dims = append(dims, strconv.FormatInt(dm.int(f, false), 10))
			case 2:
				dims = append(dims, dm.str(f, false))
			default:
				dm.unknown(f)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(dm.seen) != 1 {
			return fmt.Errorf("a dimension with %d of dim_value and dim_param, want one", len(dm.seen))
		}
		return nil
	}
	m, err := decode("ValueInfoProto", b, func(m *pbMsg, f pbField) error {
		switch f.num {
		case 1:
			v.name = m.str(f, false)
		case 2:
			tm, err := decode("TypeProto", m.bytes(f, false), typ)
			if err != nil {
				return err
			}
			return tm.need(1)
		default:
			m.unknown(f)
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	v.shape = strings.Join(dims, ",")
	return v, m.need(1, 2)
}

// TestWriteONNXFile checks that WriteONNXFile writes WriteONNX's bytes,
// replaces a file whole, and names the file in its errors.
func TestWriteONNXFile(t *testing.T) {
	n, err := New(Config{Inputs: 3, Hidden: []Layer{{4, ReLU}}, Outputs: 2, Loss: CrossEntropy, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := n.WriteONNX(&want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, []byte("old contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.WriteONNXFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the file holds %d bytes, WriteONNX writes %d other ones", len(got), want.Len())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file's mode is %v (%v), want 0600 as before", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want the model alone", len(entries))
	}
	bad := filepath.Join(dir, "missing", "m.onnx")
	if err := n.WriteONNXFile(bad); err == nil || !strings.Contains(err.Error(), "mlp: onnx: "+bad+": ") {
		t.Errorf("WriteONNXFile into a missing folder: %v", err)
	}
}
