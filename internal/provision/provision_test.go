package provision

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"

	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		size    int64
		ss      int
		wantErr bool
	}{
		{4 << 30, 512, false},
		{4 << 30, 4096, false},
		{MinDiskSize, 512, false},
		{MinDiskSize - 1, 512, true},
		{1 << 40, 512, false},
	}
	for _, tt := range tests {
		l, err := Plan(tt.size, tt.ss, []byte("seed"))
		if (err != nil) != tt.wantErr {
			t.Errorf("Plan(%d, %d) err = %v", tt.size, tt.ss, err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "too small") {
				t.Errorf("error %q does not say the disk is too small", err)
			}
			continue
		}
		if l.Offset(l.ESP) != 1<<20 || l.Size(l.ESP) != ESPSize {
			t.Errorf("ESP at %d size %d, want 1 MiB and 512 MiB", l.Offset(l.ESP), l.Size(l.ESP))
		}
		if l.Offset(l.Data) != l.Offset(l.ESP)+ESPSize || l.Size(l.Data)%(1<<20) != 0 || l.Offset(l.Data)+l.Size(l.Data) > tt.size-(1<<20)+1 {
			t.Errorf("data partition at %d size %d on a %d-byte disk", l.Offset(l.Data), l.Size(l.Data), tt.size)
		}
	}
	a, _ := Plan(4<<30, 512, []byte("one"))
	b, _ := Plan(4<<30, 512, []byte("two"))
	if a.ESP.GUID == b.ESP.GUID || a.DiskGUID == b.DiskGUID {
		t.Error("different seeds gave the same GUIDs")
	}
}

func testConfig(l Layout) *appconfig.Config {
	return Config(appconfig.Config{
		Product: "Plinth", Version: "1.2.3",
		Network:  appconfig.Network{Mode: appconfig.ModeDHCP},
		Services: []appconfig.Service{{Name: "demo", Exec: "/bbin/plinth-demo"}},
	}, l, appconfig.Identity{DiskSerial: "S1"})
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		testdisk.Tool(t, tool, "gdisk dosfstools e2fsprogs mtools")
	}
}

// extract copies a partition to its own sparse file for the fsck tools.
func extract(t *testing.T, img string, off, size int64) string {
	t.Helper()
	src, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), "part.img")
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.Truncate(size)
	buf := make([]byte, 1<<20)
	zero := make([]byte, 1<<20)
	r := io.NewSectionReader(src, off, size)
	for pos := int64(0); pos < size; pos += int64(len(buf)) {
		n, err := r.ReadAt(buf, pos)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			dst.WriteAt(buf[:n], pos)
		}
		if err != nil {
			break
		}
	}
	return out
}

func TestWriteDisk(t *testing.T) {
	need(t, "sgdisk", "fsck.fat", "e2fsck", "mcopy")
	uki := bytes.Repeat([]byte("runtime uki "), 100000)
	var sums [2][32]byte
	for i := range sums {
		img := filepath.Join(t.TempDir(), "disk.img")
		f, err := os.Create(img)
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(2 << 30)
		l, err := Plan(2<<30, 512, []byte("disk image"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(l)
		if err := Write(f, l, Content{RuntimeUKI: uki, LoaderPath: `\EFI\plinth\plinth.efi`, Config: cfg, ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if out, _ := exec.Command("sgdisk", "-v", img).CombinedOutput(); !strings.Contains(string(out), "No problems found") {
			t.Fatalf("sgdisk -v:\n%s", out)
		}
		out, _ := exec.Command("sgdisk", "-p", img).CombinedOutput()
		if !strings.Contains(string(out), "EF00") || !strings.Contains(string(out), DataName) {
			t.Errorf("sgdisk -p:\n%s", out)
		}
		esp := extract(t, img, l.Offset(l.ESP), l.Size(l.ESP))
		if out, err := exec.Command("fsck.fat", "-n", esp).CombinedOutput(); err != nil {
			t.Errorf("fsck.fat -n: %v\n%s", err, out)
		}
		for _, p := range []string{"::EFI/plinth/plinth.efi", "::EFI/BOOT/BOOTX64.EFI"} {
			got, err := exec.Command("mtype", "-i", esp, p).Output()
			if err != nil || !bytes.Equal(got, uki) {
				t.Errorf("%s does not hold the UKI (%v)", p, err)
			}
		}
		got, err := exec.Command("mtype", "-i", esp, "::EFI/plinth/plinth.json").Output()
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := appconfig.Parse(got)
		if err != nil || parsed.Data.PartUUID != strings.ToLower(l.Data.GUID.String()) {
			t.Errorf("config on the ESP: %v, %+v", err, parsed)
		}
		data := extract(t, img, l.Offset(l.Data), l.Size(l.Data))
		if out, err := exec.Command("e2fsck", "-fn", data).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(img)
		sums[i] = sha256.Sum256(b)
	}
	if sums[0] != sums[1] {
		t.Error("two writes of the same disk differ")
	}
}

func TestWriteRejects(t *testing.T) {
	l, _ := Plan(2<<30, 512, nil)
	cfg := testConfig(l)
	bad := *cfg
	bad.Hostname = "not a hostname!"
	tests := []struct {
		name string
		c    Content
	}{
		{"no uki", Content{LoaderPath: "EFI/plinth/plinth.efi", Config: cfg}},
		{"no config", Content{RuntimeUKI: []byte("x"), LoaderPath: "EFI/plinth/plinth.efi"}},
		{"fallback loader", Content{RuntimeUKI: []byte("x"), LoaderPath: FallbackPath, Config: cfg}},
		{"bad config", Content{RuntimeUKI: []byte("x"), LoaderPath: "EFI/plinth/plinth.efi", Config: &bad}},
	}
	for _, tt := range tests {
		w := &countingWriter{}
		if err := Write(w, l, tt.c); err == nil {
			t.Errorf("%s: Write succeeded", tt.name)
		}
		if w.n != 0 {
			t.Errorf("%s: %d bytes written for rejected input", tt.name, w.n)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) WriteAt(p []byte, off int64) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func BenchmarkWriteDisk(b *testing.B) {
	uki := bytes.Repeat([]byte("u"), 8<<20)
	for _, size := range []int64{4 << 30, 64 << 30} {
		b.Run(fmt.Sprintf("%dGiB", size>>30), func(b *testing.B) {
			l, _ := Plan(size, 512, nil)
			cfg := testConfig(l)
			for i := 0; i < b.N; i++ {
				w := &countingWriter{}
				if err := Write(w, l, Content{RuntimeUKI: uki, LoaderPath: "EFI/plinth/plinth.efi", Config: cfg}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(w.n), "bytes-written")
			}
		})
	}
}
