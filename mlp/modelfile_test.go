package mlp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gofma/gofma/mat32"
)

// modelTestData returns rows random samples for a network of cfg's shape,
// with targets its loss accepts.
func modelTestData(cfg Config, rows int, seed uint64) (X, Y *mat32.Dense) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, rows*cfg.Inputs)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, rows*cfg.Outputs)
	for r := range rows {
		row := y[r*cfg.Outputs : (r+1)*cfg.Outputs]
		switch cfg.Loss {
		case BinaryCrossEntropy:
			for j := range row {
				row[j] = float32(rng.IntN(2))
			}
		case CrossEntropy:
			row[rng.IntN(len(row))] = 1
		default:
			for j := range row {
				row[j] = float32(rng.NormFloat64())
			}
		}
	}
	return mat32.NewDense(rows, cfg.Inputs, x), mat32.NewDense(rows, cfg.Outputs, y)
}

// modelTestNet returns a network of cfg trained a few steps, and its data.
func modelTestNet(t testing.TB, cfg Config) (*Network, *mat32.Dense) {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	X, Y := modelTestData(cfg, 16, cfg.Seed)
	if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{LR: 0.01}, Iterations: 5}); err != nil {
		t.Fatal(err)
	}
	return n, X
}

// modelTestBytes returns n's model file.
func modelTestBytes(t testing.TB, n *Network) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := n.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// modelTestSmall returns the model file of a small trained network.
func modelTestSmall(t testing.TB) []byte {
	n, _ := modelTestNet(t, Config{Inputs: 3, Hidden: []Layer{{4, Tanh}}, Outputs: 2, Loss: CrossEntropy, Init: InitXavier, Seed: 3})
	return modelTestBytes(t, n)
}

// modelStatefulCfg is the shape of modelTestStateful's network: 4·5+5 +
// 5·3+3 = 43 parameters.
var modelStatefulCfg = Config{Inputs: 4, Hidden: []Layer{{5, Tanh}}, Outputs: 3, Loss: CrossEntropy, Seed: 5}

// modelTestStateful returns a small network trained on mini-batches by opt
// (GD: the full batch) to the middle of an epoch, and its model file: 7
// steps on 10 samples in batches of 3 (steps of 3, 3, 3 and 1 samples), so
// epoch 2 is at sample 9.
func modelTestStateful(t testing.TB, opt Optimizer) (*Network, []byte) {
	t.Helper()
	n, err := New(modelStatefulCfg)
	if err != nil {
		t.Fatal(err)
	}
	X, Y := modelTestData(modelStatefulCfg, 10, 2)
	batch := 3
	if isGD(opt) {
		batch = 0
	}
	if _, err := n.Fit(context.Background(), X, Y, FitConfig{Optimizer: opt, Iterations: 7, BatchSize: batch, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	return n, modelTestBytes(t, n)
}

// modelStateOffset returns the offset of a version-2 file's
// training-state byte, from its header.
func modelStateOffset(b []byte) int {
	le := binary.LittleEndian
	in, nl := int(le.Uint32(b[22:])), int(le.Uint32(b[26:]))
	off := 30 + 5*nl
	for i := range nl {
		out := int(le.Uint32(b[30+5*i:]))
		off += 4 * out * (in + 1)
		in = out
	}
	return off
}

// modelResum returns b with its last four bytes replaced by the checksum
// of the others.
func modelResum(b []byte) []byte {
	b = slices.Clone(b)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func modelConfigEqual(a, b Config) bool {
	return a.Inputs == b.Inputs && a.Outputs == b.Outputs && a.Loss == b.Loss &&
		a.Init == b.Init && a.Seed == b.Seed && slices.Equal(a.Hidden, b.Hidden)
}

// modelCheckSame fails unless got has want's configuration and parameters,
// bit for bit, and predicts X bit for bit as want does.
func modelCheckSame(t *testing.T, got, want *Network, X *mat32.Dense) {
	t.Helper()
	if !modelConfigEqual(got.Config(), want.Config()) {
		t.Fatalf("Config() = %+v, want %+v", got.Config(), want.Config())
	}
	if len(got.params) != len(want.params) {
		t.Fatalf("%d parameters, want %d", len(got.params), len(want.params))
	}
	for i := range want.params {
		if math.Float32bits(got.params[i]) != math.Float32bits(want.params[i]) {
			t.Fatalf("parameter %d = %v, want %v", i, got.params[i], want.params[i])
		}
	}
	for l := range want.layers {
		if got.layers[l].in != want.layers[l].in || got.layers[l].out != want.layers[l].out || got.layers[l].act != want.layers[l].act {
			t.Fatalf("layer %d is %+v, want %+v", l, got.layers[l], want.layers[l])
		}
	}
	if X == nil {
		return
	}
	pw, err := want.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := got.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pw.RawMatrix().Data, pg.RawMatrix().Data
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("Predict output %d = %v, the saved network's %v", i, b[i], a[i])
		}
	}
}

func modelWantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substr)
	}
	if !strings.HasPrefix(err.Error(), "mlp: model file: ") {
		t.Errorf("error %q lacks the prefix %q", err, "mlp: model file: ")
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("error %q does not contain %q", err, substr)
	}
}

// modelWantBad is modelWantErr for an error in the file's bytes: it must
// match ErrBadModelFile.
func modelWantBad(t *testing.T, err error, substr string) {
	t.Helper()
	modelWantErr(t, err, substr)
	if !errors.Is(err, ErrBadModelFile) {
		t.Errorf("error %q does not match ErrBadModelFile", err)
	}
}

// modelWantIO is modelWantErr for an error of the reader or the file
// system: it must not match ErrBadModelFile.
func modelWantIO(t *testing.T, err error, substr string) {
	t.Helper()
	modelWantErr(t, err, substr)
	if errors.Is(err, ErrBadModelFile) {
		t.Errorf("error %q of the reader matches ErrBadModelFile", err)
	}
}

func TestModelSaveLoadRoundTrip(t *testing.T) {
	for _, loss := range []Loss{BinaryCrossEntropy, CrossEntropy, MeanSquaredError} {
		for _, act := range []Activation{Identity, Sigmoid, Tanh, ReLU} {
			for _, init := range []Init{InitLecture, InitXavier, InitHe} {
				cfg := Config{Inputs: 5, Hidden: []Layer{{7, act}, {3, Sigmoid}}, Outputs: 3, Loss: loss, Init: init, Seed: uint64(init)<<40 | uint64(act)<<8 | uint64(loss)}
				t.Run(fmt.Sprintf("loss=%v/act=%v/init=%v", loss, act, init), func(t *testing.T) {
					n, X := modelTestNet(t, cfg)
					b := modelTestBytes(t, n)
					// Adam's state after full batches: its fixed fields and
					// two moments, no data order.
					const P = 7*6 + 3*8 + 3*4
					if want := 34 + 5*3 + 4*P + 1 + 42 + 2*4*P; len(b) != want {
						t.Errorf("file of %d bytes, want %d", len(b), want)
					}
					m, err := Load(bytes.NewReader(b))
					if err != nil {
						t.Fatal(err)
					}
					modelCheckSame(t, m, n, X)
					if m.Steps() != 5 {
						t.Errorf("the loaded network's Steps() = %d, want 5", m.Steps())
					}
					if b2 := modelTestBytes(t, m); !bytes.Equal(b2, b) {
						t.Error("saving the loaded network gives other bytes")
					}
				})
			}
		}
	}
	t.Run("no hidden layers", func(t *testing.T) {
		n, X := modelTestNet(t, Config{Inputs: 4, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1})
		m, err := Load(bytes.NewReader(modelTestBytes(t, n)))
		if err != nil {
			t.Fatal(err)
		}
		modelCheckSame(t, m, n, X)
	})
	t.Run("loaded network trains like the saved one", func(t *testing.T) {
		cfg := Config{Inputs: 4, Hidden: []Layer{{6, ReLU}}, Outputs: 2, Loss: MeanSquaredError, Init: InitHe, Seed: 9}
		n, X := modelTestNet(t, cfg)
		m, err := Load(bytes.NewReader(modelTestBytes(t, n)))
		if err != nil {
			t.Fatal(err)
		}
		_, Y := modelTestData(cfg, 16, 99)
		for _, k := range []*Network{n, m} {
			if _, err := k.Fit(context.Background(), X, Y, FitConfig{Optimizer: GD{LR: 0.1}, Iterations: 3}); err != nil {
				t.Fatal(err)
			}
		}
		modelCheckSame(t, m, n, X)
	})
}

// TestModelSaveFormat checks the bytes against the table in Save's doc.
func TestModelSaveFormat(t *testing.T) {
	n, err := New(Config{Inputs: 2, Hidden: []Layer{{3, ReLU}}, Outputs: 1, Loss: MeanSquaredError, Init: InitHe, Seed: 0x0102030405060708})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n.params {
		n.params[i] = float32(i) + 0.5
	}
	b := modelTestBytes(t, n)
	le := binary.LittleEndian
	want := []byte("GOFMAMLP")
	want = le.AppendUint32(want, 2)
	want = append(want, 3, 2) // mse, he
	want = le.AppendUint64(want, 0x0102030405060708)
	want = le.AppendUint32(want, 2)
	want = le.AppendUint32(want, 2)
	want = append(le.AppendUint32(want, 3), 4) // 3 units, relu
	want = append(le.AppendUint32(want, 1), 1) // 1 output, identity
	for i := range 3*2 + 3 + 1*3 + 1 {
		want = le.AppendUint32(want, math.Float32bits(float32(i)+0.5))
	}
	params := len(want)
	want = append(want, 0) // no training state: a new network has none
	want = le.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(b, want) {
		t.Fatalf("saved\n% x\nwant\n% x", b, want)
	}
	// The layout: W of layer 0 is 3×2 row-major, then b.
	if w := n.Weights(0); w.At(1, 0) != n.params[2] || n.Bias(0)[0] != n.params[6] || n.Weights(1).At(0, 2) != n.params[11] {
		t.Fatal("parameter layout is not W row-major then b per layer")
	}

	// A training state, set by hand: Momentum's, in the middle of an
	// epoch of three samples, with the data order and one moment vector.
	rng := rand.NewPCG(0x1111, 0x2222)
	rng.Uint64()
	v := make([]float32, len(n.params))
	for i := range v {
		v[i] = -float32(i) - 0.25
	}
	n.state = &trainState{kind: 3, step: 0x0a0b, epochs: 0x0c, samples: 3, pos: 2, epochLoss: 1.5,
		perm: []int{2, 0, 1}, rng: rng, moments: [][]float32{v}}
	b = modelTestBytes(t, n)
	want = append(want[:params], 1, 3)
	want = le.AppendUint64(want, 0x0a0b)
	want = le.AppendUint64(want, 0x0c)
	want = le.AppendUint64(want, 3)
	want = le.AppendUint64(want, 2)
	want = le.AppendUint64(want, math.Float64bits(1.5))
	rngBytes, err := rng.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, 1, byte(len(rngBytes)))
	want = append(want, rngBytes...)
	for _, p := range []uint32{2, 0, 1} {
		want = le.AppendUint32(want, p)
	}
	for i := range v {
		want = le.AppendUint32(want, math.Float32bits(v[i]))
	}
	want = le.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(b, want) {
		t.Fatalf("with a training state, saved\n% x\nwant\n% x", b, want)
	}
	if len(rngBytes) != 20 {
		t.Errorf("the PCG's state has %d bytes, the file's fixtures assume 20", len(rngBytes))
	}
}

func TestModelSaveLoadSpecialValues(t *testing.T) {
	n, err := New(Config{Inputs: 3, Hidden: []Layer{{2, Sigmoid}}, Outputs: 1, Loss: MeanSquaredError})
	if err != nil {
		t.Fatal(err)
	}
	specials := []float32{
		float32(math.NaN()), math.Float32frombits(0x7fc01234), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.MaxFloat32, 1e-40,
	}
	copy(n.params, specials)
	m, err := Load(bytes.NewReader(modelTestBytes(t, n)))
	if err != nil {
		t.Fatal(err)
	}
	modelCheckSame(t, m, n, nil)
}

// TestModelLoadReadsExactly checks that Load stops at the checksum, so
// models can follow each other or other data in one stream.
func TestModelLoadReadsExactly(t *testing.T) {
	n1, X1 := modelTestNet(t, Config{Inputs: 3, Hidden: []Layer{{5, Tanh}}, Outputs: 2, Loss: CrossEntropy, Seed: 1})
	n2, X2 := modelTestNet(t, Config{Inputs: 4, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 2})
	var stream bytes.Buffer
	for _, n := range []*Network{n1, n2} {
		if err := n.Save(&stream); err != nil {
			t.Fatal(err)
		}
	}
	stream.WriteString("trailer")
	r := iotest.OneByteReader(&stream) // no read may take more than a byte
	m1, err := Load(r)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(r)
	if err != nil {
		t.Fatal(err)
	}
	modelCheckSame(t, m1, n1, X1)
	modelCheckSame(t, m2, n2, X2)
	if rest, _ := io.ReadAll(r); string(rest) != "trailer" {
		t.Errorf("after two models the stream holds %q, want %q", rest, "trailer")
	}
	_, err = Load(r)
	modelWantErr(t, err, "empty")
}

// TestModelLoadCorruptByte flips bits in every byte of two files: one
// with Adam's state after full batches, one with Momentum's in the middle
// of an epoch of mini-batches. A flip in the header or the training
// state's fields may give the error of the field it makes impossible;
// everywhere else (parameters, data order, moments, checksum), and for
// a flip that leaves every field possible, the checksum must catch it.
func TestModelLoadCorruptByte(t *testing.T) {
	_, stateful := modelTestStateful(t, Momentum{LR: 0.05})
	for _, b := range [][]byte{modelTestSmall(t), stateful} {
		if _, err := Load(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		params, state := 30+5*2, modelStateOffset(b)
		fields := state + 1 + 42
		if b[state] == 1 && b[fields-1] == 1 {
			fields += 1 + int(b[fields]) + 4*10 // the generator, the data order
		}
		c := make([]byte, len(b))
		for i := range b {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				copy(c, b)
				c[i] ^= mask
				n, err := Load(bytes.NewReader(c))
				if err == nil || n != nil {
					t.Fatalf("byte %d ^ %#x: Load = %v, %v; want an error", i, mask, n, err)
				}
				if !strings.HasPrefix(err.Error(), "mlp: model file: ") {
					t.Fatalf("byte %d ^ %#x: error %q lacks the prefix", i, mask, err)
				}
				if !errors.Is(err, ErrBadModelFile) {
					t.Fatalf("byte %d ^ %#x: error %q does not match ErrBadModelFile", i, mask, err)
				}
				inFields := i < params || i >= state && i < fields
				if !inFields && !strings.Contains(err.Error(), "checksum mismatch: file corrupted") {
					t.Fatalf("byte %d ^ %#x (parameters, moments or checksum): error %q, want a checksum mismatch", i, mask, err)
				}
			}
		}
	}
}

// TestModelLoadTruncated cuts files at every byte: a weights-only one,
// one with Adam's state and one with Momentum's data order and moments.
// Each must give a truncation error, never a panic.
func TestModelLoadTruncated(t *testing.T) {
	n, stateful := modelTestStateful(t, Momentum{LR: 0.05})
	n.DropTraining()
	for _, b := range [][]byte{modelTestBytes(t, n), modelTestSmall(t), stateful} {
		for k := range len(b) {
			n, err := Load(bytes.NewReader(b[:k]))
			if err == nil || n != nil {
				t.Fatalf("first %d of %d bytes: Load = %v, %v; want an error", k, len(b), n, err)
			}
			if k == 0 {
				modelWantBad(t, err, "empty")
				continue
			}
			modelWantBad(t, err, "truncated")
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("first %d bytes: error %q does not wrap io.ErrUnexpectedEOF", k, err)
			}
		}
	}
}

// modelHeader returns the header of a model file of the version, layers
// given as units and activation codes, the last one the output layer.
func modelHeader(version uint32, loss, init byte, inputs uint32, layers ...[2]uint32) []byte {
	le := binary.LittleEndian
	b := []byte("GOFMAMLP")
	b = le.AppendUint32(b, version)
	b = append(b, loss, init)
	b = le.AppendUint64(b, 42)
	b = le.AppendUint32(b, inputs)
	b = le.AppendUint32(b, uint32(len(layers)))
	for _, l := range layers {
		b = append(le.AppendUint32(b, l[0]), byte(l[1]))
	}
	return b
}

// modelComplete appends params zero parameters, for version 2 the byte of
// no training state, and the checksum to a header.
func modelComplete(h []byte, params int) []byte {
	b := append(slices.Clip(h), make([]byte, 4*params)...)
	if binary.LittleEndian.Uint32(h[8:]) >= 2 {
		b = append(b, 0)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// modelV1Bytes returns n's weights as a version-1 model file, written
// here by hand from the layout version 1 had.
func modelV1Bytes(n *Network) []byte {
	le := binary.LittleEndian
	b := []byte("GOFMAMLP")
	b = le.AppendUint32(b, 1)
	b = append(b, byte(n.cfg.Loss), byte(n.cfg.Init))
	b = le.AppendUint64(b, n.cfg.Seed)
	b = le.AppendUint32(b, uint32(n.cfg.Inputs))
	b = le.AppendUint32(b, uint32(len(n.layers)))
	for _, l := range n.layers {
		b = append(le.AppendUint32(b, uint32(l.out)), byte(l.act))
	}
	for _, p := range n.params {
		b = le.AppendUint32(b, math.Float32bits(p))
	}
	return le.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// modelV1ToV2 returns the version-2 file Save writes for the network of a
// version-1 file: the version changed, the byte of no training state added
// and the checksum recomputed.
func modelV1ToV2(v1 []byte) []byte {
	b := slices.Clone(v1[:len(v1)-4])
	binary.LittleEndian.PutUint32(b[8:], 2)
	b = append(b, 0)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

func TestModelLoadBadHeader(t *testing.T) {
	const id, sig, relu = 1, 2, 4
	for _, v := range []uint32{1, 2} {
		h := func(loss, init byte, inputs uint32, layers ...[2]uint32) []byte {
			return modelHeader(v, loss, init, inputs, layers...)
		}
		valid := modelComplete(h(1, 0, 2, [2]uint32{3, sig}, [2]uint32{1, id}), 3*3+1*4)
		if n, err := Load(bytes.NewReader(valid)); err != nil {
			t.Fatalf("the hand-made file of version %d: %v", v, err)
		} else if want := (Config{Inputs: 2, Hidden: []Layer{{3, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Init: InitLecture, Seed: 42}); !modelConfigEqual(n.Config(), want) {
			t.Fatalf("the hand-made file of version %d: Config() = %+v, want %+v", v, n.Config(), want)
		} else if n.Steps() != 0 || n.state != nil {
			t.Fatalf("the hand-made file of version %d: a training state", v)
		}
		version := func(k uint32) []byte {
			b := slices.Clone(valid)
			binary.LittleEndian.PutUint32(b[8:], k)
			return b
		}
		for _, c := range []struct {
			name string
			file []byte
			err  string
		}{
			{"wrong magic", append([]byte("GOFMAMLQ"), valid[8:]...), "not a gofma model file"},
			{"text", []byte("hello, world\n"), "not a gofma model file"},
			{"short non-model", []byte("GIF"), "not a gofma model file"},
			{"empty", nil, "empty input"},
			{"version 0", version(0), "version 0, this build reads versions 1 and 2"},
			{"version 3", version(3), "version 3, this build reads versions 1 and 2"},
			{"wrong version", version(7), "version 7, this build reads versions 1 and 2"},
			{"loss 0", modelComplete(h(0, 0, 2, [2]uint32{1, id}), 3), "unknown loss code 0"},
			{"loss 4", modelComplete(h(4, 0, 2, [2]uint32{1, id}), 3), "unknown loss code 4"},
			{"init 3", modelComplete(h(1, 3, 2, [2]uint32{1, id}), 3), "unknown initialisation code 3"},
			{"inputs 0", modelComplete(h(1, 0, 0, [2]uint32{1, id}), 1), "0 inputs"},
			{"inputs 2^31", h(1, 0, 1<<31, [2]uint32{1, id}), "2147483648 inputs"},
			{"inputs MaxUnits+1", h(1, 0, MaxUnits+1, [2]uint32{1, id}), "1048577 inputs"},
			{"layers 0", modelComplete(h(1, 0, 2), 0), "0 layers"},
			{"layers 2^31", binary.LittleEndian.AppendUint32(h(1, 0, 2)[:26], 1<<31), "2147483648 layers"},
			{"layers 2^32-1", binary.LittleEndian.AppendUint32(h(1, 0, 2)[:26], math.MaxUint32), "4294967295 layers"},
			{"layers MaxLayers+1", binary.LittleEndian.AppendUint32(h(1, 0, 2)[:26], MaxLayers+1), "1025 layers"},
			{"units 0", h(1, 0, 2, [2]uint32{0, sig}, [2]uint32{1, id}), "layer 1 of 2 has 0 units"},
			{"units 2^31", h(1, 0, 2, [2]uint32{3, sig}, [2]uint32{1 << 31, id}), "layer 2 of 2 has 2147483648 units"},
			{"activation 0", h(1, 0, 2, [2]uint32{3, 0}, [2]uint32{1, id}), "unknown activation code 0"},
			{"activation 5", h(1, 0, 2, [2]uint32{3, 5}, [2]uint32{1, id}), "unknown activation code 5"},
			{"output activation", h(1, 0, 2, [2]uint32{3, sig}, [2]uint32{1, relu}), "output layer has activation code 4"},
			{"cross-entropy with 1 output", modelComplete(h(2, 0, 2, [2]uint32{1, id}), 3), "cross-entropy with 1 output"},
			{"params product", h(1, 0, MaxUnits, [2]uint32{MaxUnits, sig}, [2]uint32{1, id}), "the first 1 of 2 layers have more than 1073741824 parameters"},
			{"params sum", h(1, 0, 1<<15, [2]uint32{1 << 14, sig}, [2]uint32{1 << 15, sig}, [2]uint32{1 << 15, sig}, [2]uint32{1, id}), "the first 2 of 4 layers have more than"},
			{"params just over", h(3, 0, 1<<15, [2]uint32{1 << 15, id}), "more than 1073741824 parameters"},
			// 2^15 units of 2^15−1 inputs and a bias: 2^30 parameters,
			// allowed; the file then ends.
			{"params exactly MaxParams claimed", h(3, 0, 1<<15-1, [2]uint32{1 << 15, id}), "truncated in the parameters"},
		} {
			t.Run(fmt.Sprintf("v%d/%s", v, c.name), func(t *testing.T) {
				n, err := Load(bytes.NewReader(c.file))
				if n != nil {
					t.Error("a network with the error")
				}
				modelWantBad(t, err, c.err)
			})
		}
	}
}

// TestModelLoadVersion1 checks that files of version 1, written by hand,
// still load, with no training state, and save as version 2.
func TestModelLoadVersion1(t *testing.T) {
	for _, cfg := range []Config{
		{Inputs: 3, Hidden: []Layer{{4, Tanh}}, Outputs: 2, Loss: CrossEntropy, Init: InitXavier, Seed: 3},
		{Inputs: 1, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1},
	} {
		n, X := modelTestNet(t, cfg)
		v1 := modelV1Bytes(n)
		m, err := Load(bytes.NewReader(v1))
		if err != nil {
			t.Fatal(err)
		}
		modelCheckSame(t, m, n, X)
		if m.state != nil || m.Steps() != 0 {
			t.Errorf("a version-1 file gave a training state of %d steps", m.Steps())
		}
		if b := modelTestBytes(t, m); !bytes.Equal(b, modelV1ToV2(v1)) {
			t.Errorf("saving a version-1 file's network gives\n% x\nwant\n% x", b, modelV1ToV2(v1))
		}
		// A version-1 file is as long as its header says: a byte more is
		// for the next reader, a byte less is truncated in the checksum.
		r := bytes.NewReader(append(slices.Clone(v1), 0))
		if _, err := Load(r); err != nil || r.Len() != 1 {
			t.Errorf("a version-1 file and a byte: Load = %v, %d bytes left, want nil, 1", err, r.Len())
		}
		_, err = Load(bytes.NewReader(v1[:len(v1)-1]))
		modelWantBad(t, err, "truncated in the checksum")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("error %q does not wrap io.ErrUnexpectedEOF", err)
		}
		_, err = Load(bytes.NewReader(v1[:len(v1)-8]))
		modelWantBad(t, err, "truncated in the parameters")

		// Resume on it errors: the file holds no training state.
		_, Y := modelTestData(cfg, 16, cfg.Seed)
		_, err = m.Fit(context.Background(), X, Y, FitConfig{Optimizer: Adam{}, Iterations: 1, Resume: true})
		if err == nil || !strings.Contains(err.Error(), "no training state") {
			t.Errorf("Fit with Resume on a version-1 file's network: %v, want no training state", err)
		}
	}
}

// TestModelLoadHugeClaim checks that a short file claiming about 10^9
// parameters (4 GB) allocates little, in both versions.
func TestModelLoadHugeClaim(t *testing.T) {
	const sig, id = 2, 1
	for _, v := range []uint32{1, 2} {
		file := modelHeader(v, 1, 0, MaxUnits, [2]uint32{953, sig}, [2]uint32{1, id}) // 953·(2^20+1)+954 ≈ 0.9993·10^9 parameters
		file = append(file, make([]byte, 16)...)
		modelWantAllocs(t, file, "truncated in the parameters")
	}
}

// modelWantAllocs fails unless Load of file gives the error and allocates
// less than a MiB, in at most 30 allocations.
func modelWantAllocs(t *testing.T, file []byte, substr string) {
	t.Helper()
	if _, err := Load(bytes.NewReader(file)); err == nil {
		t.Fatal("no error")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load(bytes.NewReader(file))
	runtime.ReadMemStats(&after)
	modelWantBad(t, err, substr)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("Load allocated %d bytes for a %d-byte file", d, len(file))
	}
	allocs := testing.AllocsPerRun(10, func() { Load(bytes.NewReader(file)) })
	if allocs > 30 {
		t.Errorf("Load made %v allocations for a %d-byte file", allocs, len(file))
	}
}

// modelFailingReader returns the first n bytes of data, then err.
type modelFailingReader struct {
	data []byte
	n    int
	err  error
}

func (r *modelFailingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := copy(p, r.data[:min(r.n, len(r.data))])
	r.data, r.n = r.data[k:], r.n-k
	return k, nil
}

func TestModelLoadReaderErrors(t *testing.T) {
	// Momentum's state in the middle of an epoch: every part of the
	// format, the data order and a moment vector included.
	_, b := modelTestStateful(t, Momentum{LR: 0.05})
	want, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	errDisk := errors.New("disk on fire")
	t.Run("ErrReader", func(t *testing.T) {
		_, err := Load(iotest.ErrReader(errDisk))
		modelWantIO(t, err, "disk on fire")
		if !errors.Is(err, errDisk) {
			t.Errorf("error %q does not wrap the reader's", err)
		}
	})
	t.Run("TimeoutReader", func(t *testing.T) {
		_, err := Load(iotest.TimeoutReader(bytes.NewReader(b)))
		modelWantIO(t, err, "timeout")
		if !errors.Is(err, iotest.ErrTimeout) {
			t.Errorf("error %q does not wrap iotest.ErrTimeout", err)
		}
	})
	t.Run("every position", func(t *testing.T) {
		for k := range len(b) {
			_, err := Load(&modelFailingReader{data: b, n: k, err: errDisk})
			if !errors.Is(err, errDisk) {
				t.Fatalf("reader failing after %d bytes: error %v, want it wrapped", k, err)
			}
			modelWantIO(t, err, "disk on fire")
		}
	})
	for name, r := range map[string]io.Reader{
		"OneByteReader": iotest.OneByteReader(bytes.NewReader(b)),
		"HalfReader":    iotest.HalfReader(bytes.NewReader(b)),
		"DataErrReader": iotest.DataErrReader(bytes.NewReader(b)),
	} {
		t.Run(name, func(t *testing.T) {
			n, err := Load(r)
			if err != nil {
				t.Fatal(err)
			}
			modelCheckSame(t, n, want, nil)
			modelCheckState(t, n.state, want.state)
		})
	}
}

// modelFailingWriter accepts n bytes, then fails.
type modelFailingWriter struct{ n int }

var errModelWrite = errors.New("no space left")

func (w *modelFailingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errModelWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestModelSaveWriterErrors(t *testing.T) {
	n, _ := modelTestNet(t, Config{Inputs: 300, Hidden: []Layer{{100, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 5})
	size := len(modelTestBytes(t, n))
	for _, k := range []int{0, 1, 100, 64 << 10, size - 1} {
		err := n.Save(&modelFailingWriter{n: k})
		if !errors.Is(err, errModelWrite) {
			t.Fatalf("writer failing after %d of %d bytes: error %v, want it wrapped", k, size, err)
		}
		modelWantErr(t, err, "writing")
	}
	if err := n.Save(&modelFailingWriter{n: size}); err != nil {
		t.Fatalf("writer taking exactly the file: %v", err)
	}
}

// TestModelSaveAllocs checks that Save streams the parameters rather than
// encoding them all at once.
func TestModelSaveAllocs(t *testing.T) {
	n, err := New(Config{Inputs: 1000, Hidden: []Layer{{1000, Sigmoid}}, Outputs: 10, Loss: CrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err = n.Save(io.Discard)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("Save of %d parameters (%d bytes) allocated %d bytes", n.NumParams(), 4*n.NumParams(), d)
	}
}

func TestModelSaveFileLoadFile(t *testing.T) {
	n, X := modelTestNet(t, Config{Inputs: 6, Hidden: []Layer{{4, ReLU}, {4, Tanh}}, Outputs: 3, Loss: CrossEntropy, Init: InitHe, Seed: 11})
	dir := t.TempDir()
	path := filepath.Join(dir, "net.gofma")
	if err := os.WriteFile(path, []byte("old contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	m, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	modelCheckSame(t, m, n, X)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d files after SaveFile, want 1 (no temporary left)", len(entries))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, modelTestBytes(t, n)) {
		t.Error("SaveFile wrote other bytes than Save")
	}

	wantErr := func(err error, substr string) {
		t.Helper()
		if err == nil {
			t.Fatalf("no error, want one containing %q", substr)
		}
		if !strings.HasPrefix(err.Error(), "mlp: model file") || !strings.Contains(err.Error(), substr) {
			t.Errorf("error %q, want the prefix %q and %q in it", err, "mlp: model file", substr)
		}
		if !errors.Is(err, ErrBadModelFile) {
			t.Errorf("error %q does not match ErrBadModelFile", err)
		}
	}
	missing := filepath.Join(dir, "missing.gofma")
	_, err = LoadFile(missing)
	if err == nil || !strings.HasPrefix(err.Error(), "mlp: model file") || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadFile of a missing file: error %v, want the prefix and the name", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %q does not wrap os.ErrNotExist", err)
	}
	if errors.Is(err, ErrBadModelFile) {
		t.Errorf("error %q of opening the file matches ErrBadModelFile", err)
	}
	_, err = LoadFile(dir)
	if err == nil || errors.Is(err, ErrBadModelFile) {
		t.Errorf("LoadFile of a directory: error %v, want one that does not match ErrBadModelFile", err)
	}
	noDir := filepath.Join(dir, "no", "such", "dir", "net.gofma")
	if err := n.SaveFile(noDir); err == nil || !strings.Contains(err.Error(), noDir) || errors.Is(err, ErrBadModelFile) {
		t.Errorf("SaveFile into a missing directory: error %v, want one naming it, not ErrBadModelFile", err)
	}

	corrupt := filepath.Join(dir, "corrupt.gofma")
	c := slices.Clone(b)
	c[len(c)-10] ^= 1
	if err := os.WriteFile(corrupt, c, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(corrupt)
	wantErr(err, corrupt)
	wantErr(err, "checksum mismatch: file corrupted")

	trailing := filepath.Join(dir, "trailing.gofma")
	if err := os.WriteFile(trailing, append(slices.Clone(b), 0), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(trailing)
	wantErr(err, trailing)
	wantErr(err, "extra bytes")

	short := filepath.Join(dir, "short.gofma")
	if err := os.WriteFile(short, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(short)
	wantErr(err, short)
	wantErr(err, "truncated")
}

func FuzzLoad(f *testing.F) {
	for _, cfg := range []Config{
		{Inputs: 3, Hidden: []Layer{{4, Tanh}}, Outputs: 2, Loss: CrossEntropy, Init: InitXavier, Seed: 3},
		{Inputs: 1, Outputs: 1, Loss: BinaryCrossEntropy, Seed: 1},
		{Inputs: 2, Hidden: []Layer{{2, ReLU}, {3, Sigmoid}}, Outputs: 1, Loss: MeanSquaredError, Init: InitHe, Seed: 1 << 63},
	} {
		n, _ := modelTestNet(f, cfg)
		b := modelTestBytes(f, n)
		v1 := modelV1Bytes(n)
		n.DropTraining()
		for _, b := range [][]byte{b, modelTestBytes(f, n), v1} {
			f.Add(b)
			f.Add(append(slices.Clone(b), "trailer"...))
			f.Add(b[:len(b)-1])
			f.Add(b[:len(b)-4]) // the fuzz body appends a checksum
			f.Add(b[:len(b)/2])
			c := slices.Clone(b)
			c[len(c)/2] ^= 0x40
			f.Add(c)
		}
	}
	// Training states with a data order, of every optimizer.
	for _, opt := range modelOptimizers {
		_, b := modelTestStateful(f, opt)
		f.Add(b)
		f.Add(b[:len(b)-4])
		off := modelStateOffset(b)
		f.Add(b[:min(len(b)-1, off+1+42+1+1+20+4*5)])
	}
	f.Add([]byte{})
	f.Add([]byte("GOFMAMLP"))
	f.Add(modelHeader(1, 1, 0, MaxUnits, [2]uint32{953, 2}, [2]uint32{1, 1}))
	f.Add(modelHeader(2, 1, 0, MaxUnits, [2]uint32{953, 2}, [2]uint32{1, 1}))
	f.Add(modelComplete(modelHeader(1, 3, 2, 2, [2]uint32{2, 4}, [2]uint32{1, 1}), 2*3+1*3))
	f.Add(modelComplete(modelHeader(2, 3, 2, 2, [2]uint32{2, 4}, [2]uint32{1, 1}), 2*3+1*3))
	f.Add(modelHugeState(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		modelFuzzOne(t, data)
		// Again with a valid checksum at the end, so that the fuzzer
		// reaches the checks behind it with headers of its own.
		sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
		modelFuzzOne(t, binary.LittleEndian.AppendUint32(slices.Clip(data), sum))
	})
}

// modelFuzzOne checks that Load of data fails with a prefixed error that
// matches ErrBadModelFile, or returns a network whose Save gives back the
// bytes Load read (a version-1 file's as version 2).
func modelFuzzOne(t *testing.T, data []byte) {
	r := bytes.NewReader(data)
	n, err := Load(r)
	if err != nil {
		if n != nil {
			t.Fatal("a network with the error")
		}
		if !strings.HasPrefix(err.Error(), "mlp: model file: ") {
			t.Fatalf("error %q lacks the prefix", err)
		}
		if !errors.Is(err, ErrBadModelFile) {
			t.Fatalf("error %q does not match ErrBadModelFile", err)
		}
		if strings.Contains(err.Error(), "truncated") != errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("error %q: truncated, or io.ErrUnexpectedEOF, without the other", err)
		}
		return
	}
	used := len(data) - r.Len()
	want := data[:used]
	if binary.LittleEndian.Uint32(data[8:]) == 1 {
		want = modelV1ToV2(want)
	}
	var b bytes.Buffer
	if err := n.Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("Load read %d bytes, Save of the result writes %d other ones", used, b.Len())
	}
	if st := n.state; st != nil && st.shuffler != nil {
		t.Fatal("a loaded training state with a shuffler")
	}
}

// modelOptimizers are an optimizer of each type, with rates that keep
// modelTestStateful's training finite.
var modelOptimizers = []Optimizer{
	GD{LR: 0.1}, SGD{LR: 0.1}, Momentum{LR: 0.05}, AdaGrad{LR: 0.05}, RMSProp{LR: 0.01}, Adam{LR: 0.01}, AdamW{LR: 0.01, WeightDecay: 0.01},
}

// modelCheckState fails unless got is want, bit for bit (the shuffler,
// derived, aside: got must have none), with a generator in the same
// state but not the same one.
func modelCheckState(t *testing.T, got, want *trainState) {
	t.Helper()
	if got == nil || want == nil {
		if got != want {
			t.Fatalf("training state %v, want %v", got, want)
		}
		return
	}
	if got.kind != want.kind || got.step != want.step || got.epochs != want.epochs || got.samples != want.samples ||
		got.pos != want.pos || math.Float64bits(got.epochLoss) != math.Float64bits(want.epochLoss) {
		t.Fatalf("training state %s step %d epochs %d samples %d pos %d loss %v, want %s %d %d %d %d %v",
			optimizerNames[got.kind], got.step, got.epochs, got.samples, got.pos, got.epochLoss,
			optimizerNames[want.kind], want.step, want.epochs, want.samples, want.pos, want.epochLoss)
	}
	if !slices.Equal(got.perm, want.perm) || (got.perm == nil) != (want.perm == nil) {
		t.Fatalf("data order %v, want %v", got.perm, want.perm)
	}
	if (got.rng == nil) != (want.rng == nil) || got.rng != nil && got.rng == want.rng {
		t.Fatalf("generator %p, want a copy of %p", got.rng, want.rng)
	}
	if got.rng != nil {
		g, _ := got.rng.MarshalBinary()
		w, _ := want.rng.MarshalBinary()
		if !bytes.Equal(g, w) {
			t.Fatalf("generator state % x, want % x", g, w)
		}
	}
	if got.shuffler != nil {
		t.Fatal("a loaded state has a shuffler")
	}
	if len(got.moments) != len(want.moments) || len(got.moments) != optimizerMoments[want.kind] {
		t.Fatalf("%d moment vectors, want %d", len(got.moments), len(want.moments))
	}
	for i := range want.moments {
		if len(got.moments[i]) != len(want.moments[i]) {
			t.Fatalf("moments %d: %d values, want %d", i, len(got.moments[i]), len(want.moments[i]))
		}
		for j, v := range want.moments[i] {
			if math.Float32bits(got.moments[i][j]) != math.Float32bits(v) {
				t.Fatalf("moments %d[%d] = %v, want %v", i, j, got.moments[i][j], v)
			}
		}
	}
}

// TestModelStateRoundTrip saves and loads the training state of every
// optimizer, in the middle of an epoch of mini-batches (GD: after full
// batches), and checks it bit for bit, and that the next epoch's order
// drawn from the loaded generator is the one drawn from the saved one.
func TestModelStateRoundTrip(t *testing.T) {
	for _, opt := range modelOptimizers {
		t.Run(fmt.Sprintf("%T", opt), func(t *testing.T) {
			n, b := modelTestStateful(t, opt)
			m, err := Load(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			modelCheckSame(t, m, n, nil)
			if m.Steps() != 7 {
				t.Errorf("Steps() = %d, want 7", m.Steps())
			}
			st, want := m.state, n.state
			modelCheckState(t, st, want)
			if kind := optimizerKind(opt); st.kind != kind {
				t.Errorf("optimizer code %d, want %d", st.kind, kind)
			}
			if isGD(opt) {
				if st.perm != nil || st.pos != 0 || st.epochs != 7 {
					t.Errorf("GD's state: data order %v, position %d, %d epochs; want none, 0, 7", st.perm, st.pos, st.epochs)
				}
				return
			}
			if st.pos != 9 || st.epochs != 1 || st.samples != 10 {
				t.Errorf("position %d, %d epochs, %d samples; want 9, 1, 10", st.pos, st.epochs, st.samples)
			}
			if !bytes.Equal(modelTestBytes(t, m), b) {
				t.Error("saving the loaded network gives other bytes")
			}
			for e := range 3 {
				want.shuffle(0)
				st.shuffle(0)
				if !slices.Equal(st.perm, want.perm) {
					t.Fatalf("the order of epoch %d after loading is %v, without saving %v", e+3, st.perm, want.perm)
				}
			}
		})
	}
	t.Run("no step yet", func(t *testing.T) {
		// A Fit cancelled before its first step leaves a state of 0 steps.
		n, err := New(modelStatefulCfg)
		if err != nil {
			t.Fatal(err)
		}
		X, Y := modelTestData(modelStatefulCfg, 10, 2)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := n.Fit(ctx, X, Y, FitConfig{Optimizer: Adam{}, Iterations: 3}); !errors.Is(err, ErrCanceled) {
			t.Fatalf("Fit = %v, want ErrCanceled", err)
		}
		if n.state == nil {
			t.Skip("a cancelled Fit leaves no training state")
		}
		m, err := Load(bytes.NewReader(modelTestBytes(t, n)))
		if err != nil {
			t.Fatal(err)
		}
		modelCheckState(t, m.state, n.state)
	})
}

// TestModelSaveWeightsOnly checks that DropTraining and Clone leave Save
// the weights alone, and that such a file loads with no training state.
func TestModelSaveWeightsOnly(t *testing.T) {
	n, full := modelTestStateful(t, Adam{LR: 0.01})
	c := n.Clone()
	n.DropTraining()
	for name, k := range map[string]*Network{"DropTraining": n, "Clone": c} {
		b := modelTestBytes(t, k)
		if want := modelStateOffset(full) + 1 + 4; len(b) != want || b[len(b)-5] != 0 {
			t.Errorf("%s: a file of %d bytes, want %d ending with the byte of no training state", name, len(b), want)
		}
		m, err := Load(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		modelCheckSame(t, m, k, nil)
		if m.state != nil || m.Steps() != 0 {
			t.Errorf("%s: the loaded network holds a training state of %d steps", name, m.Steps())
		}
	}
}

// TestModelLoadBadState corrupts each field of the training state of a
// file (Momentum's, in the middle of an epoch: step 7, epoch 2 at sample
// 9 of 10), with the checksum made to match, and checks the error names
// the field.
func TestModelLoadBadState(t *testing.T) {
	_, b := modelTestStateful(t, Momentum{LR: 0.05})
	le := binary.LittleEndian
	s := modelStateOffset(b)
	const (
		kind    = 1
		step    = 2
		epochs  = 10
		samples = 18
		pos     = 26
		loss    = 34
		order   = 42
		rngLen  = 43
		rng     = 44
		perm    = 64
	)
	if b[s] != 1 || b[s+kind] != 3 || le.Uint64(b[s+step:]) != 7 || le.Uint64(b[s+epochs:]) != 1 ||
		le.Uint64(b[s+samples:]) != 10 || le.Uint64(b[s+pos:]) != 9 || b[s+order] != 1 || b[s+rngLen] != 20 {
		t.Fatalf("the fixture's state is not what the test assumes:\n% x", b[s:s+perm])
	}
	edit := func(f func(c []byte)) []byte {
		c := slices.Clone(b)
		f(c[s:])
		return modelResum(c)
	}
	u64 := func(at int, v uint64) []byte { return edit(func(c []byte) { le.PutUint64(c[at:], v) }) }
	u8 := func(at int, v byte) []byte { return edit(func(c []byte) { c[at] = v }) }
	for _, c := range []struct {
		name string
		file []byte
		err  string
	}{
		{"state byte 2", u8(0, 2), "training-state byte 2, want 0 (none) or 1"},
		{"state byte 255", u8(0, 255), "training-state byte 255"},
		{"optimizer 0", u8(kind, 0), "unknown optimizer code 0 (want 1..7)"},
		{"optimizer 8", u8(kind, 8), "unknown optimizer code 8 (want 1..7)"},
		{"steps 2^63", u64(step, 1<<63), "9223372036854775808 steps, need fewer than"},
		{"steps 2^64-1", u64(step, math.MaxUint64), "18446744073709551615 steps"},
		{"epochs > steps", u64(epochs, 8), "8 epochs completed in 7 steps"},
		{"epochs = steps within an epoch", u64(epochs, 7), "epoch position 9, but all 7 steps completed epochs"},
		{"samples 0", u64(samples, 0), "training state: 0 samples, need 1..2147483647"},
		{"samples 2^31", u64(samples, 1<<31), "training state: 2147483648 samples, need 1..2147483647"},
		{"samples 2^64-1", u64(samples, math.MaxUint64), "18446744073709551615 samples"},
		{"samples = position", u64(samples, 9), "epoch position 9, need less than the 9 samples"},
		{"samples one more", u64(samples, 11), "training state: data order"},
		{"position = samples", u64(pos, 10), "epoch position 10, need less than the 10 samples"},
		{"position 2^63", u64(pos, 1<<63), "epoch position 9223372036854775808"},
		{"epoch loss NaN", u64(loss, math.Float64bits(math.NaN())), "epoch loss NaN, need a finite number"},
		{"epoch loss +Inf", u64(loss, math.Float64bits(math.Inf(1))), "epoch loss +Inf"},
		{"epoch loss -Inf", u64(loss, math.Float64bits(math.Inf(-1))), "epoch loss -Inf"},
		{"data-order byte 2", u8(order, 2), "data-order byte 2, want 0 (none) or 1"},
		{"no data order within an epoch", u8(order, 0), "epoch position 9 without a data order"},
		{"GD with a data order", u8(kind, 1), "GD's, with a data order, but GD trains on full batches"},
		{"generator length 0", u8(rngLen, 0), "generator state of 0 bytes, need 1..64"},
		{"generator length 65", u8(rngLen, 65), "generator state of 65 bytes, need 1..64"},
		{"generator length 255", u8(rngLen, 255), "generator state of 255 bytes"},
		{"generator length 19", u8(rngLen, 19), "training state: generator state"},
		{"generator tag", u8(rng, 'x'), "training state: generator state"},
		{"order out of range", edit(func(c []byte) { le.PutUint32(c[perm+4*3:], 10) }), "data order: place 3 holds sample 10, of 10 samples"},
		{"order 2^32-1", edit(func(c []byte) { le.PutUint32(c[perm:], math.MaxUint32) }), "data order: place 0 holds sample 4294967295"},
		{"order repeated", edit(func(c []byte) { copy(c[perm+4*7:perm+4*8], c[perm+4*2:]) }),
			fmt.Sprintf("data order: sample %d appears twice (again at place 7), not a permutation", le.Uint32(b[s+perm+4*2:]))},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := Load(bytes.NewReader(c.file))
			if n != nil {
				t.Error("a network with the error")
			}
			modelWantBad(t, err, c.err)
		})
	}
	// One sample fewer (and a position that allows it): the data order
	// it reads is short, and the parts after it are out of place.
	_, err := Load(bytes.NewReader(edit(func(c []byte) {
		le.PutUint64(c[samples:], 9)
		le.PutUint64(c[pos:], 3)
	})))
	modelWantBad(t, err, "")
	// The unchanged file, checksum recomputed, still loads.
	if _, err := Load(bytes.NewReader(edit(func([]byte) {}))); err != nil {
		t.Fatal(err)
	}
}

// modelHugeState returns a short version-2 file whose training state
// claims 2³¹−1 samples, with their data order (8 GiB of it): the file
// ends 8 samples in.
func modelHugeState(t testing.TB) []byte {
	_, b := modelTestStateful(t, SGD{LR: 0.1})
	le := binary.LittleEndian
	s := modelStateOffset(b)
	c := slices.Clone(b[:s+64+4*8])
	le.PutUint64(c[s+18:], modelMaxSamples)
	return c
}

// TestModelLoadHugeState checks that a short file whose training state
// claims 2³¹−1 samples allocates little: the data order is read as its
// bytes arrive.
func TestModelLoadHugeState(t *testing.T) {
	modelWantAllocs(t, modelHugeState(t), "truncated in the training state's data order")
}

// TestModelSaveBadState checks that Save refuses, before writing a byte,
// a training state a model file cannot hold or Load would reject.
func TestModelSaveBadState(t *testing.T) {
	n, err := New(modelStatefulCfg)
	if err != nil {
		t.Fatal(err)
	}
	P := n.NumParams()
	for _, c := range []struct {
		name string
		st   trainState
		err  string
	}{
		{"too many samples", trainState{kind: 2, samples: modelMaxSamples + 1}, "a model file holds at most 2147483647: call DropTraining"},
		{"unknown optimizer", trainState{kind: 9, samples: 3}, "unknown optimizer code 9"},
		{"moment count", trainState{kind: 6, samples: 3, moments: [][]float32{make([]float32, P)}}, "1 moment vectors, Adam has 2"},
		{"moment length", trainState{kind: 3, samples: 3, moments: [][]float32{make([]float32, P-1)}}, "moments of 42 parameters, the network has 43"},
		{"order length", trainState{kind: 2, samples: 3, perm: []int{0, 1}, rng: rand.NewPCG(1, 2)}, "a data order of 2 samples, of 3"},
		{"order without generator", trainState{kind: 2, samples: 2, perm: []int{0, 1}}, "a data order of 2 samples"},
	} {
		n.state = &c.st
		var b bytes.Buffer
		err := n.Save(&b)
		modelWantErr(t, err, c.err)
		if b.Len() != 0 {
			t.Errorf("%s: Save wrote %d bytes with its error", c.name, b.Len())
		}
	}
}
