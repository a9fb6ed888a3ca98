package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// idxImages returns an IDX image file of n images of rows×cols.
func idxImages(n, rows, cols uint32, pixels []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, imageMagic)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, rows)
	b = binary.BigEndian.AppendUint32(b, cols)
	return append(b, pixels...)
}

// idxLabels returns an IDX label file declaring n labels.
func idxLabels(n uint32, labels []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, labelMagic)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 37)
	}
	return b
}

func TestReadIDXImages(t *testing.T) {
	pix := seq(3 * 2 * 5)
	file := idxImages(3, 2, 5, pix)
	for _, c := range []struct {
		name string
		data []byte
	}{{"raw", file}, {"gzip", gz(file)}} {
		t.Run(c.name, func(t *testing.T) {
			n, rows, cols, got, err := ReadIDXImages(bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 || rows != 2 || cols != 5 || !bytes.Equal(got, pix) {
				t.Errorf("got %d images of %d×%d, pixels %v; want 3 of 2×5, %v", n, rows, cols, got, pix)
			}
		})
	}
}

func TestReadIDXImagesEmptySet(t *testing.T) {
	n, rows, cols, pix, err := ReadIDXImages(bytes.NewReader(idxImages(0, 28, 28, nil)))
	if err != nil || n != 0 || rows != 28 || cols != 28 || len(pix) != 0 {
		t.Errorf("got %d, %d, %d, %d pixels, %v; want 0 images of 28×28", n, rows, cols, len(pix), err)
	}
}

func TestReadIDXLabels(t *testing.T) {
	labels := []byte{5, 8, 0, 9, 1}
	file := idxLabels(5, labels)
	for _, c := range []struct {
		name string
		data []byte
	}{{"raw", file}, {"gzip", gz(file)}} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadIDXLabels(bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, labels) {
				t.Errorf("got %v, want %v", got, labels)
			}
		})
	}
}

// corruptGzip returns a gzip file whose compressed data or checksum is
// damaged, depending on where.
func corruptGzip(b []byte, where string) []byte {
	z := gz(b)
	switch where {
	case "checksum":
		z[len(z)-8] ^= 0xff // CRC-32 of the trailer
	case "data":
		z[10] = 0xff // first byte of the deflate stream: reserved block type
	case "truncated":
		z = z[:len(z)-12]
	}
	return z
}

func TestReadIDXErrors(t *testing.T) {
	img := idxImages(3, 2, 2, seq(12))
	lab := idxLabels(4, []byte{1, 2, 3, 4})
	for _, c := range []struct {
		name   string
		labels bool // read with ReadIDXLabels
		data   []byte
		want   []string
	}{
		{"empty", false, nil, []string{"mnist: empty input; want an IDX image file"}},
		{"short header", false, img[:10], []string{"truncated header: 10 of 16 bytes"}},
		{"label file as images", false, lab, []string{"bad magic 0x00000801, want 0x00000803 (an IDX image file)", "swapped"}},
		{"image file as labels", true, img, []string{"bad magic 0x00000803, want 0x00000801 (an IDX label file)"}},
		{"not IDX", false, []byte("hello, this is not an IDX file"), []string{"bad magic 0x68656c6c", "not IDX"}},
		{"truncated pixels", false, img[:16+5], []string{"truncated: header says 3 images of 2×2, file has 5 bytes of pixels, want 12", "download it again"}},
		{"truncated gzip pixels", false, gz(img[:16+5]), []string{"truncated: header says 3 images of 2×2, file has 5 bytes of pixels"}},
		{"truncated labels", true, lab[:10], []string{"truncated: header says 4 labels, file has 2"}},
		{"trailing byte", false, append(slices.Clone(img), 7), []string{"1 byte follows the 3 images of 2×2 the header declares"}},
		{"trailing bytes gzip", false, gz(append(slices.Clone(img), 1, 2, 3)), []string{"3 bytes follow the 3 images"}},
		{"trailing labels", true, append(slices.Clone(lab), 0, 0), []string{"2 bytes follow the 4 labels"}},
		{"zero rows", false, idxImages(1, 0, 28, nil), []string{"images of 0×28 pixels; rows and columns must be 1..4096"}},
		{"huge cols", false, idxImages(1, 28, 5000, nil), []string{"images of 28×5000 pixels"}},
		{"too many images", false, idxImages(MaxCount+1, 28, 28, nil), []string{"header says 10000001 images, more than the 10000000"}},
		{"too many labels", true, idxLabels(1<<31, nil), []string{"header says 2147483648 labels, more than the 10000000"}},
		{"gzip checksum", false, corruptGzip(img, "checksum"), []string{"corrupt gzip data", "checksum"}},
		{"gzip data", false, corruptGzip(img, "data"), []string{"corrupt gzip data", "download it again"}},
		{"gzip truncated", false, corruptGzip(img, "truncated"), []string{"truncated"}},
		{"gzip header", false, []byte{0x1f, 0x8b, 0, 0, 0}, []string{"truncated gzip header", "download it again"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.labels {
				_, err = ReadIDXLabels(bytes.NewReader(c.data))
			} else {
				_, _, _, _, err = ReadIDXImages(bytes.NewReader(c.data))
			}
			if err == nil {
				t.Fatalf("no error; want one saying %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "mnist: ") {
				t.Errorf("error %q does not start with mnist: ", err)
			}
		})
	}
}

// TestReadIDXAllocatesLittle checks that a header claiming the most images
// of the largest size, followed by no data, does not make the reader
// allocate what it claims.
func TestReadIDXAllocatesLittle(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"images", idxImages(MaxCount, MaxSide, MaxSide, nil)},
		{"images gzip", gz(idxImages(MaxCount, 28, 28, seq(1000)))},
		{"labels", idxLabels(MaxCount, nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, _, _, err := ReadIDXImages(bytes.NewReader(c.data))
			_, err2 := ReadIDXLabels(bytes.NewReader(c.data))
			runtime.ReadMemStats(&after)
			if err == nil || err2 == nil {
				t.Fatalf("no error for a truncated file")
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", got, len(c.data))
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// gzBest returns b, then zeros zero bytes, gzip-compressed as tightly as
// gzip can: a few MiB of zeros compress to a few KiB.
func gzBest(b []byte, zeros int) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	z := make([]byte, 1<<20)
	for ; zeros > 0; zeros -= len(z) {
		w.Write(z[:min(zeros, len(z))])
	}
	w.Close()
	return buf.Bytes()
}

// readSlack is what a read may allocate besides its data: the 64 KiB input
// buffer, the gzip window and tables, the first chunk, the error.
const readSlack = 512 << 10

// TestReadIDXMemoryFollowsData checks that the bytes a read allocates follow
// the bytes it decompresses, not the header's claim: a file that proves
// shorter than its header costs at most 1.5 times what it holds, a
// complete one twice (the chunks, then the slice returned).
func TestReadIDXMemoryFollowsData(t *testing.T) {
	// Sizes just past where growing one buffer by doubling (or by append's
	// rule) leaves it most empty.
	const big, mid = 16<<20 + 1, 3 << 20
	huge := idxImages(MaxCount, MaxSide, MaxSide, nil)
	for _, c := range []struct {
		name    string
		labels  bool   // read with ReadIDXLabels
		data    []byte // the file
		content int    // its bytes once decompressed
		ok      bool   // whether it is a complete file
	}{
		{"gzip bomb images", false, gzBest(huge, big), 16 + big, false},
		{"gzip bomb labels", true, gzBest(idxLabels(MaxCount, nil), mid), 8 + mid, false},
		{"raw short images", false, idxImages(MaxCount, MaxSide, MaxSide, make([]byte, mid)), 16 + mid, false},
		{"raw short labels", true, idxLabels(MaxCount, make([]byte, mid)), 8 + mid, false},
		{"gzip images", false, gzBest(idxImages(mid, 1, 1, nil), mid), 16 + mid, true},
		{"raw images", false, idxImages(mid, 1, 1, make([]byte, mid)), 16 + mid, true},
		{"raw labels", true, idxLabels(mid, make([]byte, mid)), 8 + mid, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			got := allocated(func() {
				if c.labels {
					_, err = ReadIDXLabels(bytes.NewReader(c.data))
				} else {
					_, _, _, _, err = ReadIDXImages(bytes.NewReader(c.data))
				}
			})
			limit := uint64(c.content)*3/2 + readSlack
			if c.ok {
				limit = uint64(c.content)*2 + readSlack
			}
			if (err == nil) != c.ok {
				t.Fatalf("error %v; want ok = %v", err, c.ok)
			}
			if !c.ok && !strings.Contains(err.Error(), "truncated: header says") {
				t.Errorf("error %q does not say the file is truncated", err)
			}
			if got > limit {
				t.Errorf("allocated %d bytes for a %d-byte file of %d bytes decompressed; want at most %d", got, len(c.data), c.content, limit)
			}
			t.Logf("allocated %d bytes (%.2f× the %d decompressed)", got, float64(got)/float64(c.content), c.content)
		})
	}
}

// TestReadIDXGzipMembers checks that a gzip file of several members reads
// as the concatenation of their contents, as gunzip reads it.
func TestReadIDXGzipMembers(t *testing.T) {
	pix := seq(3 * 2 * 5)
	file := idxImages(3, 2, 5, pix)
	data := slices.Concat(gz(file[:7]), gz(nil), gz(file[7:20]), gz(file[20:]))
	n, rows, cols, got, err := ReadIDXImages(bytes.NewReader(data))
	if err != nil || n != 3 || rows != 2 || cols != 5 || !bytes.Equal(got, pix) {
		t.Errorf("got %d images of %d×%d, pixels %v, error %v; want 3 of 2×5, %v", n, rows, cols, got, err, pix)
	}
}

// TestReadIDXGzipTrailing checks that bytes after complete gzip data are
// reported as what they are, not as a truncated or corrupt stream.
func TestReadIDXGzipTrailing(t *testing.T) {
	img := idxImages(3, 2, 2, seq(12))
	lab := idxLabels(4, []byte{1, 2, 3, 4})
	const after = " the end of the gzip data, where only another gzip member may start; something was appended to the file or it is damaged, download it again"
	for _, c := range []struct {
		name   string
		labels bool // read with ReadIDXLabels
		data   []byte
		want   string
	}{
		{"one byte", false, append(gz(img), 7), "mnist: 1 byte follows" + after},
		{"nine bytes", false, append(gz(img), "123456789"...), "mnist: 9 bytes follow" + after},
		{"zeros", true, append(gz(lab), make([]byte, 512)...), "mnist: 512 bytes follow" + after},
		{"many bytes", false, append(gz(img), seq(3<<20)...), "mnist: more than 1048576 bytes follow" + after},
		{"after members", false, slices.Concat(gz(img[:9]), gz(img[9:]), []byte{0, 0}), "mnist: 2 bytes follow" + after},
		{"member header cut", true, append(gz(lab), 0x1f, 0x8b, 8), "mnist: truncated gzip data: the file ends inside the header of a further gzip member"},
		{"more data in a member", false, slices.Concat(gz(img), gz([]byte{1, 2})), "mnist: 2 bytes follow the 3 images of 2×2 the header declares; the file is corrupt or not what its header says"},
		{"more data then trailing", false, slices.Concat(gz(append(slices.Clone(img), 1)), []byte{9}), "mnist: 1 byte follows" + after},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.labels {
				_, err = ReadIDXLabels(bytes.NewReader(c.data))
			} else {
				_, _, _, _, err = ReadIDXImages(bytes.NewReader(c.data))
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %v; want one starting %q", err, c.want)
			}
		})
	}
}

// FuzzReadIDX reads each input as images and as labels, raw or gzip as its
// first bytes say. A read must not panic, must succeed only with what its
// header declares, must allocate no more than twice the bytes decompressed
// (plus fixed buffers), and must read a gzip file that gunzip reads cleanly
// exactly as it reads the gunzipped bytes.
func FuzzReadIDX(f *testing.F) {
	img := idxImages(2, 3, 4, seq(24))
	lab := idxLabels(3, []byte{5, 8, 5})
	for _, b := range [][]byte{
		img, lab, gz(img), gz(lab),
		img[:20], lab[:9], append(slices.Clone(img), 1),
		idxImages(MaxCount, MaxSide, MaxSide, nil), idxImages(1, 0, 1, nil),
		corruptGzip(img, "checksum"), corruptGzip(lab, "data"), corruptGzip(img, "truncated"),
		nil, {0x1f, 0x8b},
		append(gz(img), 7), append(gz(lab), 0x1f, 0x8b, 8), slices.Concat(gz(lab[:5]), gz(lab[5:])),
		gzBest(idxImages(MaxCount, MaxSide, MaxSide, nil), 256<<10), gzBest(idxLabels(MaxCount, nil), 256<<10),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		gzipMagic := []byte{0x1f, 0x8b}
		raw := !bytes.HasPrefix(data, gzipMagic)
		// content is data decompressed as gunzip would, up to what it
		// decompresses before an error (clean says there was none).
		content, clean := data, true
		if !raw {
			var buf bytes.Buffer
			clean = false
			if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
				_, err = io.CopyN(&buf, zr, 64<<20)
				if err == nil {
					t.Skip("decompresses to 64 MiB or more")
				}
				clean = err == io.EOF
			}
			content = buf.Bytes()
		}
		limit := 2*uint64(len(content)) + readSlack

		var (
			n, rows, cols int
			pix           []byte
			err           error
		)
		if got := allocated(func() { n, rows, cols, pix, err = ReadIDXImages(bytes.NewReader(data)) }); got > limit {
			t.Errorf("images: allocated %d bytes for %d bytes decompressed", got, len(content))
		}
		if err == nil {
			if raw && len(data) != 16+len(pix) {
				t.Errorf("%d pixels from a raw file of %d bytes", len(pix), len(data))
			}
			if n < 0 || n > MaxCount || rows < 1 || rows > MaxSide || cols < 1 || cols > MaxSide || len(pix) != n*rows*cols {
				t.Errorf("inconsistent success: %d images of %d×%d, %d pixels", n, rows, cols, len(pix))
			}
		} else if n != 0 || pix != nil || !strings.HasPrefix(err.Error(), "mnist: ") {
			t.Errorf("error %q with %d images, %d pixels", err, n, len(pix))
		}
		if !raw && clean && !bytes.HasPrefix(content, gzipMagic) {
			n2, rows2, cols2, pix2, err2 := ReadIDXImages(bytes.NewReader(content))
			if n != n2 || rows != rows2 || cols != cols2 || !bytes.Equal(pix, pix2) || fmt.Sprint(err) != fmt.Sprint(err2) {
				t.Errorf("images: gzip gives %d of %d×%d, %d pixels, error %v; its content gives %d of %d×%d, %d pixels, error %v",
					n, rows, cols, len(pix), err, n2, rows2, cols2, len(pix2), err2)
			}
		}

		var labels []byte
		if got := allocated(func() { labels, err = ReadIDXLabels(bytes.NewReader(data)) }); got > limit {
			t.Errorf("labels: allocated %d bytes for %d bytes decompressed", got, len(content))
		}
		if err == nil {
			if len(labels) > MaxCount || len(data) < 8 || raw && len(data) != 8+len(labels) {
				t.Errorf("inconsistent success: %d labels from %d bytes", len(labels), len(data))
			}
		} else if labels != nil || !strings.HasPrefix(err.Error(), "mnist: ") {
			t.Errorf("error %q with %d labels", err, len(labels))
		}
		if !raw && clean && !bytes.HasPrefix(content, gzipMagic) {
			labels2, err2 := ReadIDXLabels(bytes.NewReader(content))
			if !bytes.Equal(labels, labels2) || fmt.Sprint(err) != fmt.Sprint(err2) {
				t.Errorf("labels: gzip gives %d labels, error %v; its content gives %d, error %v", len(labels), err, len(labels2), err2)
			}
		}
	})
}

// BenchmarkReadIDXImages reads the real MNIST training images (60,000 of
// 28×28) from memory, gzip-compressed and raw; B/s counts the pixels and
// header, decompressed.
func BenchmarkReadIDXImages(b *testing.B) {
	_, paths, err := locate("")
	if err != nil {
		b.Skipf("skipping: no MNIST data: %v", err)
	}
	file, err := os.ReadFile(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	zipped, content := file, file
	if zr, err := gzip.NewReader(bytes.NewReader(file)); err == nil {
		if content, err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
	} else {
		zipped = gz(file)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"format=gzip", zipped}, {"format=raw", content}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, _, err := ReadIDXImages(bytes.NewReader(c.data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
