package mlp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSaveFileSyncsDir checks that SaveFile syncs the directory it renamed
// the new file in, once, after the rename (through a link, the target's
// directory), and reports a failure to sync; and that syncDir works on a
// plain directory.
func TestSaveFileSyncsDir(t *testing.T) {
	if err := syncDir(t.TempDir()); err != nil {
		t.Fatalf("syncDir of a plain directory: %v", err)
	}
	orig := syncDir
	t.Cleanup(func() { syncDir = orig })
	var synced []string
	var fail error
	syncDir = func(dir string) error {
		synced = append(synced, dir)
		if fail != nil {
			return fail
		}
		return orig(dir)
	}

	n := saveFileNet(t)
	root, err := filepath.EvalSymlinks(t.TempDir()) // as SaveFile resolves a link's target
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "net.gofma")
	check := func(saved string, want ...string) {
		t.Helper()
		if strings.Join(synced, " ") != strings.Join(want, " ") {
			t.Errorf("SaveFile synced the directories %q, want %q", synced, want)
		}
		if saved != "" {
			saveFileCheck(t, saved, n) // renamed before the sync
		}
		synced = nil
	}
	if err := n.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	check(path, root)
	if err := n.SaveFile(path); err != nil { // over an existing file
		t.Fatal(err)
	}
	check(path, root)

	sub := filepath.Join(root, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(path, filepath.Join(sub, "link.gofma")); err == nil {
		if err := n.SaveFile(filepath.Join(sub, "link.gofma")); err != nil {
			t.Fatal(err)
		}
		check(path, root)
	}

	if err := n.SaveFile(filepath.Join(root, "missing", "net.gofma")); err == nil {
		t.Error("SaveFile into a missing directory succeeded")
	}
	check("") // nothing renamed, nothing synced

	fail = errors.New("fsync: input/output error")
	err = n.SaveFile(path)
	if !errors.Is(err, fail) || !strings.HasPrefix(err.Error(), "mlp: model file "+path+": ") || !strings.Contains(err.Error(), "syncing its directory") {
		t.Errorf("SaveFile with a failing directory sync: error %v, want one naming the file and wrapping the sync's", err)
	}
	check(path, root)
	saveFileEntries(t, root, "net.gofma", "sub")
}
