package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

// TestRefusesExistingContents checks that without -F an image holding a
// partition table or another filesystem is refused, named, and left as
// it was; internal/probe's own tests cover what it recognises.
func TestRefusesExistingContents(t *testing.T) {
	const size = 64 << 20
	for _, tc := range []struct {
		name string
		make func(f *os.File) error
		want string
	}{
		{"GPT", func(f *os.File) error {
			tab, err := gpt.New(size, 512)
			if err != nil {
				return err
			}
			return tab.Write(f)
		}, "contains a GPT partition table: use -F"},
		{"FAT", func(f *os.File) error { return vfat.Format(f, 0, size, vfat.Options{FATType: 32}) }, "contains a FAT filesystem: use -F"},
		{"ext4", func(f *os.File) error {
			_, err := mkfs("-q", "-F", f.Name())
			return err
		}, "contains an ext2/3/4 filesystem (ext4): use -F"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := testdisk.TempSparse(t, "img", size)
			f, err := os.OpenFile(img, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.make(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			before := testdisk.SHA256(t, img)
			if _, err := mkfs(img); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("mkfs-ext4 %s: %v, want an error containing %q", filepath.Base(img), err, tc.want)
			}
			if testdisk.SHA256(t, img) != before {
				t.Error("a refused request changed the image")
			}
		})
	}
}
