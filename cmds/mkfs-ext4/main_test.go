package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

const testUUID = "0b1f4b4e-7d0a-4f2e-9c59-6f0d1e2a3b4c"

// runTool runs a system tool, returning output and exit code.
func runTool(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	return testdisk.RunExit(t, testdisk.Tool(t, name), args...)
}

// mkfs runs the command in-process with SOURCE_DATE_EPOCH fixed.
func mkfs(args ...string) (string, error) {
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1714979289"
		}
		return ""
	}
	err := run(args, env, &out, &errb)
	return out.String() + errb.String(), err
}

func e2fsckClean(t *testing.T, img string) {
	t.Helper()
	out, code := runTool(t, "e2fsck", "-fn", img)
	if code != 0 || strings.Contains(out, "?") || strings.Count(out, "\n") != 7 {
		t.Fatalf("e2fsck -fn %s: exit %d:\n%s", img, code, out)
	}
}

func dumpe2fs(t *testing.T, img string) string {
	t.Helper()
	out, code := runTool(t, "dumpe2fs", "-h", img)
	if code != 0 {
		t.Fatalf("dumpe2fs -h: exit %d\n%s", code, out)
	}
	return out
}

func TestCreateImage(t *testing.T) {
	img := filepath.Join(t.TempDir(), "new.img")
	out, err := mkfs("-L", "plinth-data", "-U", testUUID, "-E", "root_owner=1000:1001", img, "256M")
	if err != nil {
		t.Fatalf("mkfs-ext4: %v\n%s", err, out)
	}
	if !strings.Contains(out, "65536 blocks of 4096 bytes") || !strings.Contains(out, testUUID) {
		t.Errorf("summary: %q", out)
	}
	fi, err := os.Stat(img)
	if err != nil || fi.Size() != 256<<20 {
		t.Fatalf("image size: %v %v", fi, err)
	}
	e2fsckClean(t, img)
	h := dumpe2fs(t, img)
	for _, want := range []string{"Filesystem volume name:   plinth-data", "Filesystem UUID:          " + testUUID,
		"Block size:               4096", "metadata_csum", "64bit", "flex_bg", "has_journal"} {
		if !strings.Contains(h, want) {
			t.Errorf("dumpe2fs -h lacks %q:\n%s", want, h)
		}
	}
	if st, _ := runTool(t, "debugfs", "-R", "stat /", img); !strings.Contains(st, "User:  1000   Group:  1001") {
		t.Errorf("root owner:\n%s", st)
	}
}

func TestExtendAndSizeUnits(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "x.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// With -b a plain SIZE counts blocks.
	if out, err := mkfs("-q", "-F", "-b", "2048", "-U", testUUID, img, "32768"); err != nil || out != "" {
		t.Fatalf("mkfs-ext4: %v %q", err, out)
	}
	if fi, _ := os.Stat(img); fi.Size() != 64<<20 {
		t.Fatalf("extended to %d bytes, want %d", fi.Size(), 64<<20)
	}
	e2fsckClean(t, img)
}

func TestSourceDirReproducible(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "etc/app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "etc/app/config"), []byte("key = value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("app/config", filepath.Join(src, "etc/link")); err != nil {
		t.Fatal(err)
	}
	var sums [2][32]byte
	for i := range sums {
		img := filepath.Join(t.TempDir(), "d.img")
		if out, err := mkfs("-q", "-U", testUUID, "-d", src, img, "64M"); err != nil {
			t.Fatalf("mkfs-ext4 -d: %v\n%s", err, out)
		}
		e2fsckClean(t, img)
		dst := filepath.Join(t.TempDir(), "config")
		runTool(t, "debugfs", "-R", "dump /etc/app/config "+dst, img)
		if b, _ := os.ReadFile(dst); string(b) != "key = value\n" {
			t.Fatalf("config reads back %q", b)
		}
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		sums[i] = sha256.Sum256(b)
	}
	if sums[0] != sums[1] {
		t.Fatal("same -U, -d and SOURCE_DATE_EPOCH gave different images")
	}
}

// TestRejectionsWriteNothing checks refused requests leave an existing
// file byte-identical and create no new one.
func TestRejectionsWriteNothing(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.img")
	if out, err := mkfs("-q", "-U", testUUID, existing, "64M"); err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	garbage := filepath.Join(dir, "garbage.img")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte{0x5A}, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.img")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"existing fs without -F", []string{existing}, "use -F"},
		{"label too long", []string{"-F", "-L", "0123456789abcdefg", existing}, "longer than 16"},
		{"bad UUID", []string{"-F", "-U", "not-a-uuid", existing}, "-U"},
		{"bad block size", []string{"-F", "-b", "512", existing}, "block size 512"},
		{"bad -E", []string{"-F", "-E", "stride=4", existing}, "unsupported extended option"},
		{"bad root_owner", []string{"-F", "-E", "root_owner=x:1", existing}, "root_owner"},
		{"too small", []string{"-F", garbage, "4M"}, "below the minimum"},
		{"bad SIZE", []string{"-F", garbage, "12Q"}, "SIZE"},
		{"missing -d", []string{"-F", "-d", filepath.Join(dir, "nope"), garbage}, "not a directory"},
		{"no target", []string{missing}, "does not exist"},
		{"new image too small", []string{missing, "1M"}, "below the minimum"},
		{"new image bad label", []string{"-L", strings.Repeat("x", 20), missing, "64M"}, "longer than 16"},
		{"no args", nil, "TARGET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := [2][32]byte{testdisk.SHA256(t, existing), testdisk.SHA256(t, garbage)}
			out, err := mkfs(tc.args...)
			if err == nil || !strings.Contains(err.Error()+out, tc.msg) {
				t.Fatalf("mkfs-ext4 %q: err %v, output %q; want an error mentioning %q", tc.args, err, out, tc.msg)
			}
			if after := [2][32]byte{testdisk.SHA256(t, existing), testdisk.SHA256(t, garbage)}; after != before {
				t.Fatal("a refused request changed a file")
			}
			if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("a refused request left a new image behind")
			}
		})
	}
}
