package vfat

import (
	"bytes"
	"testing"
	"testing/fstest"

	"github.com/plinth-os/plinth/internal/blockdev"
)

// SameContent compares a file, a chunk at a time, with the bytes
// expected: through the caller's buffer or its own, a difference in any
// chunk or in the size is a difference; a directory or a name that is
// not there is an error.
func TestSameContent(t *testing.T) {
	content := bytes.Repeat([]byte("plinth "), 400000) // 2.7 MiB: three of its own chunks
	size := 40 * mib
	img := blockdev.NewMem(size, 0)
	tree := fstest.MapFS{"EFI/BOOT/BOOTX64.EFI": {Data: content}}
	if err := Format(img, 0, size, Options{Source: tree}); err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(img, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	changed := func(at int) []byte {
		b := bytes.Clone(content)
		b[at] ^= 1
		return b
	}
	const path = "EFI/BOOT/BOOTX64.EFI"
	tests := []struct {
		name    string
		path    string
		want    []byte
		buf     []byte
		same    bool
		wantErr bool
	}{
		{"the same", path, content, nil, true, false},
		{"the same, a small buffer", path, content, make([]byte, 4096), true, false},
		{"last byte", path, changed(len(content) - 1), nil, false, false},
		{"a chunk boundary", path, changed(sameChunk), nil, false, false},
		{"in the caller's chunk", path, changed(5000), make([]byte, 4096), false, false},
		{"shorter on the disk", path, append(bytes.Clone(content), 'x'), nil, false, false},
		{"longer on the disk", path, content[:len(content)-1], nil, false, false},
		{"a directory", "EFI/BOOT", content, nil, false, true},
		{"no such file", "EFI/none.efi", content, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same, err := fsys.SameContent(tt.path, tt.want, tt.buf)
			if same != tt.same || (err != nil) != tt.wantErr {
				t.Errorf("SameContent = %v, %v; want %v, error %v", same, err, tt.same, tt.wantErr)
			}
		})
	}
}
