package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
)

func image(size int, edits ...func(b []byte)) []byte {
	b := make([]byte, size)
	for _, e := range edits {
		e(b)
	}
	return b
}

func put(off int, s string) func([]byte) { return func(b []byte) { copy(b[off:], s) } }

func bootMark(b []byte) { b[510], b[511] = 0x55, 0xAA }

// mbrEntryAt fills primary entry i.
func mbrEntryAt(i int, boot, typ byte, start, size uint32) func([]byte) {
	return func(b []byte) {
		e := b[446+16*i:]
		e[0], e[4] = boot, typ
		binary.LittleEndian.PutUint32(e[8:], start)
		binary.LittleEndian.PutUint32(e[12:], size)
	}
}

// TestStrayMagic checks that a magic number alone, without the structure
// around it that the format requires, is not taken for the real thing:
// file data can hold any bytes.
func TestStrayMagic(t *testing.T) {
	const mib = 1 << 20
	for name, img := range map[string][]byte{
		"GPT header without CRC":     image(mib, mbrEntryAt(0, 0, 0xEE, 1, mib/512-1), bootMark, put(512, "EFI PART")),
		"4K GPT header without CRC":  image(mib, put(4096, "EFI PART")),
		"ext magic alone":            image(mib, put(0x438, "\x53\xEF")),
		"XFS magic alone":            image(mib, put(0, "XFSB")),
		"btrfs magic, wrong bytenr":  image(mib, put(0x10040, "_BHRfS_M")),
		"NTFS name, no MFT":          image(mib, put(3, "NTFS    "), bootMark),
		"FAT32 name, no BPB":         image(mib, put(0x52, "FAT32   "), bootMark),
		"exFAT name alone":           image(mib, put(0, "\xEB\x76\x90EXFAT   "), bootMark),
		"CD001 without root":         image(mib, put(0x8000, "\x01CD001\x01")),
		"LUKS magic, version 0":      image(mib, put(0, "LUKS\xBA\xBE")),
		"LVM label, bad CRC":         image(mib, put(512, "LABELONE\x01"), put(512+24, "LVM2 001")),
		"swap magic, no version":     image(mib, put(4086, "SWAPSPACE2")),
		"md 1.2 magic, bad checksum": image(mib, put(4096, "\xFC\x4E\x2B\xA9\x01\x00\x00\x00"), put(4096+144, "\x08")),
		"bcache magic, bad checksum": image(mib, put(4096+8, "\x08"), put(4096+24, bcacheMagic)),
		"squashfs 3":                 image(mib, put(0, "hsqs"), put(28, "\x03")),
		"boot mark alone":            image(mib, bootMark),
	} {
		if found, err := Probe(bytes.NewReader(img), int64(len(img))); err != nil || len(found) != 0 {
			t.Errorf("%s: found %+v, %v", name, found, err)
		}
	}
}

// TestDOS checks the rules that tell an MBR partition table from other
// sectors ending in 0x55AA.
func TestDOS(t *testing.T) {
	const size = 1 << 20
	for _, tc := range []struct {
		name string
		img  []byte
		want []Finding
	}{
		{"protective MBR, no GPT", image(size, mbrEntryAt(0, 0, 0xEE, 1, size/512-1), bootMark), nil},
		{"hybrid MBR, no GPT", image(size, mbrEntryAt(0, 0, 0xEE, 1, 100), mbrEntryAt(1, 0x80, 0x0C, 2048, 100), bootMark), nil},
		{"bad boot indicator", image(size, mbrEntryAt(0, 0x12, 0x83, 2048, 100), bootMark), nil},
		{"type without size", image(size, mbrEntryAt(0, 0, 0x83, 2048, 0), bootMark), nil},
		{"no 0x55AA", image(size, mbrEntryAt(0, 0x80, 0x83, 2048, 100)), nil},
		{"AIX IPL record", image(size, put(0, aixMagic), mbrEntryAt(0, 0, 0x83, 2048, 100), bootMark), nil},
		{"one partition", image(size, put(440, "\x78\x56\x34\x12"), mbrEntryAt(2, 0x80, 0x83, 2048, 100), bootMark),
			[]Finding{{Kind: PartitionTable, Name: DOS, Offset: 0x1FE, UUID: "12345678"}}},
	} {
		found, err := Probe(bytes.NewReader(tc.img), int64(len(tc.img)))
		if err != nil || !reflect.DeepEqual(found, tc.want) {
			t.Errorf("%s: found %+v, %v; want %+v", tc.name, found, err, tc.want)
		}
	}
}

// failing fails every read past limit with a device error.
type failing struct {
	io.ReaderAt
	limit int64
}

var errDevice = errors.New("input/output error")

func (f failing) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.limit {
		return 0, errDevice
	}
	return f.ReaderAt.ReadAt(p, off)
}

// TestReadErrors checks that a size larger than what can be read is no
// error, while a device error is reported, with what was found anyway.
func TestReadErrors(t *testing.T) {
	img := image(1<<20, put(440, "\x01"), mbrEntryAt(0, 0, 0x83, 2048, 100), bootMark)
	if found, err := Probe(bytes.NewReader(img), 1<<40); err != nil || !reflect.DeepEqual(Names(found), []string{DOS}) {
		t.Errorf("size beyond the data: %v, %v", Names(found), err)
	}
	// Only the first sector reads: the MBR is still found.
	found, err := Probe(failing{bytes.NewReader(img), 512}, int64(len(img)))
	if !errors.Is(err, errDevice) || !reflect.DeepEqual(Names(found), []string{DOS}) {
		t.Errorf("device error past the first sector: %v, %v", Names(found), err)
	}
	if found, err := Probe(bytes.NewReader(nil), -5); err != nil || len(found) != 0 {
		t.Errorf("negative size: %v, %v", found, err)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		f    Finding
		want string
	}{
		{Finding{Kind: Filesystem, Name: Ext4}, "an ext2/3/4 filesystem (ext4)"},
		{Finding{Kind: PartitionTable, Name: GPT}, "a GPT partition table"},
		{Finding{Kind: PartitionTable, Name: GPT, Backup: true}, "a GPT partition table (backup header only)"},
		{Finding{Kind: PartitionTable, Name: DOS}, "an MBR partition table"},
		{Finding{Kind: Filesystem, Name: ISO9660}, "an ISO 9660 filesystem"},
		{Finding{Kind: Filesystem, Name: VFAT}, "a FAT filesystem"},
		{Finding{Kind: Filesystem, Name: Btrfs}, "a btrfs filesystem"},
		{Finding{Kind: Filesystem, Name: XFS}, "an XFS filesystem"},
		{Finding{Kind: Crypto, Name: LUKS}, "a LUKS volume"},
		{Finding{Kind: RAID, Name: LinuxRAID}, "a Linux md RAID member"},
		{Finding{Kind: Swap, Name: SwapArea}, "a swap area"},
		{Finding{Kind: Filesystem, Name: SquashFS}, "a squashfs filesystem"},
	} {
		if got := tc.f.Describe(); got != tc.want {
			t.Errorf("%s: Describe() = %q, want %q", tc.f.Name, got, tc.want)
		}
	}
}

// TestCRC64WE checks the bcache checksum against the catalogued check
// value of CRC-64/WE.
func TestCRC64WE(t *testing.T) {
	if got := crc64WE([]byte("123456789")); got != 0x62EC59E3F1A4F00A {
		t.Errorf("crc64WE = %#x", got)
	}
}

func TestStrings(t *testing.T) {
	if got := uuidString(make([]byte, 16)); got != "" {
		t.Errorf("zero UUID: %q", got)
	}
	if got := utf16String([]byte("a\x00b\x00\x00\x00c\x00"), binary.LittleEndian); got != "ab" {
		t.Errorf("utf16String: %q", got)
	}
	if got := paddedString([]byte("LABEL   \x00junk")); got != "LABEL" {
		t.Errorf("paddedString: %q", got)
	}
}

// cyclic is an endless disk repeating data, so that small fuzz inputs
// reach every offset Probe looks at.
type cyclic []byte

func (c cyclic) ReadAt(p []byte, off int64) (int, error) {
	if len(c) == 0 {
		return 0, io.EOF
	}
	for n := 0; n < len(p); {
		n += copy(p[n:], c[(off+int64(n))%int64(len(c)):])
	}
	return len(p), nil
}

func FuzzProbe(f *testing.F) {
	b := make([]byte, 1024)
	copy(b[512:], "EFI PART")
	b[510], b[511] = 0x55, 0xAA
	f.Add(b, int64(1<<20))
	f.Add([]byte{0xEB, 0x3C, 0x90}, int64(1<<40))
	f.Add([]byte("CD001"), int64(-1))
	f.Add([]byte("NTFS    \xF0"), int64(1<<30))
	f.Fuzz(func(t *testing.T, data []byte, size int64) {
		// size may lie about the reader: Probe must cope.
		_, _ = Probe(bytes.NewReader(data), size)
		_, _ = Probe(bytes.NewReader(data), int64(len(data)))
		_, _ = Probe(cyclic(data), min(size, 1<<34))
	})
}
