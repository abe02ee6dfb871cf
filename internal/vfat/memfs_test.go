package vfat

import (
	"bytes"
	"io"
	"testing"
	"testing/fstest"
)

// TestMemFS checks that a MemFS behaves as an fs.FS and
// serves its files for writing without a copy (io.WriterTo).
func TestMemFS(t *testing.T) {
	m := MemFS{fstest.MapFS{
		"EFI/BOOT/BOOTX64.EFI":   {Data: []byte("uki"), Mode: 0o644},
		"EFI/plinth/plinth.json": {Data: []byte("{}"), Mode: 0o644},
	}}
	if err := fstest.TestFS(m, "EFI/BOOT/BOOTX64.EFI", "EFI/plinth/plinth.json"); err != nil {
		t.Fatal(err)
	}
	f, err := m.Open("EFI/BOOT/BOOTX64.EFI")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wt, ok := f.(io.WriterTo)
	if !ok {
		t.Fatalf("%T does not implement io.WriterTo", f)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil || b.String() != "uki" {
		t.Errorf("WriteTo wrote %q, %v", b.String(), err)
	}
}
