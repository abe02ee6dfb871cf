package sparse

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCopy compares Copy with a plain read of files with holes at the
// start, in the middle and at the end, and of files with none.
func TestCopy(t *testing.T) {
	tests := []struct {
		name   string
		size   int64
		writes map[int64]string
	}{
		{"empty", 0, nil},
		{"all hole", 8 << 20, nil},
		{"data only", 5000, map[int64]string{0: string(bytes.Repeat([]byte("x"), 5000))}},
		{"hole, data, hole", 16 << 20, map[int64]string{5 << 20: "middle"}},
		{"data at both ends", 9 << 20, map[int64]string{0: "start", 9<<20 - 3: "end"}},
		{"unaligned extents", 3<<20 + 17, map[int64]string{4095: "a", 1<<20 + 1: "b", 3 << 20: "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(tt.size); err != nil {
				t.Fatal(err)
			}
			for off, s := range tt.writes {
				if _, err := f.WriteAt([]byte(s), off); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			n, err := Copy(&got, f)
			if err != nil || n != int64(len(want)) || !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("Copy = %d bytes, %v; equal to a plain read: %v", n, err, bytes.Equal(got.Bytes(), want))
			}
		})
	}
}

// BenchmarkHash4GiB hashes a 4 GiB file that is all holes but 1 MiB, as
// mkiso's SHA256SUMS step does for the disk image; compare with
// BenchmarkHash4GiBRead, which reads it.
func BenchmarkHash4GiB(b *testing.B) { benchHash(b, Copy) }
func BenchmarkHash4GiBRead(b *testing.B) {
	benchHash(b, func(w io.Writer, f *os.File) (int64, error) { return io.Copy(w, f) })
}

func benchHash(b *testing.B, copyFn func(io.Writer, *os.File) (int64, error)) {
	p := filepath.Join(b.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(4 << 30); err != nil {
		b.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{1}, 1<<20), 1<<30); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 << 30)
	for b.Loop() {
		if _, err := f.Seek(0, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := copyFn(sha256.New(), f); err != nil {
			b.Fatal(err)
		}
	}
}
