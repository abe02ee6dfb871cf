package ext4

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// memWriter is an in-memory io.WriterAt of fixed size.
type memWriter struct{ b []byte }

func (m *memWriter) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("write of %d bytes at %d beyond %d", len(p), off, len(m.b))
	}
	return copy(m.b[off:], p), nil
}

func newMem(size int) *memWriter { return &memWriter{make([]byte, size)} }

func TestFormatReproducible(t *testing.T) {
	src := t.TempDir()
	sourceTree(t, src)
	opts := Options{UUID: testUUID, Label: "repro", ModTime: testTime, Source: os.DirFS(src)}
	a, b := newMem(64<<20), newMem(64<<20)
	if err := Format(a, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if err := Format(b, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.b, b.b) {
		t.Fatal("two Format calls with the same options wrote different bytes")
	}
	opts.UUID = [16]byte{}
	c, d := newMem(64<<20), newMem(64<<20)
	if err := Format(c, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if err := Format(d, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c.b, d.b) {
		t.Fatal("without a UUID two filesystems came out identical; want random UUIDs")
	}
}

// TestFormatOffset formats at an offset inside a larger file, as inside a
// partition, and checks nothing before it is touched.
func TestFormatOffset(t *testing.T) {
	const off = 1 << 20
	m := newMem(off + 64<<20) // writes past the end fail
	copy(m.b, bytes.Repeat([]byte{0xA5}, off))
	if err := Format(m, off, 64<<20, Options{UUID: testUUID, ModTime: testTime}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.b[:off], bytes.Repeat([]byte{0xA5}, off)) {
		t.Fatal("Format wrote before its offset")
	}
	img := sparseImage(t, 64<<20)
	if err := os.WriteFile(img, m.b[off:], 0o644); err != nil {
		t.Fatal(err)
	}
	e2fsckClean(t, img)
}
