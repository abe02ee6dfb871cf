package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestCloseRoot: directories others could write become root's to
// write, as u-root's init leaves them (0777, no sticky bit); what is
// kept out, files and other filesystems are left alone.
func TestCloseRoot(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ubin, lib, usr := mk("ubin", 0o777), mk("lib", 0o775), mk("usr", 0o777)
	usrLib := mk("usr/lib", 0o777)
	etc, tmp, data := mk("etc", 0o755), mk("tmp", 0o777|os.ModeSticky), mk("data", 0o777)
	setgid := mk("srv", 0o777|os.ModeSetgid)
	file := filepath.Join(root, "etc/hosts")
	os.WriteFile(file, nil, 0o666)
	os.Chmod(file, 0o666)
	os.Chmod(root, 0o777|os.ModeSticky) // a tmpfs root

	fixed, err := closeRoot(root, tmp, data)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(fixed)
	want := []string{root, lib, setgid, ubin, usr, usrLib}
	slices.Sort(want)
	if !slices.Equal(fixed, want) {
		t.Errorf("fixed %q\nwant  %q", fixed, want)
	}
	for p, mode := range map[string]os.FileMode{
		root: 0o755 | os.ModeSticky, ubin: 0o755, lib: 0o755, usrLib: 0o755, etc: 0o755, setgid: 0o755 | os.ModeSetgid,
		tmp: 0o777 | os.ModeSticky, data: 0o777, file: 0o666,
	} {
		st, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode() &^ os.ModeDir; got != mode {
			t.Errorf("%s: %v, want %v", p, got, mode)
		}
	}
}

// TestEnsureDir: directories get their owner and mode at every boot,
// and a symbolic link on the way (which a service could put in its own
// directory) is refused instead of followed.
func TestEnsureDir(t *testing.T) {
	testdisk.RequireRoot(t, "give directories other owners")
	data := t.TempDir()
	if err := ensureDir(data, "a/b", 65534, 65534, 0o2750); err != nil {
		t.Fatal(err)
	}
	checkDir(t, filepath.Join(data, "a"), 0, 0, 0o755)
	checkDir(t, filepath.Join(data, "a/b"), 65534, 65534, 0o750|os.ModeSetgid)
	// Again, after the service changed it: the owner and mode are back.
	os.Chmod(filepath.Join(data, "a/b"), 0o777)
	if err := ensureDir(data, "a/b", 65534, 65534, 0o2750); err != nil {
		t.Fatal(err)
	}
	checkDir(t, filepath.Join(data, "a/b"), 65534, 65534, 0o750|os.ModeSetgid)

	victim := filepath.Join(t.TempDir(), "etc")
	os.Mkdir(victim, 0o755)
	os.Symlink(victim, filepath.Join(data, "a/b/c"))
	err := ensureDir(data, "a/b/c", 65534, 65534, 0o700)
	if !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.ELOOP) || !strings.Contains(err.Error(), "a/b/c") {
		t.Errorf("ensureDir through a symlink: %v", err)
	}
	checkDir(t, victim, 0, 0, 0o755)
}
