package mnist

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Limits on what an IDX header may declare. Real MNIST has 60,000 images of
// 28×28; the caps only reject headers that are corrupt or not MNIST-like.
const (
	// MaxSide is the largest number of rows or columns an IDX image file
	// may declare; the smallest is 1.
	MaxSide = 4096
	// MaxCount is the largest number of images or labels an IDX file may
	// declare.
	MaxCount = 10_000_000
)

const (
	imageMagic = 0x00000803 // unsigned bytes, three dimensions
	labelMagic = 0x00000801 // unsigned bytes, one dimension
	firstChunk = 64 << 10   // the smallest chunk a body is read into
	maxSkipped = 1 << 20    // trailing bytes counted before giving up counting
)

// ReadIDXImages reads an IDX image file (magic 0x00000803: unsigned bytes in
// three dimensions) from r, raw or gzip-compressed; gzip is recognised by its
// magic bytes 0x1f 0x8b. It returns the number of images n, their size
// rows×cols and the n·rows·cols pixels, row-major, one image after another.
//
// The header must declare n ≤ MaxCount and 1 ≤ rows, cols ≤ MaxSide, and r
// must hold exactly the pixels it declares: a short input and bytes after
// the last image are both errors. A gzip file may hold several members, as
// RFC 1952 allows; their contents are read one after another, as gunzip
// does. Bytes after the last member that do not start another are an error.
//
// Memory follows the bytes actually read, never the header's claim: until
// the input has proved as long as its header says, the reader holds at most
// a quarter more than it has read, plus under 256 KiB of buffers, so a short
// or highly compressed input that claims millions of images allocates
// little. A complete file costs one copy more, into the slice returned.
func ReadIDXImages(r io.Reader) (n, rows, cols int, pixels []uint8, err error) {
	br, err := decompress(r)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	var h [16]byte
	if err := readHeader(br, h[:], imageMagic); err != nil {
		return 0, 0, 0, nil, err
	}
	cnt := binary.BigEndian.Uint32(h[4:])
	rs := binary.BigEndian.Uint32(h[8:])
	cs := binary.BigEndian.Uint32(h[12:])
	if cnt > MaxCount {
		return 0, 0, 0, nil, errorf("header says %d images, more than the %d this reader accepts; the file is corrupt or not MNIST", cnt, MaxCount)
	}
	if rs < 1 || rs > MaxSide || cs < 1 || cs > MaxSide {
		return 0, 0, 0, nil, errorf("header says images of %d×%d pixels; rows and columns must be 1..%d, so the file is corrupt or not MNIST", rs, cs, MaxSide)
	}
	total := uint64(cnt) * uint64(rs) * uint64(cs)
	if total > math.MaxInt {
		return 0, 0, 0, nil, errorf("header says %d images of %d×%d, more bytes than this platform can index", cnt, rs, cs)
	}
	body, err := readBody(br, int(total))
	if err != nil {
		if isShort(err) {
			return 0, 0, 0, nil, errorf("truncated: header says %d images of %d×%d, file has %d bytes of pixels, want %d; the file is incomplete, download it again", cnt, rs, cs, body.n, total)
		}
		return 0, 0, 0, nil, readError(err)
	}
	if err := checkEnd(br, fmt.Sprintf("the %d images of %d×%d the header declares", cnt, rs, cs)); err != nil {
		return 0, 0, 0, nil, err
	}
	return int(cnt), int(rs), int(cs), body.bytes(), nil
}

// ReadIDXLabels reads an IDX label file (magic 0x00000801: unsigned bytes in
// one dimension) from r, raw or gzip-compressed, and returns its labels. The
// header must declare at most MaxCount labels and r must hold exactly that
// many bytes after it. Gzip members and memory are as for ReadIDXImages. The
// values are not checked: any byte is a label here.
func ReadIDXLabels(r io.Reader) ([]uint8, error) {
	br, err := decompress(r)
	if err != nil {
		return nil, err
	}
	var h [8]byte
	if err := readHeader(br, h[:], labelMagic); err != nil {
		return nil, err
	}
	cnt := binary.BigEndian.Uint32(h[4:])
	if cnt > MaxCount {
		return nil, errorf("header says %d labels, more than the %d this reader accepts; the file is corrupt or not MNIST", cnt, MaxCount)
	}
	body, err := readBody(br, int(cnt))
	if err != nil {
		if isShort(err) {
			return nil, errorf("truncated: header says %d labels, file has %d; the file is incomplete, download it again", cnt, body.n)
		}
		return nil, readError(err)
	}
	if err := checkEnd(br, fmt.Sprintf("the %d labels the header declares", cnt)); err != nil {
		return nil, err
	}
	return body.bytes(), nil
}

// decompress returns a reader of r's content, through gzip when r starts
// with the gzip magic bytes.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !isShort(err) {
		return nil, readError(err)
	}
	if !isGzip(magic) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if isShort(err) {
		return nil, errorf("truncated gzip header; the file is incomplete, download it again")
	} else if err != nil {
		return nil, readError(err)
	}
	zr.Multistream(false)
	return &gzipReader{src: br, z: zr}, nil
}

// isGzip reports whether b starts with the gzip magic bytes.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// gzipReader decompresses a gzip file member after member, as gunzip does,
// and tells bytes after the last member from a truncated one.
type gzipReader struct {
	src *bufio.Reader // the file; z leaves it just after each member
	z   *gzip.Reader  // the current member, multistream off
	err error         // once set, every Read returns it
}

// Read decompresses into p, going on to the next member when one ends.
func (g *gzipReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	for {
		n, err := g.z.Read(p)
		if err == io.EOF {
			err = g.next()
		}
		if err != nil {
			g.err = err
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// next is called when a member has ended, its checksum correct. It returns
// io.EOF at the end of the file, nil when another member starts (its header
// read), and an error counting the bytes that follow otherwise.
func (g *gzipReader) next() error {
	b, err := g.src.Peek(2)
	switch {
	case len(b) == 0 && err == io.EOF:
		return io.EOF
	case len(b) == 0:
		return err
	case isGzip(b):
		err := g.z.Reset(g.src)
		if isShort(err) {
			return errorf("truncated gzip data: the file ends inside the header of a further gzip member; the file is incomplete, download it again")
		}
		g.z.Multistream(false)
		return err
	}
	n, _ := io.CopyN(io.Discard, g.src, maxSkipped+1)
	return errorf("%s the end of the gzip data, where only another gzip member may start; something was appended to the file or it is damaged, download it again", follow(n))
}

// fileKind names the kind of IDX file each magic number marks.
var fileKind = map[uint32]string{imageMagic: "an IDX image file", labelMagic: "an IDX label file"}

// readHeader fills h from r and checks that it starts with magic; the magic
// is checked first, so a file of the wrong kind is named as such even when
// its header is shorter.
func readHeader(r io.Reader, h []byte, magic uint32) error {
	n, err := io.ReadFull(r, h[:4])
	if err == nil {
		if got := binary.BigEndian.Uint32(h); got != magic {
			return badMagic(got, magic)
		}
		var k int
		k, err = io.ReadFull(r, h[4:])
		n += k
	}
	switch {
	case err == nil:
		return nil
	case n == 0 && isShort(err):
		return errorf("empty input; want %s", fileKind[magic])
	case isShort(err):
		return errorf("truncated header: %d of %d bytes; want %s", n, len(h), fileKind[magic])
	}
	return readError(err)
}

// badMagic explains a magic number got where want was expected.
func badMagic(got, want uint32) error {
	hint := "the file is not IDX, or corrupt"
	if k, ok := fileKind[got]; ok {
		hint = fmt.Sprintf("this is %s: are the image and label files swapped?", k)
	}
	return errorf("bad magic 0x%08x, want 0x%08x (%s); %s", got, want, fileKind[want], hint)
}

// body is the data after an IDX header, in the chunks it was read into.
type body struct {
	chunks [][]byte
	n      int // bytes read: the chunks' lengths added
}

// readBody reads exactly want bytes from r. Each chunk it reads into is a
// quarter of the bytes read before it (firstChunk at least, and no more than
// the rest of want), so memory follows the bytes that arrive, not the
// header's claim, and no byte is copied while reading. On error the body
// holds the bytes read so far.
func readBody(r io.Reader, want int) (body, error) {
	var b body
	for b.n < want {
		c := make([]byte, min(want-b.n, max(firstChunk, b.n/4)))
		k, err := io.ReadFull(r, c)
		b.chunks = append(b.chunks, c[:k])
		b.n += k
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// bytes returns the body as one slice: a single chunk as it is, more copied
// into one allocation of exactly their length.
func (b body) bytes() []byte {
	if len(b.chunks) == 1 {
		return b.chunks[0]
	}
	out := make([]byte, 0, b.n)
	for _, c := range b.chunks {
		out = append(out, c...)
	}
	return out
}

// checkEnd reports an error unless r is at its end; what names the data
// already read, for the message.
func checkEnd(r io.Reader, what string) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	if n == 0 && err == io.EOF {
		return nil
	}
	var extra int64
	if n == 1 {
		extra, err = io.CopyN(io.Discard, r, maxSkipped)
		if err == nil || err == io.EOF {
			return errorf("%s %s; the file is corrupt or not what its header says", follow(1+extra), what)
		}
		// What follows the declared data is itself damaged: say that.
	}
	if isShort(err) {
		return errorf("truncated gzip data: the stream ends before its checksum; the file is incomplete, download it again")
	}
	return readError(err)
}

// follow says how many bytes follow, counted up to maxSkipped+1.
func follow(n int64) string {
	switch {
	case n == 1:
		return "1 byte follows"
	case n > maxSkipped:
		return fmt.Sprintf("more than %d bytes follow", maxSkipped)
	}
	return fmt.Sprintf("%d bytes follow", n)
}

// isShort reports whether err means the input ended early.
func isShort(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// readError explains an error from reading or decompressing; the package's
// own errors pass unchanged.
func readError(err error) error {
	var corrupt flate.CorruptInputError
	var fe *formatError
	switch {
	case errors.As(err, &fe):
		return err
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		return wrapf(err, "corrupt gzip data (%v); the file is damaged, download it again", err)
	}
	return wrapf(err, "read failed: %v", err)
}

// formatError is the package's error for bad input: a message, and the file
// it is about once known.
type formatError struct {
	file string // path of the file read; empty for a plain reader
	msg  string
	err  error // the underlying error, if any
}

func (e *formatError) Error() string {
	if e.file == "" {
		return "mnist: " + e.msg
	}
	return "mnist: " + e.file + ": " + e.msg
}

func (e *formatError) Unwrap() error { return e.err }

func errorf(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}

func wrapf(err error, format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...), err: err}
}

// inFile returns err with the file it is about; errors that are not the
// package's own get the file and their own text.
func inFile(path string, err error) error {
	var fe *formatError
	if errors.As(err, &fe) && fe.file == "" {
		c := *fe
		c.file = path
		return &c
	}
	return &formatError{file: path, msg: err.Error(), err: err}
}
