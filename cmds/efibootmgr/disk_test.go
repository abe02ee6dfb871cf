package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gpt/gpttest"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestHardDriveFromDisk(t *testing.T) {
	img := gpttest.SgdiskESPImage(t, espUUID)
	hd, err := hardDriveFromDisk(img, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 32 MiB = 65536 sectors of 512 bytes.
	if want := "HD(1,GPT," + espUUID + ",0x800,0x10000)"; hd.String() != want {
		t.Errorf("got %s, want %s", hd, want)
	}
	hd2, err := hardDriveFromDisk(img, 2)
	if err != nil {
		t.Fatal(err)
	}
	if hd2.PartitionStart != 2048+65536 || hd2.PartitionNumber != 2 {
		t.Errorf("partition 2: %s", hd2)
	}

	tests := []struct {
		disk string
		part uint32
		want string
	}{
		{img, 3, "partition 3 not found: GPT entry 3 is unused"},
		{img, 129, "partition 129 not found: the GPT has only 128 entries"},
		{img, 0, "start at 1"},
		{filepath.Join(t.TempDir(), "nope"), 1, "no such file"},
	}
	for _, tt := range tests {
		if _, err := hardDriveFromDisk(tt.disk, tt.part); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("hardDriveFromDisk(%s, %d) = %v, want %q", filepath.Base(tt.disk), tt.part, err, tt.want)
		}
	}
}

// TestHardDriveFromDiskCorrupt: a damaged primary GPT is read from its
// backup (as firmware does); a disk with both copies damaged is refused.
func TestHardDriveFromDiskCorrupt(t *testing.T) {
	img := gpttest.SgdiskESPImage(t, espUUID)
	good, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		offs []int
		want string // "" = reads partition 1 from the backup
	}{
		{"primary header", []int{512 + 40}, ""},
		{"primary entries", []int{1024 + 128 + 40}, ""},
		{"both headers", []int{512, len(good) - 512}, "no GPT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(good)
			for _, off := range tt.offs {
				b[off] ^= 0xff
			}
			p := filepath.Join(t.TempDir(), "bad.img")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			hd, err := hardDriveFromDisk(p, 1)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("err = %v, want the backup's partition 1", err)
			case tt.want == "" && hd.String() != "HD(1,GPT,"+espUUID+",0x800,0x10000)":
				t.Errorf("got %s", hd)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestHardDriveFromDisk4K reads an image file whose GPT has 4096-byte
// blocks (sgdisk cannot make one in an image file): header at byte 4096.
func TestHardDriveFromDisk4K(t *testing.T) {
	const bs = 4096
	uuid := guid.MustParse(espUUID)
	tb, err := gpt.New(64<<20, bs)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Add(gpt.Partition{Number: 1, Type: gpt.TypeESP, GUID: uuid, FirstLBA: 256, LastLBA: 256 + 127}); err != nil {
		t.Fatal(err)
	}
	p := testdisk.TempSparse(t, "4k.img", 64<<20)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tb.Write(f); err != nil {
		t.Fatal(err)
	}
	hd, err := hardDriveFromDisk(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "HD(1,GPT," + espUUID + ",0x100,0x80)"; hd.String() != want {
		t.Errorf("got %s, want %s", hd, want)
	}
}
