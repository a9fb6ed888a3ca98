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
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
)

// The model file's fixed parts; see Save.
const (
	modelMagic      = "GOFMAMLP"
	modelVersion    = 2        // the version Save writes; Load reads 1 too
	modelHeaderLen  = 30       // magic, version, loss, init, seed, inputs, layer count
	modelLayerLen   = 5        // units, activation
	modelStateLen   = 42       // a training state's fixed fields: optimizer … data-order flag
	modelRNGMax     = 64       // longest generator state Load accepts, in bytes
	modelChunkFirst = 64 << 10 // first chunk of parameters, data order or moments Load reads, in bytes
	modelChunkMax   = 8 << 20  // largest such chunk, in bytes
	modelWriteChunk = 64 << 10 // bytes of parameters Save encodes at once
)

// modelMaxSamples is the most samples a saved training state may have: the
// data order stores each sample's index as a uint32, and up to 2³¹−1 every
// index and the count itself are an int on 32-bit platforms too.
const modelMaxSamples = math.MaxInt32

var modelCRCTable = crc32.MakeTable(crc32.Castagnoli)

// ErrBadModelFile is the error Load and LoadFile return, wrapped (for
// errors.Is), when the bytes are not a valid model file: not a model, of
// an unknown version, truncated, corrupted, or of an impossible shape or
// training state. Errors of reading or opening the file do not match it.
var ErrBadModelFile = errors.New("mlp: bad model file")

// badFileError is an error in a model file's bytes: its text is err's,
// and it matches both ErrBadModelFile and err.
type badFileError struct{ err error }

func (e badFileError) Error() string   { return e.err.Error() }
func (e badFileError) Unwrap() []error { return []error{ErrBadModelFile, e.err} }

// badFile returns a badFileError formatted as fmt.Errorf does.
func badFile(format string, a ...any) error {
	return badFileError{fmt.Errorf(format, a...)}
}

// Save writes the network to w as a model file, which Load reads back into
// a network that predicts bitwise like this one and, with
// FitConfig.Resume, trains on as this one would. It writes through a
// buffer, which it flushes before returning. It saves the training state
// the network holds (see FitConfig.Resume; in Fit's callbacks, the state
// after that step): to write the weights only, for inference, call
// DropTraining first, or Save a Clone.
//
// The format, version 2, is little-endian throughout; offsets in bytes:
//
//	offset       size  field
//	0            8     magic "GOFMAMLP"
//	8            4     uint32 version = 2
//	12           1     uint8 loss: 1 bce, 2 crossentropy, 3 mse (type Loss)
//	13           1     uint8 init: 0 lecture, 1 xavier, 2 he (type Init)
//	14           8     uint64 seed (Config.Seed)
//	22           4     uint32 inputs, 1..MaxUnits
//	26           4     uint32 L, the layers: hidden layers and the output layer, 1..MaxLayers
//	30           5·L   per layer, from the input side: uint32 units (1..MaxUnits),
//	                   uint8 activation: 1 identity, 2 sigmoid, 3 tanh, 4 relu
//	                   (type Activation); the last layer is the output layer,
//	                   its units are Config.Outputs and its activation byte is
//	                   always 1 (identity: it computes the logits the loss's
//	                   head turns into outputs)
//	30+5·L       4·P   P float32 parameters (IEEE 754 bits), layer after layer:
//	                   the out×in weights W row-major (one row per unit), then
//	                   the out biases b; in is the inputs for the first layer,
//	                   the previous layer's units after it, so
//	                   P = Σ out·(in+1) ≤ MaxParams
//	30+5·L+4·P   1     uint8 training state: 0 none, 1 one follows
//	31+5·L+4·P   S     the training state, when that byte is 1 (below)
//	31+5·L+4·P+S 4     uint32 CRC-32 (Castagnoli polynomial, as Go's
//	                   crc32.Checksum with crc32.Castagnoli, and iSCSI) of
//	                   every byte before it
//
// The training state, S bytes, is, in order:
//
//	size   field
//	1      uint8 optimizer: 1 GD, 2 SGD, 3 Momentum, 4 AdaGrad, 5 RMSProp,
//	       6 Adam, 7 AdamW
//	8      uint64 steps taken (Steps), < the largest int
//	8      uint64 epochs completed, ≤ steps (< steps within an epoch)
//	8      uint64 N, the samples trained on, 1..2³¹−1
//	8      uint64 samples of the current epoch taken, < N; 0 without a data order
//	8      float64 Σ loss·rows over the current epoch's steps (IEEE 754
//	       bits), finite
//	1      uint8 data order: 0 none (full batches only so far), 1 follows;
//	       never for GD
//	with a data order:
//	1      uint8 R, 1..64
//	R      the state of the math/rand/v2 PCG generator that shuffles the
//	       next epochs, as its MarshalBinary writes it
//	4·N    N uint32: the current epoch's order of the samples, a
//	       permutation of 0..N−1
//	then:
//	4·M·P  the optimizer's M moment vectors of P float32 each, in the
//	       parameters' order: none for GD and SGD, the velocity for
//	       Momentum, the accumulated squares for AdaGrad and RMSProp, the
//	       first then the second moments for Adam and AdamW
//
// Version 1 is version 2 without the training-state byte and state: its
// checksum follows the parameters. The file ends with the checksum.
// Parameters and moments are stored as they are, NaN and infinity
// included.
func (n *Network) Save(w io.Writer) error {
	if err := n.save(w); err != nil {
		return fmt.Errorf("mlp: model file: writing: %w", err)
	}
	return nil
}

// save writes the model file to w, returning w's error unwrapped.
func (n *Network) save(w io.Writer) error {
	if err := n.state.savable(len(n.params)); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, modelWriteChunk)
	cw := &crcWriter{w: bw, crc: crc32.New(modelCRCTable)}

	le := binary.LittleEndian
	hdr := make([]byte, 0, modelHeaderLen+modelLayerLen*len(n.layers))
	hdr = append(hdr, modelMagic...)
	hdr = le.AppendUint32(hdr, modelVersion)
	hdr = append(hdr, byte(n.cfg.Loss), byte(n.cfg.Init))
	hdr = le.AppendUint64(hdr, n.cfg.Seed)
	hdr = le.AppendUint32(hdr, uint32(n.cfg.Inputs))
	hdr = le.AppendUint32(hdr, uint32(len(n.layers)))
	for _, l := range n.layers {
		hdr = le.AppendUint32(hdr, uint32(l.out))
		hdr = append(hdr, byte(l.act))
	}
	if _, err := cw.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, min(modelWriteChunk, max(4*len(n.params), modelStateLen+2+modelRNGMax)))
	if err := writeChunked(cw, buf, len(n.params), func(i int) uint32 { return math.Float32bits(n.params[i]) }); err != nil {
		return err
	}

	st := n.state
	if st == nil {
		if _, err := cw.Write([]byte{0}); err != nil {
			return err
		}
	} else {
		b := append(buf[:0], 1, st.kind)
		b = le.AppendUint64(b, uint64(st.step))
		b = le.AppendUint64(b, uint64(st.epochs))
		b = le.AppendUint64(b, uint64(st.samples))
		b = le.AppendUint64(b, uint64(st.pos))
		b = le.AppendUint64(b, math.Float64bits(st.epochLoss))
		if st.perm == nil {
			b = append(b, 0)
		} else {
			rng, err := st.rng.MarshalBinary()
			if err != nil {
				return err
			}
			if len(rng) < 1 || len(rng) > modelRNGMax {
				return fmt.Errorf("cannot save the network's training state: its generator's state has %d bytes, the format %d at most (a bug in mlp)", len(rng), modelRNGMax)
			}
			b = append(b, 1, byte(len(rng)))
			b = append(b, rng...)
		}
		if _, err := cw.Write(b); err != nil {
			return err
		}
		if err := writeChunked(cw, buf, len(st.perm), func(i int) uint32 { return uint32(st.perm[i]) }); err != nil {
			return err
		}
		for _, m := range st.moments {
			if err := writeChunked(cw, buf, len(m), func(i int) uint32 { return math.Float32bits(m[i]) }); err != nil {
				return err
			}
		}
	}

	sum := le.AppendUint32(nil, cw.crc.Sum32())
	if _, err := bw.Write(sum); err != nil {
		return err
	}
	return bw.Flush()
}

// writeChunked writes the k uint32 words word(0..k−1) to w, encoding them
// len(buf)/4 at a time into buf.
func writeChunked(w io.Writer, buf []byte, k int, word func(int) uint32) error {
	for i := 0; i < k; {
		m := min(k-i, len(buf)/4)
		for j := range m {
			binary.LittleEndian.PutUint32(buf[4*j:], word(i+j))
		}
		if _, err := w.Write(buf[:4*m]); err != nil {
			return err
		}
		i += m
	}
	return nil
}

// savable returns an error unless Save can write st, of a network of p
// parameters, as a state Load accepts (nil: none). Fit's states pass,
// unless they are of more than modelMaxSamples samples; the other checks
// keep a bug from writing a file that would not load.
func (st *trainState) savable(p int) error {
	if st == nil {
		return nil
	}
	if st.samples > modelMaxSamples {
		return fmt.Errorf("the training state is of %d samples, a model file holds at most %d: call DropTraining to save the weights alone", st.samples, modelMaxSamples)
	}
	bad := func(what string) error {
		return fmt.Errorf("cannot save the network's training state: %s (a bug in mlp)", what)
	}
	order := st.perm != nil
	if err := checkStateFields(st.kind, uint64(st.step), uint64(st.epochs), uint64(st.samples), uint64(st.pos), st.epochLoss, order); err != nil {
		return bad(err.Error())
	}
	switch {
	case st.step < 0 || st.epochs < 0 || st.pos < 0:
		return bad("a negative count")
	case len(st.moments) != optimizerMoments[st.kind]:
		return bad(fmt.Sprintf("%d moment vectors, %s has %d", len(st.moments), optimizerNames[st.kind], optimizerMoments[st.kind]))
	case order && (st.rng == nil || len(st.perm) != st.samples):
		return bad(fmt.Sprintf("a data order of %d samples, of %d, with generator %v", len(st.perm), st.samples, st.rng != nil))
	}
	for _, m := range st.moments {
		if len(m) != p {
			return bad(fmt.Sprintf("moments of %d parameters, the network has %d", len(m), p))
		}
	}
	return nil
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

// Load reads a model file that Save wrote, of version 1 or 2, and returns
// its network, ready to predict or to train further: a Fit with
// FitConfig.Resume continues the training state the file holds (a
// version-1 file, or one saved without it, holds none).
//
// Load reads exactly the model's bytes and nothing past its checksum, so a
// model may be followed by other data in the same stream; it does not
// buffer r (its reads are large except for the header's and the training
// state's fixed fields). It checks every header and training-state field
// against the limits (MaxLayers, MaxUnits, MaxParams, the samples a state
// may have) and the known codes before it allocates anything in
// proportion to it, and it allocates memory for the parameters, the data
// order and the moments only as their bytes arrive, so a short file that
// claims a huge network or data set costs little. A file that is not a
// model, of another version, truncated, corrupted (its checksum does not
// match) or of an impossible shape or training state gives an error
// beginning "mlp: model file: " that wraps ErrBadModelFile (and
// io.ErrUnexpectedEOF when truncated); errors of r are wrapped, and do not
// match ErrBadModelFile.
func Load(r io.Reader) (*Network, error) {
	n, err := load(r)
	if err != nil {
		return nil, fmt.Errorf("mlp: model file: %w", err)
	}
	return n, nil
}

// modelReader reads the parts of a model file from r, adding them to crc
// and counting them in off.
type modelReader struct {
	r   io.Reader
	crc hash.Hash32
	off int
}

// read fills b with the next bytes, of the part what ("the parameters").
// An input that ends first gives truncated's error, with want and exact.
func (m *modelReader) read(b []byte, what string, want int64, exact bool) error {
	got, err := io.ReadFull(m.r, b)
	m.crc.Write(b[:got])
	m.off += got
	switch {
	case err == nil:
		return nil
	case isEOF(err):
		return truncated("in "+what, m.off, want, exact)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// chunks reads the next size bytes as read does, in chunks that grow with
// what has arrived (modelChunkFirst bytes, doubling up to modelChunkMax),
// so that memory follows the bytes present, not the size a header claims.
// When size is a multiple of 4, so is every chunk.
func (m *modelReader) chunks(size int, what string, want int64, exact bool) ([][]byte, error) {
	var chunks [][]byte
	for done, c := 0, modelChunkFirst; done < size; c = min(2*c, modelChunkMax) {
		buf := make([]byte, min(c, size-done))
		if err := m.read(buf, what, want, exact); err != nil {
			return nil, err
		}
		done += len(buf)
		chunks = append(chunks, buf)
	}
	return chunks, nil
}

// words calls f with the index and value of each little-endian uint32 in
// chunks, in order.
func words(chunks [][]byte, f func(i int, w uint32)) {
	i := 0
	for _, c := range chunks {
		for k := 0; k+4 <= len(c); k += 4 {
			f(i, binary.LittleEndian.Uint32(c[k:]))
			i++
		}
	}
}

// load is Load without the prefix on its errors.
func load(r io.Reader) (*Network, error) {
	m := &modelReader{r: r, crc: crc32.New(modelCRCTable)}
	var hdr [modelHeaderLen]byte
	got, err := io.ReadFull(r, hdr[:])
	m.crc.Write(hdr[:got])
	m.off = got
	if got < len(modelMagic) {
		switch {
		case err != nil && !isEOF(err):
			return nil, fmt.Errorf("reading the header: %w", err)
		case got == 0:
			return nil, badFile("empty input (0 bytes), not a gofma model file")
		case string(hdr[:got]) != modelMagic[:got]:
			return nil, badFile("not a gofma model file (it begins %q, a model %q)", hdr[:got], modelMagic)
		}
		return nil, truncated("in the magic number", got, modelMinLen(1), false)
	}
	if string(hdr[:len(modelMagic)]) != modelMagic {
		return nil, badFile("not a gofma model file (it begins %q, a model %q)", hdr[:len(modelMagic)], modelMagic)
	}
	if err != nil {
		if isEOF(err) {
			return nil, truncated("in the header", got, modelMinLen(1), false)
		}
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	le := binary.LittleEndian
	version := le.Uint32(hdr[8:])
	if version != 1 && version != modelVersion {
		return nil, badFile("version %d, this build reads versions 1 and %d: load it with a gofma that reads version %[1]d", version, modelVersion)
	}
	cfg := Config{Loss: Loss(hdr[12]), Init: Init(hdr[13]), Seed: le.Uint64(hdr[14:])}
	if !cfg.Loss.valid() {
		return nil, badFile("unknown loss code %d (want 1..3): the file is corrupted or from a newer gofma", hdr[12])
	}
	if cfg.Init > InitHe {
		return nil, badFile("unknown initialisation code %d (want 0..2): the file is corrupted or from a newer gofma", hdr[13])
	}
	inputs, nl := le.Uint32(hdr[22:]), le.Uint32(hdr[26:])
	if inputs < 1 || inputs > MaxUnits {
		return nil, badFile("%d inputs, need 1..%d", inputs, MaxUnits)
	}
	if nl < 1 || nl > MaxLayers {
		return nil, badFile("%d layers, need 1..%d", nl, MaxLayers)
	}
	cfg.Inputs = int(inputs)
	// From here on a file has at least stateByte bytes more than version 1's.
	stateByte := int64(version - 1)

	// The layer table is at most 5·MaxLayers bytes: small enough to read
	// at once, now that the count is checked.
	table := make([]byte, modelLayerLen*int(nl))
	if err := m.read(table, "the layer table", modelMinLen(int(nl))+stateByte, false); err != nil {
		return nil, err
	}
	// P = Σ out·(in+1) is checked against MaxParams after every layer, so
	// that the error names the layer that passes it.
	total, in := 0, cfg.Inputs
	for i := range int(nl) {
		rec := table[modelLayerLen*i:]
		units, act := le.Uint32(rec), Activation(rec[4])
		if units < 1 || units > MaxUnits {
			return nil, badFile("layer %d of %d has %d units, need 1..%d", i+1, nl, units, MaxUnits)
		}
		last := i == int(nl)-1
		switch {
		case last && act != Identity:
			return nil, badFile("the output layer has activation code %d, want %d (identity): the file is corrupted", rec[4], Identity)
		case !act.valid():
			return nil, badFile("layer %d of %d has unknown activation code %d (want 1..4): the file is corrupted or from a newer gofma", i+1, nl, rec[4])
		}
		var ok bool
		if total, ok = addLayerParams(total, in, int(units)); !ok {
			return nil, badFile("the first %d of %d layers have more than %d parameters (the limit MaxParams): the file is corrupted", i+1, nl, MaxParams)
		}
		in = int(units)
		if last {
			cfg.Outputs = int(units)
		} else {
			cfg.Hidden = append(cfg.Hidden, Layer{Units: int(units), Act: act})
		}
	}
	if cfg.Loss == CrossEntropy && cfg.Outputs < 2 {
		return nil, badFile("cross-entropy with %d output, need at least 2: the file is corrupted", cfg.Outputs)
	}

	// Config.Check has the last word on the shape and counts P as New
	// does; the checks above are there to name the file's fields.
	params, err := cfg.check()
	if err != nil {
		return nil, badFile("invalid network: %w", err)
	}
	if params > (math.MaxInt-1<<20)/4 {
		return nil, badFile("%d parameters need more memory than this platform can address", params)
	}
	// Version 1 files end with the checksum after the parameters: their
	// length is exact; version 2 files have a training state to come.
	exact := version == 1
	paramChunks, err := m.chunks(4*params, "the parameters", int64(m.off)+4*int64(params)+stateByte+4, exact)
	if err != nil {
		return nil, err
	}
	var st *trainState
	if version >= 2 {
		if st, err = m.readState(params); err != nil {
			return nil, err
		}
	}
	computed := m.crc.Sum32()
	var sum [4]byte
	if err := m.read(sum[:], "the checksum", int64(m.off)+4, exact); err != nil {
		return nil, err
	}
	if stored := le.Uint32(sum[:]); stored != computed {
		return nil, badFile("checksum mismatch: file corrupted (stored CRC-32C 0x%08x, computed 0x%08x)", stored, computed)
	}

	n, err := build(cfg)
	if err != nil {
		return nil, badFile("invalid network: %w", err)
	}
	words(paramChunks, func(i int, w uint32) { n.params[i] = math.Float32frombits(w) })
	n.state = st
	return n, nil
}

// readState reads the training-state section of a version-2 file, for a
// network of p parameters: nil when the file holds none.
func (m *modelReader) readState(p int) (*trainState, error) {
	const what = "the training state"
	var flag [1]byte
	if err := m.read(flag[:], what, int64(m.off)+1+4, false); err != nil {
		return nil, err
	}
	switch flag[0] {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, badFile("training-state byte %d, want 0 (none) or 1: the file is corrupted", flag[0])
	}
	var f [modelStateLen]byte
	if err := m.read(f[:], what, int64(m.off)+modelStateLen+4, false); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	kind, order := f[0], f[41]
	step, epochs, samples, pos := le.Uint64(f[1:]), le.Uint64(f[9:]), le.Uint64(f[17:]), le.Uint64(f[25:])
	loss := math.Float64frombits(le.Uint64(f[33:]))
	if order > 1 {
		return nil, badFile("training state: data-order byte %d, want 0 (none) or 1: the file is corrupted", order)
	}
	if err := checkStateFields(kind, step, epochs, samples, pos, loss, order == 1); err != nil {
		return nil, badFileError{err}
	}
	// samples ≤ 2³¹−1 and P ≤ MaxParams: no sum below overflows an int64.
	st := &trainState{kind: kind, step: int(step), epochs: int(epochs), samples: int(samples), pos: int(pos), epochLoss: loss}
	momentBytes := int64(optimizerMoments[kind]) * 4 * int64(p)
	if order == 1 {
		if samples > (math.MaxInt-1<<20)/4 {
			return nil, badFile("training state: %d samples need more memory than this platform can address", samples)
		}
		var rl [1]byte
		if err := m.read(rl[:], what, int64(m.off)+1+4*int64(samples)+momentBytes+4, false); err != nil {
			return nil, err
		}
		if rl[0] < 1 || rl[0] > modelRNGMax {
			return nil, badFile("training state: generator state of %d bytes, need 1..%d: the file is corrupted", rl[0], modelRNGMax)
		}
		rb := make([]byte, rl[0])
		rest := 4*int64(samples) + momentBytes + 4
		if err := m.read(rb, "the training state's generator", int64(m.off)+int64(len(rb))+rest, false); err != nil {
			return nil, err
		}
		st.rng = new(rand.PCG)
		if err := st.rng.UnmarshalBinary(rb); err != nil {
			return nil, badFile("training state: generator state %q: %v: the file is corrupted or from a newer gofma", rb, err)
		}
		chunks, err := m.chunks(4*st.samples, "the training state's data order", int64(m.off)+rest, false)
		if err != nil {
			return nil, err
		}
		if st.perm, err = readPerm(chunks, st.samples); err != nil {
			return nil, err
		}
	}
	for i := range optimizerMoments[kind] {
		chunks, err := m.chunks(4*p, "the training state's moments", int64(m.off)+int64(optimizerMoments[kind]-i)*4*int64(p)+4, false)
		if err != nil {
			return nil, err
		}
		v := make([]float32, p)
		words(chunks, func(i int, w uint32) { v[i] = math.Float32frombits(w) })
		st.moments = append(st.moments, v)
	}
	return st, nil
}

// readPerm decodes the data order of n samples from chunks, and returns an
// error unless it is a permutation of 0..n−1.
func readPerm(chunks [][]byte, n int) ([]int, error) {
	perm := make([]int, n)
	seen := make([]uint64, (n+63)/64)
	var err error
	words(chunks, func(i int, w uint32) {
		switch {
		case err != nil:
		case uint64(w) >= uint64(n):
			err = badFile("training state: data order: place %d holds sample %d, of %d samples: the file is corrupted", i, w, n)
		case seen[w/64]&(1<<(w%64)) != 0:
			err = badFile("training state: data order: sample %d appears twice (again at place %d), not a permutation: the file is corrupted", w, i)
		default:
			seen[w/64] |= 1 << (w % 64)
			perm[i] = int(w)
		}
	})
	return perm, err
}

// checkStateFields returns an error, naming the field, unless a training
// state's fixed fields are possible ones: order says it has a data order.
func checkStateFields(kind uint8, step, epochs, samples, pos uint64, loss float64, order bool) error {
	switch {
	case kind < 1 || int(kind) >= len(optimizerNames):
		return fmt.Errorf("training state: unknown optimizer code %d (want 1..%d): the file is corrupted or from a newer gofma", kind, len(optimizerNames)-1)
	case step >= math.MaxInt:
		return fmt.Errorf("training state: %d steps, need fewer than %d", step, uint64(math.MaxInt))
	case epochs > step:
		return fmt.Errorf("training state: %d epochs completed in %d steps, need at most one per step: the file is corrupted", epochs, step)
	case samples < 1 || samples > modelMaxSamples:
		return fmt.Errorf("training state: %d samples, need 1..%d", samples, modelMaxSamples)
	case pos >= samples:
		return fmt.Errorf("training state: epoch position %d, need less than the %d samples: the file is corrupted", pos, samples)
	case pos > 0 && epochs == step:
		return fmt.Errorf("training state: epoch position %d, but all %d steps completed epochs: the file is corrupted", pos, step)
	case math.IsNaN(loss) || math.IsInf(loss, 0):
		return fmt.Errorf("training state: epoch loss %v, need a finite number: the file is corrupted", loss)
	case pos > 0 && !order:
		return fmt.Errorf("training state: epoch position %d without a data order: the file is corrupted", pos)
	case order && kind == 1:
		return errors.New("training state: GD's, with a data order, but GD trains on full batches: the file is corrupted")
	}
	return nil
}

// modelMinLen returns the length of the smallest version-1 model file with
// layers layers: one unit each, so two parameters per layer.
func modelMinLen(layers int) int64 { return modelHeaderLen + (modelLayerLen+2*4)*int64(layers) + 4 }

// isEOF reports whether err says the input ended.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// truncated is the error of an input that ended after got bytes, within
// the part named by where, when the model has at least want bytes (exactly
// want, as its header describes, when exact).
func truncated(where string, got int, want int64, exact bool) error {
	if exact {
		return badFile("truncated %s: the input ends after %d of the %d bytes its header describes: %w", where, got, want, io.ErrUnexpectedEOF)
	}
	return badFile("truncated %s: the input ends after %d bytes, a model has at least %d: %w", where, got, want, io.ErrUnexpectedEOF)
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
	if err := replaceFile(path, n.save); err != nil {
		return fmt.Errorf("mlp: model file %s: %w", path, err)
	}
	return nil
}

// replaceFile replaces the file path (or the file a symbolic link path
// leads to) with what write writes, as SaveFile says, and returns errors
// without a prefix.
func replaceFile(path string, write func(io.Writer) error) error {
	target, mode, err := saveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := writeTemp(dir, filepath.Base(target), mode, write)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("the file is written, but syncing its directory %s failed, so a crash may lose it: %w", dir, err)
	}
	return nil
}

// writeTemp writes with write to a new temporary file in dir, named after
// base, with mode's permission bits, syncs and closes it, and returns its
// name. On failure it removes the file.
func writeTemp(dir, base string, mode fs.FileMode, write func(io.Writer) error) (name string, err error) {
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
	if err := write(f); err != nil {
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
// requires the file to end with the model's checksum (extra bytes are an
// ErrBadModelFile too). Errors name the file; an error opening or reading
// it does not match ErrBadModelFile.
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
		return nil, fmt.Errorf("mlp: model file %s: %w", path, badFile("extra bytes after the model's checksum: the file is corrupted or not one model"))
	case err != nil && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("mlp: model file %s: %w", path, err)
	}
	return n, nil
}
