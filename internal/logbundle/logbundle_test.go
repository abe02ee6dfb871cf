package logbundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

var (
	when  = time.Date(2026, 11, 22, 5, 15, 0, 0, time.UTC)
	files = []File{
		{Name: "plan.json", Data: []byte(`{"disk":"nvme0n1"}` + "\n")},
		{Name: "installer.log", Data: []byte("step 1\nstep 2: failed\n")},
		{Name: "kernel/dmesg.txt", Data: []byte("[    0.000000] Linux version 6.1\n")},
		{Name: "empty", Data: nil},
	}
	sortedNames = []string{"empty", "installer.log", "kernel/dmesg.txt", "plan.json"}
)

func build(t *testing.T, fs []File, now time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Build(&b, fs, now); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return b.Bytes()
}

func TestBuildRoundTrip(t *testing.T) {
	archive := build(t, files, when.Add(123*time.Millisecond))

	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.Equal(when) {
		t.Errorf("gzip mtime %v, want %v", zr.ModTime, when)
	}
	tr := tar.NewReader(zr)
	want := map[string]string{}
	for _, f := range files {
		want[f.Name] = string(f.Data)
	}
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != want[h.Name] {
			t.Errorf("%s: %q, want %q", h.Name, data, want[h.Name])
		}
		if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || !h.ModTime.Equal(when) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: type %c mode %o mtime %v uid %d gid %d; want regular 0644 %v root", h.Name, h.Typeflag, h.Mode, h.ModTime, h.Uid, h.Gid, when)
		}
	}
	if strings.Join(names, " ") != strings.Join(sortedNames, " ") {
		t.Errorf("entries %v, want %v", names, sortedNames)
	}

	// The tar tool agrees: listing, and contents once extracted.
	tarTool := testdisk.Tool(t, "tar", "tar")
	dir := t.TempDir()
	path := filepath.Join(dir, Name(when))
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(testdisk.Run(t, tarTool, "-tzf", path)); strings.Join(got, " ") != strings.Join(sortedNames, " ") {
		t.Errorf("tar -tzf lists %v, want %v", got, sortedNames)
	}
	out := filepath.Join(dir, "x")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	testdisk.Run(t, tarTool, "-xzf", path, "-C", out)
	for name, content := range want {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(b) != content {
			t.Errorf("tar -x: %s = %q, %v; want %q", name, b, err, content)
		}
		fi, err := os.Stat(filepath.Join(out, name))
		if err == nil && !fi.ModTime().Equal(when) {
			t.Errorf("tar -x: %s mtime %v, want %v", name, fi.ModTime(), when)
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	reversed := make([]File, len(files))
	for i, f := range files {
		reversed[len(files)-1-i] = f
	}
	a, b := build(t, files, when), build(t, reversed, when)
	if !bytes.Equal(a, b) {
		t.Error("the same files in another order give another archive")
	}
	if c := build(t, files, when.Add(time.Second)); bytes.Equal(a, c) {
		t.Error("another time gives the same archive")
	}
}

func TestBuildBadNames(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  string
	}{
		{"absolute", []File{{Name: "/etc/passwd"}}, "not a relative"},
		{"dotdot", []File{{Name: "../x"}}, "not a relative"},
		{"empty", []File{{Name: ""}}, "not a relative"},
		{"dot", []File{{Name: "."}}, "not a relative"},
		{"duplicate", []File{{Name: "a"}, {Name: "b"}, {Name: "a"}}, `file "a" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Build(&b, tt.files, when)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	if got, want := Name(when), "plinth-logs-20261122-051500.tar.gz"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
}

func TestFormatRecord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"6,339,5140900,-;NET: Registered protocol family 10", "[    5.140900] NET: Registered protocol family 10"},
		{"0,0,0,-;Linux version 6.1.0", "[    0.000000] Linux version 6.1.0"},
		{"3,1234,123456789012,c;nvme nvme0: I/O 12 QID 1 timeout", "[123456.789012] nvme nvme0: I/O 12 QID 1 timeout"},
		{"4,77,1234567,-,caller=T1;with caller id; and a semicolon", "[    1.234567] with caller id; and a semicolon"},
		{"6,5,7,-;", "[    0.000007] "},
		{`6,6,8,-;escaped \x0a newline`, `[    0.000008] escaped \x0a newline`},
		{"no header at all", "no header at all"},
		{"6,x,notanumber,-;text", "6,x,notanumber,-;text"},
		{"6,1;short", "6,1;short"},
	}
	for _, tt := range tests {
		if got := formatRecord(tt.in); got != tt.want {
			t.Errorf("formatRecord(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

const kmsgSample = "6,1,1000,-;first\n" +
	"12,2,2500000,-;usb 1-1: new high-speed USB device\n" +
	" SUBSYSTEM=usb\n" +
	" DEVICE=c189:1\n" +
	"3,3,3000001,-;sd 2:0:0:0: [sdb] No Caching mode page found\n"

func TestFormatKmsg(t *testing.T) {
	var out bytes.Buffer
	formatKmsg(&out, []byte(kmsgSample))
	want := "[    0.001000] first\n" +
		"[    2.500000] usb 1-1: new high-speed USB device\n" +
		"[    3.000001] sd 2:0:0:0: [sdb] No Caching mode page found\n"
	if out.String() != want {
		t.Errorf("formatKmsg =\n%s\nwant\n%s", out.String(), want)
	}
}

// TestKernelLogFile reads a regular file standing in for /dev/kmsg: the
// read loop must stop at its end as it stops at EAGAIN on the device.
func TestKernelLogFile(t *testing.T) {
	dev := t.TempDir()
	// More than one read's worth, so records straddle reads.
	var in, want strings.Builder
	for i := range 2000 {
		in.WriteString(kmsgSample)
		if i == 0 {
			var b bytes.Buffer
			formatKmsg(&b, []byte(kmsgSample))
			want.WriteString(strings.Repeat(b.String(), 2000))
		}
	}
	if in.Len() <= kmsgBufSize {
		t.Fatalf("sample of %d bytes fits one read", in.Len())
	}
	if err := os.WriteFile(filepath.Join(dev, "kmsg"), []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := KernelLog(dev)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("KernelLog returned %d bytes, want %d", len(got), want.Len())
	}
	if _, err := KernelLog(t.TempDir()); err == nil || !strings.Contains(err.Error(), "kmsg") {
		t.Errorf("KernelLog without kmsg: %v", err)
	}
}
