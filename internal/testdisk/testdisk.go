// Package testdisk holds the helpers that tests across Plinth share: disk
// images and loop devices, the external tools that check them, the gate for
// tests that need root, and polling for conditions that become true later.
// External tools come from the package list of internal/hostdeps, which
// `make deps` installs: a missing tool fails the test with the package to
// install, never skips it.
package testdisk

import (
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Sparse creates (or truncates) path as a sparse file of size bytes.
func Sparse(t testing.TB, path string, size int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

// TempSparse is Sparse in a new temporary directory.
func TempSparse(t testing.TB, name string, size int64) string {
	t.Helper()
	return Sparse(t, filepath.Join(t.TempDir(), name), size)
}

// Run runs a command and returns its combined output, failing the test
// with that output when it exits non-zero.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// SHA256 hashes a file without reading it into memory at once.
func SHA256(t testing.TB, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
