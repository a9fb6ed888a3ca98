package mlp

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// saveFileNet returns a small network for the SaveFile tests.
func saveFileNet(t *testing.T) *Network {
	t.Helper()
	n, err := New(Config{Inputs: 3, Hidden: []Layer{{4, Tanh}}, Outputs: 2, Loss: CrossEntropy, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// saveFileCheck fails unless path holds n's model file.
func saveFileCheck(t *testing.T, path string, n *Network) {
	t.Helper()
	m, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	modelCheckSame(t, m, n, nil)
}

// saveFileWrite writes an old file at path with the permission bits perm,
// whatever the umask.
func saveFileWrite(t *testing.T, path string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("old contents"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// saveFileMode returns the permission bits of the file path.
func saveFileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// saveFileEntries fails unless dir holds exactly the names want: no
// temporary file left behind.
func saveFileEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

// TestSaveFileKeepsMode checks that SaveFile over an existing file keeps
// its permission bits, and that a new file gets 0644.
func TestSaveFileKeepsMode(t *testing.T) {
	n := saveFileNet(t)
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o644, 0o640, 0o600, 0o664, 0o755} {
		path := filepath.Join(dir, "net.gofma")
		saveFileWrite(t, path, perm)
		if err := n.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		saveFileCheck(t, path, n)
		if got := saveFileMode(t, path); got != perm {
			t.Errorf("SaveFile over a file of mode %v: mode %v, want it kept", perm, got)
		}
		saveFileEntries(t, dir, "net.gofma")
	}
	path := filepath.Join(dir, "new.gofma")
	if err := n.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if got := saveFileMode(t, path); got != 0o644 {
		t.Errorf("a new file has mode %v, want -rw-r--r--", got)
	}
}

// TestSaveFileSymlink checks that SaveFile through a symbolic link (or a
// chain of them, relative or absolute) replaces the file the link leads
// to, keeping its mode, and leaves the link a link; and that a link to
// nothing and a directory are refused, changing nothing.
func TestSaveFileSymlink(t *testing.T) {
	n := saveFileNet(t)
	root := t.TempDir()
	data, links := filepath.Join(root, "data"), filepath.Join(root, "links")
	for _, d := range []string{data, links} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(data, "net.gofma")
	saveFileWrite(t, target, 0o640)
	link := filepath.Join(links, "net.gofma")
	if err := os.Symlink(filepath.Join("..", "data", "net.gofma"), link); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
	chain := filepath.Join(links, "chain.gofma")
	if err := os.Symlink(link, chain); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{link, chain} {
		saveFileWrite(t, target, 0o640)
		if err := n.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{link, chain} {
			if fi, err := os.Lstat(l); err != nil {
				t.Fatal(err)
			} else if fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("SaveFile(%s): %s is no longer a symbolic link but %v", path, l, fi.Mode())
			}
		}
		if got, err := os.Readlink(link); err != nil || got != filepath.Join("..", "data", "net.gofma") {
			t.Errorf("SaveFile(%s): the link now leads to %q (%v)", path, got, err)
		}
		saveFileCheck(t, target, n)
		if got := saveFileMode(t, target); got != 0o640 {
			t.Errorf("SaveFile(%s): the target's mode is %v, want -rw-r----- kept", path, got)
		}
		saveFileEntries(t, data, "net.gofma")
		saveFileEntries(t, links, "chain.gofma", "net.gofma")
	}

	dangling := filepath.Join(links, "dangling.gofma")
	if err := os.Symlink(filepath.Join(data, "missing.gofma"), dangling); err != nil {
		t.Fatal(err)
	}
	err := n.SaveFile(dangling)
	if err == nil || !strings.HasPrefix(err.Error(), "mlp: model file "+dangling+": ") || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("SaveFile through a link to nothing: error %v, want one naming the file and the link", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("SaveFile through a link to nothing replaced the link (%v)", err)
	}
	saveFileEntries(t, data, "net.gofma")

	if err := n.SaveFile(data); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("SaveFile of a directory: error %v, want one saying it is a directory", err)
	}
	saveFileEntries(t, root, "data", "links")
}
