package mlp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
)

// The model file's fixed parts; see Save.
const (
	modelMagic      = "GOFMAMLP"
	modelVersion    = 1
	modelHeaderLen  = 30       // magic, version, loss, init, seed, inputs, layer count
	modelLayerLen   = 5        // units, activation
	modelChunkFirst = 64 << 10 // first parameter chunk Load reads, in bytes
	modelChunkMax   = 8 << 20  // largest parameter chunk Load reads, in bytes
	modelWriteChunk = 64 << 10 // bytes of parameters Save encodes at once
)

var modelCRCTable = crc32.MakeTable(crc32.Castagnoli)

// Save writes the network to w as a model file, which Load reads back into
// a network that predicts bitwise like this one. It writes through a
// buffer, which it flushes before returning. Training state (optimizer
// moments, workspaces) is not saved.
//
// The format, version 1, is little-endian throughout; offsets in bytes:
//
//	offset     size  field
//	0          8     magic "GOFMAMLP"
//	8          4     uint32 version = 1
//	12         1     uint8 loss: 1 bce, 2 crossentropy, 3 mse (type Loss)
//	13         1     uint8 init: 0 lecture, 1 xavier, 2 he (type Init)
//	14         8     uint64 seed (Config.Seed)
//	22         4     uint32 inputs, 1..MaxUnits
//	26         4     uint32 L, the layers: hidden layers and the output layer, 1..MaxLayers
//	30         5·L   per layer, from the input side: uint32 units (1..MaxUnits),
//	                 uint8 activation: 1 identity, 2 sigmoid, 3 tanh, 4 relu
//	                 (type Activation); the last layer is the output layer,
//	                 its units are Config.Outputs and its activation byte is
//	                 always 1 (identity: it computes the logits the loss's
//	                 head turns into outputs)
//	30+5·L     4·P   P float32 parameters (IEEE 754 bits), layer after layer:
//	                 the out×in weights W row-major (one row per unit), then
//	                 the out biases b; in is the inputs for the first layer,
//	                 the previous layer's units after it, so
//	                 P = Σ out·(in+1) ≤ MaxParams
//	30+5·L+4·P 4     uint32 CRC-32 (Castagnoli polynomial, as Go's
//	                 crc32.Checksum with crc32.Castagnoli, and iSCSI) of
//	                 every byte before it
//
// The file ends with the checksum. Parameters are stored as they are,
// NaN and infinity included.
func (n *Network) Save(w io.Writer) error {
	if err := n.save(w); err != nil {
		return fmt.Errorf("mlp: model file: writing: %w", err)
	}
	return nil
}

// save writes the model file to w, returning w's error unwrapped.
func (n *Network) save(w io.Writer) error {
	bw := bufio.NewWriterSize(w, modelWriteChunk)
	cw := &crcWriter{w: bw, crc: crc32.New(modelCRCTable)}

	hdr := make([]byte, 0, modelHeaderLen+modelLayerLen*len(n.layers))
	hdr = append(hdr, modelMagic...)
	hdr = binary.LittleEndian.AppendUint32(hdr, modelVersion)
	hdr = append(hdr, byte(n.cfg.Loss), byte(n.cfg.Init))
	hdr = binary.LittleEndian.AppendUint64(hdr, n.cfg.Seed)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(n.cfg.Inputs))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(n.layers)))
	for _, l := range n.layers {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(l.out))
		hdr = append(hdr, byte(l.act))
	}
	if _, err := cw.Write(hdr); err != nil {
		return err
	}

	buf := make([]byte, min(modelWriteChunk, 4*len(n.params)))
	for p := n.params; len(p) > 0; {
		k := min(len(p), len(buf)/4)
		for i, v := range p[:k] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := cw.Write(buf[:4*k]); err != nil {
			return err
		}
		p = p[k:]
	}

	sum := binary.LittleEndian.AppendUint32(nil, cw.crc.Sum32())
	if _, err := bw.Write(sum); err != nil {
		return err
	}
	return bw.Flush()
}

// crcWriter writes to w and adds what it writes to crc.
type crcWriter struct {
	w   io.Writer
	crc hash.Hash32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc.Write(p)
	return c.w.Write(p)
}

// Load reads a model file that Save wrote and returns its network, ready
// to predict or to train further (with fresh optimizer state).
//
// Load reads exactly the model's bytes and nothing past its checksum, so a
// model may be followed by other data in the same stream; it does not
// buffer r (its reads are large except for the header's). It checks every
// header field against the limits (MaxLayers, MaxUnits, MaxParams) and
// the known codes before it allocates anything in proportion to it, and it
// allocates memory for the parameters only as their bytes arrive, so a
// short file that claims a huge network costs little. A file that is not
// a model, of another version, truncated, corrupted (its checksum does not
// match) or of an impossible shape gives an error beginning
// "mlp: model file: "; errors of r are wrapped.
func Load(r io.Reader) (*Network, error) {
	n, err := load(r)
	if err != nil {
		return nil, fmt.Errorf("mlp: model file: %w", err)
	}
	return n, nil
}

// load is Load without the prefix on its errors.
func load(r io.Reader) (*Network, error) {
	crc := crc32.New(modelCRCTable)
	var hdr [modelHeaderLen]byte
	got, err := io.ReadFull(r, hdr[:])
	crc.Write(hdr[:got])
	if got < len(modelMagic) {
		switch {
		case err != nil && !isEOF(err):
			return nil, fmt.Errorf("reading the header: %w", err)
		case got == 0:
			return nil, errors.New("empty input (0 bytes), not a gofma model file")
		case string(hdr[:got]) != modelMagic[:got]:
			return nil, fmt.Errorf("not a gofma model file (it begins %q, a model %q)", hdr[:got], modelMagic)
		}
		return nil, truncated("in the magic number", got, modelMinLen(1), false)
	}
	if string(hdr[:len(modelMagic)]) != modelMagic {
		return nil, fmt.Errorf("not a gofma model file (it begins %q, a model %q)", hdr[:len(modelMagic)], modelMagic)
	}
	if err != nil {
		if isEOF(err) {
			return nil, truncated("in the header", got, modelMinLen(1), false)
		}
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	le := binary.LittleEndian
	if v := le.Uint32(hdr[8:]); v != modelVersion {
		return nil, fmt.Errorf("version %d, this build reads version %d: load it with a gofma that reads version %[1]d", v, modelVersion)
	}
	cfg := Config{Loss: Loss(hdr[12]), Init: Init(hdr[13]), Seed: le.Uint64(hdr[14:])}
	if !cfg.Loss.valid() {
		return nil, fmt.Errorf("unknown loss code %d (want 1..3): the file is corrupted or from a newer gofma", hdr[12])
	}
	if cfg.Init > InitHe {
		return nil, fmt.Errorf("unknown initialisation code %d (want 0..2): the file is corrupted or from a newer gofma", hdr[13])
	}
	inputs, nl := le.Uint32(hdr[22:]), le.Uint32(hdr[26:])
	if inputs < 1 || inputs > MaxUnits {
		return nil, fmt.Errorf("%d inputs, need 1..%d", inputs, MaxUnits)
	}
	if nl < 1 || nl > MaxLayers {
		return nil, fmt.Errorf("%d layers, need 1..%d", nl, MaxLayers)
	}
	cfg.Inputs = int(inputs)

	// The layer table is at most 5·MaxLayers bytes: small enough to read
	// at once, now that the count is checked.
	table := make([]byte, modelLayerLen*int(nl))
	got, err = io.ReadFull(r, table)
	crc.Write(table[:got])
	if err != nil {
		if isEOF(err) {
			return nil, truncated("in the layer table", modelHeaderLen+got, modelMinLen(int(nl)), false)
		}
		return nil, fmt.Errorf("reading the layer table: %w", err)
	}
	// P = Σ out·(in+1) is checked against MaxParams after every layer, so
	// that the error names the layer that passes it.
	total, in := 0, cfg.Inputs
	for i := range int(nl) {
		rec := table[modelLayerLen*i:]
		units, act := le.Uint32(rec), Activation(rec[4])
		if units < 1 || units > MaxUnits {
			return nil, fmt.Errorf("layer %d of %d has %d units, need 1..%d", i+1, nl, units, MaxUnits)
		}
		last := i == int(nl)-1
		switch {
		case last && act != Identity:
			return nil, fmt.Errorf("the output layer has activation code %d, want %d (identity): the file is corrupted", rec[4], Identity)
		case !act.valid():
			return nil, fmt.Errorf("layer %d of %d has unknown activation code %d (want 1..4): the file is corrupted or from a newer gofma", i+1, nl, rec[4])
		}
		var ok bool
		if total, ok = addLayerParams(total, in, int(units)); !ok {
			return nil, fmt.Errorf("the first %d of %d layers have more than %d parameters (the limit MaxParams): the file is corrupted", i+1, nl, MaxParams)
		}
		in = int(units)
		if last {
			cfg.Outputs = int(units)
		} else {
			cfg.Hidden = append(cfg.Hidden, Layer{Units: int(units), Act: act})
		}
	}
	if cfg.Loss == CrossEntropy && cfg.Outputs < 2 {
		return nil, fmt.Errorf("cross-entropy with %d output, need at least 2: the file is corrupted", cfg.Outputs)
	}

	// Config.Check has the last word on the shape and counts P as New
	// does; the checks above are there to name the file's fields.
	params, err := cfg.check()
	if err != nil {
		return nil, fmt.Errorf("invalid network: %w", err)
	}

	// Read the parameters in chunks that grow with what has arrived, so
	// that memory follows the bytes present, not the header's claim.
	if params > (math.MaxInt-1<<20)/4 {
		return nil, fmt.Errorf("%d parameters need more memory than this platform can address", params)
	}
	start := modelHeaderLen + len(table)
	size := 4 * params
	var chunks [][]byte
	for done, c := 0, modelChunkFirst; done < size; c = min(2*c, modelChunkMax) {
		buf := make([]byte, min(c, size-done))
		got, err := io.ReadFull(r, buf)
		crc.Write(buf[:got])
		done += got
		if err != nil {
			if isEOF(err) {
				return nil, truncated("in the parameters", start+done, start+size+4, true)
			}
			return nil, fmt.Errorf("reading the parameters: %w", err)
		}
		chunks = append(chunks, buf)
	}
	var sum [4]byte
	got, err = io.ReadFull(r, sum[:])
	if err != nil {
		if isEOF(err) {
			return nil, truncated("in the checksum", start+size+got, start+size+4, true)
		}
		return nil, fmt.Errorf("reading the checksum: %w", err)
	}
	if stored, computed := le.Uint32(sum[:]), crc.Sum32(); stored != computed {
		return nil, fmt.Errorf("checksum mismatch: file corrupted (stored CRC-32C 0x%08x, computed 0x%08x)", stored, computed)
	}

	n, err := build(cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid network: %w", err)
	}
	p := n.params
	for _, c := range chunks {
		for i := range len(c) / 4 {
			p[i] = math.Float32frombits(le.Uint32(c[4*i:]))
		}
		p = p[len(c)/4:]
	}
	return n, nil
}

// modelMinLen returns the length of the smallest model file with layers
// layers: one unit each, so two parameters per layer.
func modelMinLen(layers int) int { return modelHeaderLen + (modelLayerLen+2*4)*layers + 4 }

// isEOF reports whether err says the input ended.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// truncated is the error of an input that ended after got bytes, within
// the part named by where, when the model has at least want bytes (exactly
// want, as its header describes, when exact).
func truncated(where string, got, want int, exact bool) error {
	if exact {
		return fmt.Errorf("truncated %s: the input ends after %d of the %d bytes its header describes: %w", where, got, want, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("truncated %s: the input ends after %d bytes, a model has at least %d: %w", where, got, want, io.ErrUnexpectedEOF)
}

// SaveFile writes the network to the file path as Save does. It writes a
// temporary file in the same directory, syncs it, renames it to path and
// syncs the directory, so that path holds either its old contents or the
// whole new model, never a part, even across a crash. A new file's mode is
// 0644; a file that exists keeps its permission bits (not its owner). If
// path is a symbolic link, SaveFile replaces the file it points to (the
// last of a chain) the same way and the link stays a link; a link to
// nothing is an error, as is a path that is not a regular file. Errors
// name the file.
func (n *Network) SaveFile(path string) error {
	if err := n.saveFile(path); err != nil {
		return fmt.Errorf("mlp: model file %s: %w", path, err)
	}
	return nil
}

// saveFile is SaveFile without the prefix on its errors.
func (n *Network) saveFile(path string) error {
	target, mode, err := saveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := n.saveTemp(dir, filepath.Base(target), mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("the model is saved, but syncing its directory %s failed, so a crash may lose it: %w", dir, err)
	}
	return nil
}

// saveTemp writes the model file to a new temporary file in dir, named
// after base, with mode's permission bits, syncs and closes it, and
// returns its name. On failure it removes the file.
func (n *Network) saveTemp(dir, base string, mode fs.FileMode) (name string, err error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := n.save(f); err != nil {
		return "", fmt.Errorf("writing: %w", err)
	}
	if err := f.Chmod(mode); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// saveTarget returns the file that SaveFile of path replaces, path itself
// or, for a symbolic link, the file it resolves to, and the permission
// bits the new file gets: the old file's, or 0644 for a new one.
func saveTarget(path string) (string, fs.FileMode, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, 0o644, nil // CreateTemp reports a missing directory
	}
	if err != nil {
		return "", 0, err
	}
	target := path
	if fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return "", 0, fmt.Errorf("it is a symbolic link that does not lead to a file (%w): create the file it names, or remove the link", err)
		}
		if fi, err = os.Stat(target); err != nil {
			return "", 0, err
		}
	}
	switch {
	case fi.IsDir():
		return "", 0, fmt.Errorf("%s is a directory: name a file", target)
	case !fi.Mode().IsRegular():
		return "", 0, fmt.Errorf("%s is not a regular file (mode %v): name a regular file", target, fi.Mode())
	}
	return target, fi.Mode().Perm(), nil
}

// syncDir flushes dir's entries to disk, which makes a rename in it
// durable. Where the system cannot sync a directory (Windows, or a file
// system without support) it does nothing. Tests replace it.
var syncDir = func(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}

// LoadFile reads the model file path as Load does. Unlike Load it also
// requires the file to end with the model's checksum. Errors name the
// file.
func LoadFile(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mlp: model file: %w", err)
	}
	defer f.Close()
	n, err := load(f)
	if err != nil {
		return nil, fmt.Errorf("mlp: model file %s: %w", path, err)
	}
	var b [1]byte
	switch k, err := io.ReadFull(f, b[:]); {
	case k > 0:
		return nil, fmt.Errorf("mlp: model file %s: extra bytes after the model's checksum: the file is corrupted or not one model", path)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("mlp: model file %s: %w", path, err)
	}
	return n, nil
}
