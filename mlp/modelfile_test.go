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

func TestModelSaveLoadRoundTrip(t *testing.T) {
	for _, loss := range []Loss{BinaryCrossEntropy, CrossEntropy, MeanSquaredError} {
		for _, act := range []Activation{Identity, Sigmoid, Tanh, ReLU} {
			for _, init := range []Init{InitLecture, InitXavier, InitHe} {
				cfg := Config{Inputs: 5, Hidden: []Layer{{7, act}, {3, Sigmoid}}, Outputs: 3, Loss: loss, Init: init, Seed: uint64(init)<<40 | uint64(act)<<8 | uint64(loss)}
				t.Run(fmt.Sprintf("loss=%v/act=%v/init=%v", loss, act, init), func(t *testing.T) {
					n, X := modelTestNet(t, cfg)
					b := modelTestBytes(t, n)
					if want := 34 + 5*3 + 4*(7*6+3*8+3*4); len(b) != want {
						t.Errorf("file of %d bytes, want %d", len(b), want)
					}
					m, err := Load(bytes.NewReader(b))
					if err != nil {
						t.Fatal(err)
					}
					modelCheckSame(t, m, n, X)
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
	want = le.AppendUint32(want, 1)
	want = append(want, 3, 2) // mse, he
	want = le.AppendUint64(want, 0x0102030405060708)
	want = le.AppendUint32(want, 2)
	want = le.AppendUint32(want, 2)
	want = append(le.AppendUint32(want, 3), 4) // 3 units, relu
	want = append(le.AppendUint32(want, 1), 1) // 1 output, identity
	for i := range 3*2 + 3 + 1*3 + 1 {
		want = le.AppendUint32(want, math.Float32bits(float32(i)+0.5))
	}
	want = le.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(b, want) {
		t.Fatalf("saved\n% x\nwant\n% x", b, want)
	}
	// The layout: W of layer 0 is 3×2 row-major, then b.
	if w := n.Weights(0); w.At(1, 0) != n.params[2] || n.Bias(0)[0] != n.params[6] || n.Weights(1).At(0, 2) != n.params[11] {
		t.Fatal("parameter layout is not W row-major then b per layer")
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

func TestModelLoadCorruptByte(t *testing.T) {
	b := modelTestSmall(t)
	if _, err := Load(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
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
			if i >= 30+5*2 && !strings.Contains(err.Error(), "checksum mismatch: file corrupted") {
				t.Fatalf("byte %d ^ %#x (after the header): error %q, want a checksum mismatch", i, mask, err)
			}
		}
	}
}

func TestModelLoadTruncated(t *testing.T) {
	b := modelTestSmall(t)
	for k := range len(b) {
		n, err := Load(bytes.NewReader(b[:k]))
		if err == nil || n != nil {
			t.Fatalf("first %d of %d bytes: Load = %v, %v; want an error", k, len(b), n, err)
		}
		if k == 0 {
			modelWantErr(t, err, "empty")
			continue
		}
		modelWantErr(t, err, "truncated")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("first %d bytes: error %q does not wrap io.ErrUnexpectedEOF", k, err)
		}
	}
}

// modelHeader returns a model file's header, layers given as units and
// activation codes, the last one the output layer.
func modelHeader(loss, init byte, inputs uint32, layers ...[2]uint32) []byte {
	le := binary.LittleEndian
	b := []byte("GOFMAMLP")
	b = le.AppendUint32(b, 1)
	b = append(b, loss, init)
	b = le.AppendUint64(b, 42)
	b = le.AppendUint32(b, inputs)
	b = le.AppendUint32(b, uint32(len(layers)))
	for _, l := range layers {
		b = append(le.AppendUint32(b, l[0]), byte(l[1]))
	}
	return b
}

// modelComplete appends params zero parameters and the checksum to a header.
func modelComplete(h []byte, params int) []byte {
	b := append(slices.Clip(h), make([]byte, 4*params)...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

func TestModelLoadBadHeader(t *testing.T) {
	const id, sig, relu = 1, 2, 4
	valid := modelComplete(modelHeader(1, 0, 2, [2]uint32{3, sig}, [2]uint32{1, id}), 3*3+1*4)
	if n, err := Load(bytes.NewReader(valid)); err != nil {
		t.Fatalf("the hand-made file: %v", err)
	} else if want := (Config{Inputs: 2, Hidden: []Layer{{3, Sigmoid}}, Outputs: 1, Loss: BinaryCrossEntropy, Init: InitLecture, Seed: 42}); !modelConfigEqual(n.Config(), want) {
		t.Fatalf("the hand-made file: Config() = %+v, want %+v", n.Config(), want)
	}
	version7 := slices.Clone(valid)
	binary.LittleEndian.PutUint32(version7[8:], 7)
	for _, c := range []struct {
		name string
		file []byte
		err  string
	}{
		{"wrong magic", append([]byte("GOFMAMLQ"), valid[8:]...), "not a gofma model file"},
		{"text", []byte("hello, world\n"), "not a gofma model file"},
		{"short non-model", []byte("GIF"), "not a gofma model file"},
		{"wrong version", version7, "version 7, this build reads version 1"},
		{"loss 0", modelComplete(modelHeader(0, 0, 2, [2]uint32{1, id}), 3), "unknown loss code 0"},
		{"loss 4", modelComplete(modelHeader(4, 0, 2, [2]uint32{1, id}), 3), "unknown loss code 4"},
		{"init 3", modelComplete(modelHeader(1, 3, 2, [2]uint32{1, id}), 3), "unknown initialisation code 3"},
		{"inputs 0", modelComplete(modelHeader(1, 0, 0, [2]uint32{1, id}), 1), "0 inputs"},
		{"inputs 2^31", modelHeader(1, 0, 1<<31, [2]uint32{1, id}), "2147483648 inputs"},
		{"inputs MaxUnits+1", modelHeader(1, 0, MaxUnits+1, [2]uint32{1, id}), "1048577 inputs"},
		{"layers 0", modelComplete(modelHeader(1, 0, 2), 0), "0 layers"},
		{"layers 2^31", binary.LittleEndian.AppendUint32(modelHeader(1, 0, 2)[:26], 1<<31), "2147483648 layers"},
		{"layers 2^32-1", binary.LittleEndian.AppendUint32(modelHeader(1, 0, 2)[:26], math.MaxUint32), "4294967295 layers"},
		{"layers MaxLayers+1", binary.LittleEndian.AppendUint32(modelHeader(1, 0, 2)[:26], MaxLayers+1), "1025 layers"},
		{"units 0", modelHeader(1, 0, 2, [2]uint32{0, sig}, [2]uint32{1, id}), "layer 1 of 2 has 0 units"},
		{"units 2^31", modelHeader(1, 0, 2, [2]uint32{3, sig}, [2]uint32{1 << 31, id}), "layer 2 of 2 has 2147483648 units"},
		{"activation 0", modelHeader(1, 0, 2, [2]uint32{3, 0}, [2]uint32{1, id}), "unknown activation code 0"},
		{"activation 5", modelHeader(1, 0, 2, [2]uint32{3, 5}, [2]uint32{1, id}), "unknown activation code 5"},
		{"output activation", modelHeader(1, 0, 2, [2]uint32{3, sig}, [2]uint32{1, relu}), "output layer has activation code 4"},
		{"cross-entropy with 1 output", modelComplete(modelHeader(2, 0, 2, [2]uint32{1, id}), 3), "cross-entropy with 1 output"},
		{"params product", modelHeader(1, 0, MaxUnits, [2]uint32{MaxUnits, sig}, [2]uint32{1, id}), "the first 1 of 2 layers have more than 1073741824 parameters"},
		{"params sum", modelHeader(1, 0, 1<<15, [2]uint32{1 << 14, sig}, [2]uint32{1 << 15, sig}, [2]uint32{1 << 15, sig}, [2]uint32{1, id}), "the first 2 of 4 layers have more than"},
		{"params just over", modelHeader(3, 0, 1<<15, [2]uint32{1 << 15, id}), "more than 1073741824 parameters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := Load(bytes.NewReader(c.file))
			if n != nil {
				t.Error("a network with the error")
			}
			modelWantErr(t, err, c.err)
		})
	}
	t.Run("params exactly MaxParams claimed", func(t *testing.T) {
		// 2^15 units of 2^15−1 inputs and a bias: 2^30 parameters, allowed;
		// the file then ends.
		_, err := Load(bytes.NewReader(modelHeader(3, 0, 1<<15-1, [2]uint32{1 << 15, id})))
		modelWantErr(t, err, "truncated in the parameters")
	})
}

// TestModelLoadHugeClaim checks that a short file claiming about 10^9
// parameters (4 GB) allocates little.
func TestModelLoadHugeClaim(t *testing.T) {
	const sig, id = 2, 1
	file := modelHeader(1, 0, MaxUnits, [2]uint32{953, sig}, [2]uint32{1, id}) // 953·(2^20+1)+954 ≈ 0.9993·10^9 parameters
	file = append(file, make([]byte, 16)...)
	if _, err := Load(bytes.NewReader(file)); err == nil {
		t.Fatal("no error")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load(bytes.NewReader(file))
	runtime.ReadMemStats(&after)
	modelWantErr(t, err, "truncated in the parameters")
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
	b := modelTestSmall(t)
	want, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	errDisk := errors.New("disk on fire")
	t.Run("ErrReader", func(t *testing.T) {
		_, err := Load(iotest.ErrReader(errDisk))
		modelWantErr(t, err, "disk on fire")
		if !errors.Is(err, errDisk) {
			t.Errorf("error %q does not wrap the reader's", err)
		}
	})
	t.Run("TimeoutReader", func(t *testing.T) {
		_, err := Load(iotest.TimeoutReader(bytes.NewReader(b)))
		modelWantErr(t, err, "timeout")
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
			modelWantErr(t, err, "disk on fire")
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
	}
	missing := filepath.Join(dir, "missing.gofma")
	_, err = LoadFile(missing)
	wantErr(err, missing)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %q does not wrap os.ErrNotExist", err)
	}
	noDir := filepath.Join(dir, "no", "such", "dir", "net.gofma")
	wantErr(n.SaveFile(noDir), noDir)

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
		f.Add(b)
		f.Add(append(slices.Clone(b), "trailer"...))
		f.Add(b[:len(b)-1])
		f.Add(b[:len(b)-4]) // the fuzz body appends a checksum
		f.Add(b[:len(b)/2])
		c := slices.Clone(b)
		c[len(c)/2] ^= 0x40
		f.Add(c)
	}
	f.Add([]byte{})
	f.Add([]byte("GOFMAMLP"))
	f.Add(modelHeader(1, 0, MaxUnits, [2]uint32{953, 2}, [2]uint32{1, 1}))
	f.Add(modelComplete(modelHeader(3, 2, 2, [2]uint32{2, 4}, [2]uint32{1, 1}), 2*3+1*3))
	f.Fuzz(func(t *testing.T, data []byte) {
		modelFuzzOne(t, data)
		// Again with a valid checksum at the end, so that the fuzzer
		// reaches the checks behind it with headers of its own.
		sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
		modelFuzzOne(t, binary.LittleEndian.AppendUint32(slices.Clip(data), sum))
	})
}

// modelFuzzOne checks that Load of data fails with a prefixed error or
// returns a network whose Save gives back the bytes Load read.
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
		return
	}
	used := len(data) - r.Len()
	var b bytes.Buffer
	if err := n.Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), data[:used]) {
		t.Fatalf("Load read %d bytes, Save of the result writes %d other ones", used, b.Len())
	}
}
