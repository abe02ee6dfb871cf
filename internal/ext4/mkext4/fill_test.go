package mkext4

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sourceTree creates the -d test tree under dir and returns the regular
// files (relative path -> content) and symlinks (path -> target).
func sourceTree(t testing.TB, dir string) (files map[string][]byte, links map[string]string) {
	t.Helper()
	files = map[string][]byte{}
	links = map[string]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 10<<20+123) // not a whole number of blocks
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	files["data/big.bin"] = big
	files["empty"] = nil
	files["a/b/c/deep.txt"] = []byte("deep\n")
	for i := range 300 {
		files[fmt.Sprintf("many/file-%03d-with-a-longish-name.txt", i)] = []byte(fmt.Sprintf("file %d\n", i))
	}
	links["short-link"] = "a/b/c/deep.txt"
	links["long-link"] = strings.Repeat("x/", 40) + "target" // 86 bytes: a slow symlink
	links["a/b/up"] = "../../data/big.bin"
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	return files, links
}

func TestFormatSource(t *testing.T) {
	src := t.TempDir()
	files, links := sourceTree(t, src)
	img := sparseImage(t, 256<<20)
	formatFile(t, img, Options{UUID: testUUID, ModTime: testTime, Source: os.DirFS(src), RootUID: 1000, RootGID: 100})
	e2fsckClean(t, img)

	out := t.TempDir()
	for name, data := range files {
		dst := filepath.Join(out, strings.ReplaceAll(name, "/", "_"))
		debugfs(t, img, fmt.Sprintf("dump /%s %s", name, dst))
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatalf("debugfs dump /%s: %v", name, err)
		}
		if string(got) != string(data) {
			t.Errorf("/%s: read back %d bytes, differing from the %d written", name, len(got), len(data))
		}
	}
	for name, target := range links {
		st := debugfs(t, img, "stat /"+name)
		if !strings.Contains(st, "Type: symlink") {
			t.Errorf("/%s is not a symlink:\n%s", name, st)
		}
		// debugfs prints a fast symlink's target in stat; dump a slow one.
		if !strings.Contains(st, `Fast link dest: "`+target+`"`) {
			dst := filepath.Join(out, "link")
			debugfs(t, img, fmt.Sprintf("dump /%s %s", name, dst))
			if got, _ := os.ReadFile(dst); string(got) != target {
				t.Errorf("/%s: target %q, want %q\n%s", name, got, target, st)
			}
		}
	}

	ls := debugfs(t, img, "ls -l /")
	for _, want := range []string{"lost+found", "data", "empty", "short-link", "long-link", "many", "a", "empty-dir"} {
		if !strings.Contains(ls, " "+want+"\n") && !strings.Contains(ls, " "+want+" ") {
			t.Errorf("ls -l / lacks %q:\n%s", want, ls)
		}
	}
	if ls := debugfs(t, img, "ls /many"); strings.Count(ls, "-with-a-longish-name.txt") != 300 {
		t.Errorf("ls /many shows %d of 300 files:\n%s", strings.Count(ls, "-with-a-longish-name.txt"), ls)
	}
	if st := debugfs(t, img, "stat /"); !strings.Contains(st, "User:  1000   Group:   100") {
		t.Errorf("root owner is not 1000:100:\n%s", st)
	}
	if st := debugfs(t, img, "stat /data/big.bin"); !strings.Contains(st, "Mode:  0640") {
		t.Errorf("big.bin mode is not 0640:\n%s", st)
	}
}

// TestFormatSourceExtentIndex stores a file too fragmented for the four
// extents an inode holds (1 KiB blocks: 8 MiB groups, superblock copies
// every few groups), so its extent tree needs an index level.
func TestFormatSourceExtentIndex(t *testing.T) {
	src := t.TempDir()
	data := make([]byte, 80<<20+1)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < len(data); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(data); j++ {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	if err := os.WriteFile(filepath.Join(src, "frag.bin"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	img := sparseImage(t, 256<<20)
	formatFile(t, img, Options{UUID: testUUID, ModTime: testTime, BlockSize: 1024, Source: os.DirFS(src)})
	e2fsckClean(t, img)
	if ex := debugfs(t, img, "ex /frag.bin"); !strings.Contains(ex, " 1/ 1 ") {
		t.Fatalf("frag.bin has no extent index level:\n%s", ex)
	}
	dst := filepath.Join(t.TempDir(), "frag.bin")
	debugfs(t, img, "dump /frag.bin "+dst)
	if !sameBytes(t, filepath.Join(src, "frag.bin"), dst) {
		t.Fatal("frag.bin reads back different")
	}
}
