package testdisk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/hostdeps"
)

// Tool returns the path of the external command name. The command must be
// one that a package of the list in internal/hostdeps provides, even if it
// happens to be installed here: a test may only need what `make deps`
// installs. A listed command that is missing fails the test with the
// package to install. Callers name only the command: the list is the one
// place that says which package provides it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := findTool(name, hostdeps.CommandPackage, lookPath)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// findTool is Tool with the list and the search as parameters, so that its
// failures can be tested without changing the host.
func findTool(name string, packageOf func(cmd string) (string, bool), look func(cmd string) (string, error)) (string, error) {
	pkg, ok := packageOf(name)
	if !ok {
		return "", fmt.Errorf("command %s is not in the package list: add the Debian package that provides it to internal/hostdeps/packages.txt", name)
	}
	p, err := look(name)
	if err != nil {
		return "", fmt.Errorf("command %s not found: apt-get install %s (or make deps)", name, pkg)
	}
	return p, nil
}

// lookPath searches $PATH, then the sbin directories, which a normal
// user's $PATH often lacks although mkfs.*, sgdisk and losetup live there.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}
