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
	tarTool := testdisk.Tool(t, "tar")
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
