package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
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
		{"gzip header", false, []byte{0x1f, 0x8b, 0, 0, 0}, []string{"mnist: "}},
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

func FuzzReadIDX(f *testing.F) {
	img := idxImages(2, 3, 4, seq(24))
	lab := idxLabels(3, []byte{5, 8, 5})
	for _, b := range [][]byte{
		img, lab, gz(img), gz(lab),
		img[:20], lab[:9], append(slices.Clone(img), 1),
		idxImages(MaxCount, MaxSide, MaxSide, nil), idxImages(1, 0, 1, nil),
		corruptGzip(img, "checksum"), corruptGzip(lab, "data"), corruptGzip(img, "truncated"),
		nil, {0x1f, 0x8b},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := !bytes.HasPrefix(data, []byte{0x1f, 0x8b})
		n, rows, cols, pix, err := ReadIDXImages(bytes.NewReader(data))
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
		labels, err := ReadIDXLabels(bytes.NewReader(data))
		if err == nil {
			if len(labels) > MaxCount || len(data) < 8 || raw && len(data) != 8+len(labels) {
				t.Errorf("inconsistent success: %d labels from %d bytes", len(labels), len(data))
			}
		} else if labels != nil || !strings.HasPrefix(err.Error(), "mnist: ") {
			t.Errorf("error %q with %d labels", err, len(labels))
		}
	})
}
