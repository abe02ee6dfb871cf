package mkext4

import (
	"bytes"
	"os"
	"testing"

	"github.com/plinth-os/plinth/internal/blockdev"
)

func TestFormatReproducible(t *testing.T) {
	src := t.TempDir()
	sourceTree(t, src)
	opts := Options{UUID: testUUID, Label: "repro", ModTime: testTime, Source: os.DirFS(src)}
	a, b := blockdev.NewMem(64<<20, 0), blockdev.NewMem(64<<20, 0)
	if err := Format(a, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if err := Format(b, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two Format calls with the same options wrote different bytes")
	}
	opts.UUID = [16]byte{}
	c, d := blockdev.NewMem(64<<20, 0), blockdev.NewMem(64<<20, 0)
	if err := Format(c, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if err := Format(d, 0, 64<<20, opts); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c.Bytes(), d.Bytes()) {
		t.Fatal("without a UUID two filesystems came out identical; want random UUIDs")
	}
}

// TestFormatOffset formats at an offset inside a larger file, as inside a
// partition, and checks nothing before it is touched.
func TestFormatOffset(t *testing.T) {
	const off = 1 << 20
	m := blockdev.NewMem(off+64<<20, 0) // writes past the end fail
	copy(m.Bytes(), bytes.Repeat([]byte{0xA5}, off))
	if err := Format(m, off, 64<<20, Options{UUID: testUUID, ModTime: testTime}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Bytes()[:off], bytes.Repeat([]byte{0xA5}, off)) {
		t.Fatal("Format wrote before its offset")
	}
	img := sparseImage(t, 64<<20)
	if err := os.WriteFile(img, m.Bytes()[off:], 0o644); err != nil {
		t.Fatal(err)
	}
	e2fsckClean(t, img)
}
