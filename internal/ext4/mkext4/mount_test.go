package mkext4

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestKernelMount mounts a formatted image read-write through a loop
// device, reads and writes through the kernel's ext4 driver, unmounts and
// checks the result with e2fsck. The image has 24 block groups (two flex
// groups, most groups BLOCK_UNINIT) and starts as random bytes where the
// metadata of each flex group goes, so that the kernel's lazy init of
// untouched bitmaps and inode tables is exercised too.
func TestKernelMount(t *testing.T) {
	testdisk.RequireRoot(t, "mount -o loop")
	src := t.TempDir()
	files, links := sourceTree(t, src)
	img := sparseImage(t, 3<<30)
	fillGarbage(t, img, 0, 48<<20)
	fillGarbage(t, img, 16*128<<20, 48<<20) // flex group 1 starts at group 16
	formatFile(t, img, Options{UUID: testUUID, Label: "mounttest", ModTime: testTime, Source: os.DirFS(src)})

	m := testdisk.Mount(t, img, "-t", "ext4", "-o", "loop,rw")
	mnt := m.Dir

	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(mnt, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("reading %s through the kernel: err %v, %d bytes (want %d)", name, err, len(got), len(data))
		}
	}
	for name, target := range links {
		if got, err := os.Readlink(filepath.Join(mnt, name)); err != nil || got != target {
			t.Fatalf("readlink %s: %q, %v; want %q", name, got, err, target)
		}
	}
	payload := bytes.Repeat([]byte("written by the kernel\n"), 10<<20) // 220 MiB: into uninit groups
	if err := os.MkdirAll(filepath.Join(mnt, "new/dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "new/dir/file"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 200 { // grows a directory past one block: the kernel indexes it
		if err := os.WriteFile(filepath.Join(mnt, "many", "kernel-"+string(rune('a'+i%26))+string(rune('a'+i/26))), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(mnt, "data/big.bin")); err != nil {
		t.Fatal(err)
	}
	m.Unmount()
	e2fsckClean(t, img)
	if out := debugfs(t, img, "cat /new/dir/file"); !bytes.Contains([]byte(out), payload[:1000]) {
		t.Fatal("the file written through the kernel does not read back")
	}
}
