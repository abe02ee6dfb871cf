package vfat

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
	tib = int64(1) << 40
)

// fsckSummary is the only line besides the version banner that a clean
// `fsck.fat -n` prints.
var fsckSummary = regexp.MustCompile(`^\S+: \d+ files, \d+/\d+ clusters$`)

// fsck runs fsck.fat -n on img and fails on a non-zero exit or any line
// beyond the banner and the summary (those would be warnings).
func fsck(t testing.TB, img string) {
	t.Helper()
	out, err := exec.Command(testdisk.Tool(t, "fsck.fat"), "-n", img).CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.fat -n %s: %v\n%s", img, err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(line, "fsck.fat ") && !fsckSummary.MatchString(line) {
			t.Fatalf("fsck.fat -n %s warned: %q\nfull output:\n%s", img, line, out)
		}
	}
}

// runTool runs an external program and returns its standard output.
func runTool(t testing.TB, prog string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(testdisk.Tool(t, prog), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// sparseFile creates a sparse file of size bytes in a fresh directory.
func sparseFile(t testing.TB, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "fat.img"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return f
}

// allocatedBytes returns the bytes of disk a file really uses.
func allocatedBytes(t testing.TB, f *os.File) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

// seededBytes returns n pseudo-random bytes, the same for every run.
func seededBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// testTree is the content the fill tests copy: nested directories, a
// multi-cluster file, long and mixed-case names, an empty file and a
// directory of 200 files that spans several clusters.
func testTree() fstest.MapFS {
	mt := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	file := func(b []byte) *fstest.MapFile { return &fstest.MapFile{Data: b, Mode: 0o644, ModTime: mt} }
	m := fstest.MapFS{
		"EFI/BOOT/BOOTX64.EFI":             file(seededBytes(3<<20, 1)),
		"EFI/BOOT/grub.cfg":                file([]byte("set timeout=3\n")),
		"loader/loader.conf":               file([]byte("default plinth.conf\ntimeout 3\n")),
		"loader/entries/plinth.conf":       file([]byte("title Plinth\nefi /EFI/Linux/plinth.efi\n")),
		"plinth.json":                      file([]byte(`{"version":"1"}` + "\n")),
		"A Long File Name With Spaces.txt": file([]byte("long name\n")),
		"MixedCase.Dat":                    file(seededBytes(5000, 2)),
		"empty":                            file(nil),
		"a/b/c/d/e/deep.txt":               file([]byte("deep\n")),
		"a/b/c/d/e/empty-dir-sibling/keep": file([]byte("k")),
		"unicode/naïve café.txt":           file([]byte("unicode\n")),
		"unicode/verylongname-" + strings.Repeat("x", 200) + ".bin": file([]byte("long\n")),
	}
	for i := range 200 {
		m[fmt.Sprintf("many/file%03d.txt", i)] = file([]byte(fmt.Sprintf("file %d\n", i)))
	}
	m["emptydir"] = &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mt}
	return m
}
