package initramfs

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/u-root/u-root/pkg/cpio"
)

func moduleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func TestImageRecords(t *testing.T) {
	im := Image{
		Busybox:     []byte("\x7fELF fake"),
		Commands:    []string{"installer", "init"},
		Uinit:       "installer",
		Files:       map[string][]byte{"/etc/plinth/release.json": []byte(`{"version":"1"}`)},
		Executables: map[string][]byte{"/payload/db": []byte("#payload")},
	}
	data, err := im.Build()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]cpio.Record{}
	for _, r := range recs {
		got[r.Name] = r
	}
	tests := []struct {
		name   string
		mode   uint64 // type bits
		target string // symlink target or file content
	}{
		{"init", cpio.S_IFLNK, "bbin/init"},
		{"bbin/init", cpio.S_IFLNK, "bb"},
		{"bbin/installer", cpio.S_IFLNK, "bb"},
		{"bbin/uinit", cpio.S_IFLNK, "installer"},
		{"bbin/bb", cpio.S_IFREG, "\x7fELF fake"},
		{"dev/console", cpio.S_IFCHR, ""},
		{"tmp", cpio.S_IFDIR, ""},
		{"etc/plinth", cpio.S_IFDIR, ""},
		{"etc/plinth/release.json", cpio.S_IFREG, `{"version":"1"}`},
		{"payload/db", cpio.S_IFREG, "#payload"},
	}
	for _, tt := range tests {
		r, ok := got[tt.name]
		if !ok {
			t.Errorf("%s missing from archive", tt.name)
			continue
		}
		if r.Mode&cpio.S_IFMT != tt.mode {
			t.Errorf("%s mode %o, want type %o", tt.name, r.Mode, tt.mode)
		}
		if tt.mode == cpio.S_IFLNK || tt.mode == cpio.S_IFREG {
			b := make([]byte, r.FileSize)
			r.ReadAt(b, 0)
			if string(b) != tt.target {
				t.Errorf("%s holds %q, want %q", tt.name, b, tt.target)
			}
		}
		if r.MTime != 0 || r.UID != 0 {
			t.Errorf("%s not reproducible: mtime %d uid %d", tt.name, r.MTime, r.UID)
		}
	}
	if m := got["payload/db"].Mode & 0o777; m != 0o755 {
		t.Errorf("payload/db mode %o, want 755", m)
	}
	if m := got["etc/plinth/release.json"].Mode & 0o777; m != 0o644 {
		t.Errorf("release.json mode %o, want 644", m)
	}
	if c := got["dev/console"]; c.Rmajor != 5 || c.Rminor != 1 {
		t.Errorf("dev/console is %d:%d, want 5:1", c.Rmajor, c.Rminor)
	}
	again, _ := im.Build()
	if !bytes.Equal(data, again) {
		t.Error("two builds of the same image differ")
	}
	// zstd frame header: window descriptor must stay within the kernel's limit.
	if !bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		t.Error("archive is not zstd")
	}
}

// TestImageOwners checks that a file's own mode and owner survive into
// the archive (reproducibility resets every owner to root first).
func TestImageOwners(t *testing.T) {
	im := Image{Busybox: []byte("x"), Commands: []string{"init"},
		Files:       map[string][]byte{"/etc/acme/acme.conf": []byte("a"), "/etc/other": []byte("b")},
		Executables: map[string][]byte{"/payload/db": []byte("c")},
		Owners:      map[string]FileMeta{"/etc/acme/acme.conf": {Perm: 0o640, UID: 0, GID: 1001}, "/payload/db": {Perm: 0o4750, UID: 1000, GID: 1001}}}
	data, err := im.Build()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]uint64{"etc/acme/acme.conf": {0o100640, 0, 1001}, "etc/other": {0o100644, 0, 0}, "payload/db": {0o104750, 1000, 1001}}
	for _, r := range recs {
		if w, ok := want[r.Name]; ok {
			if got := [3]uint64{r.Mode, r.UID, r.GID}; got != w {
				t.Errorf("%s: mode, uid, gid = %o, %d, %d; want %o, %d, %d", r.Name, got[0], got[1], got[2], w[0], w[1], w[2])
			}
			delete(want, r.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not in the archive: %v", want)
	}
}

func TestImageRejects(t *testing.T) {
	tests := []struct {
		name string
		im   Image
	}{
		{"no binary", Image{Commands: []string{"init"}}},
		{"no init", Image{Busybox: []byte("x"), Commands: []string{"installer"}}},
		{"unknown uinit", Image{Busybox: []byte("x"), Commands: []string{"init"}, Uinit: "installer"}},
		{"relative file", Image{Busybox: []byte("x"), Commands: []string{"init"}, Files: map[string][]byte{"etc/x": nil}}},
		{"owner of no file", Image{Busybox: []byte("x"), Commands: []string{"init"}, Owners: map[string]FileMeta{"/etc/x": {Perm: 0o600}}}},
	}
	for _, tt := range tests {
		if _, err := tt.im.Build(); err == nil {
			t.Errorf("%s: Build succeeded", tt.name)
		}
	}
}

// TestBuildBusybox compiles u-root's init and our installer into one
// binary and checks it is a static amd64 ELF that is the only ELF in the image.
func TestBuildBusybox(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a busybox binary; run without -short")
	}
	out := filepath.Join(t.TempDir(), "bb")
	cmds := []string{InitCommand, "github.com/plinth-os/plinth/cmds/installer"}
	if err := BuildBusybox(context.Background(), BusyboxOptions{ModuleDir: moduleRoot(t), Commands: cmds, Output: out}); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("machine %v, want x86-64", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has an ELF interpreter: not static")
		}
	}
	bin, _ := os.ReadFile(out)
	data, err := Image{Busybox: bin, Commands: CommandNames(cmds), Uinit: "installer"}.Build()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	elves := 0
	for _, r := range recs {
		if r.Mode&cpio.S_IFMT != cpio.S_IFREG || r.FileSize < 4 {
			continue
		}
		magic := make([]byte, 4)
		r.ReadAt(magic, 0)
		if bytes.Equal(magic, []byte("\x7fELF")) {
			elves++
			if r.Name != "bbin/bb" {
				t.Errorf("extra ELF file %s in the initramfs", r.Name)
			}
		}
	}
	if elves != 1 {
		t.Errorf("%d ELF files, want exactly 1", elves)
	}
}

func BenchmarkImageBuild(b *testing.B) {
	bin := bytes.Repeat([]byte("plinth busybox binary "), 1<<20) // 22 MiB
	im := Image{Busybox: bin, Commands: []string{"init", "installer"}, Uinit: "installer"}
	b.SetBytes(int64(len(bin)))
	for i := 0; i < b.N; i++ {
		data, err := im.Build()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(data)), "compressed-bytes")
	}
}
