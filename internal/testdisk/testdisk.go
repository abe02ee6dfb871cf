// Package testdisk holds the helpers that tests across Plinth share: disk
// images, loop devices and mounts, the external tools that check them, the
// gate for tests that need root, and polling for conditions that become
// true later.
// External tools come from the package list of internal/hostdeps, which
// `make deps` installs: a missing tool fails the test with the package to
// install, never skips it.
package testdisk

import (
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/sparse"
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

// command runs name in the C locale, so that tests can match the
// messages of tools whatever the language of the machine.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// Run runs a command and returns its combined output, failing the test
// with that output when it exits non-zero.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// undo is a command that undoes what a helper set up, such as a detach
// or an unmount. It runs once: when the test asks for it early, else when
// the test ends.
type undo struct {
	t    testing.TB
	argv []string
	done bool
}

func (u *undo) run() {
	u.t.Helper()
	if u.done {
		return
	}
	u.done = true
	if out, err := command(u.argv[0], u.argv[1:]...).CombinedOutput(); err != nil {
		u.t.Errorf("%s: %v\n%s", strings.Join(u.argv, " "), err, out)
	}
}

// RunExit runs a command and returns its combined output and exit status,
// for tests that check how a tool reports a problem. Only a command that
// cannot run at all fails the test.
func RunExit(t testing.TB, name string, args ...string) (string, int) {
	t.Helper()
	out, err := command(name, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out), 0
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
	if _, err := sparse.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
