package mkext4

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// failWriter fails the test on any write: rejected requests write nothing.
type failWriter struct{ t *testing.T }

func (w failWriter) WriteAt(p []byte, off int64) (int, error) {
	w.t.Errorf("unexpected write of %d bytes at %d", len(p), off)
	return len(p), nil
}

func TestFormatRejects(t *testing.T) {
	fifoDir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	manyFiles := fstest.MapFS{}
	for i := range 3000 {
		manyFiles["f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('0'+i/26%10))+string(rune('A'+i/260))] = &fstest.MapFile{Data: []byte("x")}
	}
	for _, tc := range []struct {
		name string
		size int64
		opts Options
		want error
		msg  string
	}{
		{"size too small", 4 << 20, Options{}, ErrTooSmall, "below the minimum"},
		{"negative size", -1, Options{}, ErrTooSmall, "below the minimum"},
		{"label too long", 64 << 20, Options{Label: "seventeen-bytes!!"}, ErrInvalid, "longer than 16"},
		{"label with NUL", 64 << 20, Options{Label: "a\x00b"}, ErrInvalid, "NUL"},
		{"block size", 64 << 20, Options{BlockSize: 8192}, ErrInvalid, "block size 8192"},
		{"time before 1970", 64 << 20, Options{ModTime: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrInvalid, "ModTime"},
		{"fifo in source", 64 << 20, Options{Source: os.DirFS(fifoDir)}, ErrUnsupported, "pipe"},
		{"source too big", 8 << 20, Options{Source: fstest.MapFS{"big": {Data: make([]byte, 8<<20)}}}, ErrTooSmall, "big"},
		{"too many files", 8 << 20, Options{Source: manyFiles}, ErrTooSmall, "inodes"},
		{"lost+found not empty", 64 << 20, Options{Source: fstest.MapFS{"lost+found/x": {}}}, ErrUnsupported, "lost+found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.UUID = testUUID
			err := Format(failWriter{t}, 0, tc.size, tc.opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Format: %v; want an error wrapping %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
}

// TestFormatRejectLeavesFile checks a real file stays byte-identical.
func TestFormatRejectLeavesFile(t *testing.T) {
	img := garbageImage(t, 8<<20)
	before, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Format(f, 0, 8<<20, Options{Label: strings.Repeat("L", 17)}); err == nil {
		t.Fatal("Format accepted a 17-byte label")
	}
	after, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("rejected Format changed the file")
	}
}
