package datapart

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheckSuperblock: no panics on any superblock bytes.
func FuzzCheckSuperblock(f *testing.F) {
	img := filepath.Join(f.TempDir(), "fs.img")
	mkfs(f, img, nil)
	b, err := os.ReadFile(img)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[superblockOffset : superblockOffset+superblockSize])
	f.Add(make([]byte, superblockSize))
	f.Add([]byte{0x53, 0xef})
	f.Fuzz(func(t *testing.T, b []byte) {
		CheckSuperblock(b)
	})
}
