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
	"slices"
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
	firstChunk = 64 << 10   // the first read buffer; it doubles as data arrives
	maxSkipped = 1 << 20    // trailing bytes counted before giving up counting
)

// ReadIDXImages reads an IDX image file (magic 0x00000803: unsigned bytes in
// three dimensions) from r, raw or gzip-compressed; gzip is recognised by its
// magic bytes 0x1f 0x8b. It returns the number of images n, their size
// rows×cols and the n·rows·cols pixels, row-major, one image after another.
//
// The header must declare n ≤ MaxCount and 1 ≤ rows, cols ≤ MaxSide, and r
// must hold exactly the pixels it declares: a short input and bytes after
// the last image are both errors. Memory grows with the bytes actually read,
// so a short input that claims millions of images allocates little.
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
	pixels, err = readBody(br, int(total))
	if err != nil {
		if isShort(err) {
			return 0, 0, 0, nil, errorf("truncated: header says %d images of %d×%d, file has %d bytes of pixels, want %d; the file is incomplete, download it again", cnt, rs, cs, len(pixels), total)
		}
		return 0, 0, 0, nil, readError(err)
	}
	if err := checkEnd(br, fmt.Sprintf("the %d images of %d×%d the header declares", cnt, rs, cs)); err != nil {
		return 0, 0, 0, nil, err
	}
	return int(cnt), int(rs), int(cs), pixels, nil
}

// ReadIDXLabels reads an IDX label file (magic 0x00000801: unsigned bytes in
// one dimension) from r, raw or gzip-compressed as for ReadIDXImages, and
// returns its labels. The header must declare at most MaxCount labels and r
// must hold exactly that many bytes after it. The values are not checked:
// any byte is a label here.
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
	labels, err := readBody(br, int(cnt))
	if err != nil {
		if isShort(err) {
			return nil, errorf("truncated: header says %d labels, file has %d; the file is incomplete, download it again", cnt, len(labels))
		}
		return nil, readError(err)
	}
	if err := checkEnd(br, fmt.Sprintf("the %d labels the header declares", cnt)); err != nil {
		return nil, err
	}
	return labels, nil
}

// decompress returns a reader of r's content, through gzip when r starts
// with the gzip magic bytes.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !isShort(err) {
		return nil, readError(err)
	}
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, readError(err)
	}
	return zr, nil
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

// readBody reads exactly want bytes from r into a buffer that starts small
// and doubles as data arrives, so memory follows the bytes present, not the
// header's claim. On error it returns the bytes read so far.
func readBody(r io.Reader, want int) ([]byte, error) {
	buf := make([]byte, 0, min(want, firstChunk))
	for len(buf) < want {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), want-len(buf)))
		}
		k, err := io.ReadFull(r, buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// checkEnd reports an error unless r is at its end; what names the data
// already read, for the message.
func checkEnd(r io.Reader, what string) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	if n == 0 {
		switch {
		case err == io.EOF:
			return nil
		case isShort(err):
			return errorf("truncated gzip data: the stream ends before its checksum; the file is incomplete, download it again")
		}
		return readError(err)
	}
	extra, _ := io.CopyN(io.Discard, r, maxSkipped)
	count := fmt.Sprintf("%d bytes follow", 1+extra)
	switch {
	case extra == 0:
		count = "1 byte follows"
	case extra == maxSkipped:
		count = fmt.Sprintf("more than %d bytes follow", maxSkipped)
	}
	return errorf("%s %s; the file is corrupt or not what its header says", count, what)
}

// isShort reports whether err means the input ended early.
func isShort(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// readError explains an error from reading or decompressing.
func readError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
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
