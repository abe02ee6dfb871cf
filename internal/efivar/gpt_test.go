package efivar

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

const espUUID = "6a1f0c3e-5b7d-4e2a-9c11-0123456789ab"

// sgdiskImage makes a 64 MiB GPT disk image with sgdisk: partition 1 is a
// 32 MiB ESP at LBA 2048 with PARTUUID espUUID, partition 2 the rest.
func sgdiskImage(t *testing.T) string {
	t.Helper()
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	testdisk.Run(t, testdisk.Tool(t, "sgdisk", "gdisk"), "-o",
		"-n", "1:2048:+32M", "-t", "1:ef00", "-u", "1:"+espUUID,
		"-n", "2:0:0", "-t", "2:8300", img)
	return img
}

func TestHardDriveFromDisk(t *testing.T) {
	img := sgdiskImage(t)
	hd, err := HardDriveFromDisk(img, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 32 MiB = 65536 sectors of 512 bytes.
	if want := "HD(1,GPT," + espUUID + ",0x800,0x10000)"; hd.String() != want {
		t.Errorf("got %s, want %s", hd, want)
	}
	hd2, err := HardDriveFromDisk(img, 2)
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
		if _, err := HardDriveFromDisk(tt.disk, tt.part); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("HardDriveFromDisk(%s, %d) = %v, want %q", filepath.Base(tt.disk), tt.part, err, tt.want)
		}
	}
}

func TestHardDriveFromDiskCorrupt(t *testing.T) {
	img := sgdiskImage(t)
	good, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	good = good[:64<<10] // the primary GPT is all we read
	tests := []struct {
		name string
		off  int
		want string
	}{
		{"no GPT", 512, "no GPT found"},               // the "E" of EFI PART
		{"header", 512 + 40, "header corrupt"},        // FirstUsableLBA
		{"entries", 1024 + 128 + 40, "table corrupt"}, // partition 2 LastLBA
		{"header size", 512 + 13, "header size"},      // HeaderSize
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(good)
			b[tt.off] ^= 0xff
			p := filepath.Join(t.TempDir(), "bad.img")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := HardDriveFromDisk(p, 1); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestHardDriveFromDisk4K builds a GPT with 4096-byte blocks by hand
// (sgdisk cannot make one in an image file): header at LBA 1 = byte 4096,
// entries at LBA 2.
func TestHardDriveFromDisk4K(t *testing.T) {
	const bs = 4096
	uuid, _ := ParseGUID(espUUID)
	esp, _ := ParseGUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
	entries := make([]byte, 128*128)
	copy(entries[0:], esp[:])
	copy(entries[16:], uuid[:])
	binary.LittleEndian.PutUint64(entries[32:], 256)     // FirstLBA
	binary.LittleEndian.PutUint64(entries[40:], 256+127) // LastLBA
	hdr := make([]byte, 92)
	copy(hdr, "EFI PART")
	binary.LittleEndian.PutUint32(hdr[8:], 0x00010000)
	binary.LittleEndian.PutUint32(hdr[12:], 92)
	binary.LittleEndian.PutUint64(hdr[24:], 1)
	binary.LittleEndian.PutUint64(hdr[72:], 2) // PartitionEntryLBA
	binary.LittleEndian.PutUint32(hdr[80:], 128)
	binary.LittleEndian.PutUint32(hdr[84:], 128)
	binary.LittleEndian.PutUint32(hdr[88:], crc32.ChecksumIEEE(entries))
	binary.LittleEndian.PutUint32(hdr[16:], crc32.ChecksumIEEE(hdr))
	disk := make([]byte, 2*bs+len(entries))
	copy(disk[bs:], hdr)
	copy(disk[2*bs:], entries)

	hd, err := hardDriveFromGPT(bytes.NewReader(disk), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "HD(1,GPT," + espUUID + ",0x100,0x80)"; hd.String() != want {
		t.Errorf("got %s, want %s", hd, want)
	}
}
