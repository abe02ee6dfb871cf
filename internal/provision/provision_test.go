package provision

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/disklayout"

	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		size    int64
		ss      int
		wantErr bool
	}{
		{4 << 30, 512, false},
		{4 << 30, 4096, false},
		{disklayout.MinDiskSize, 512, false},
		{disklayout.MinDiskSize - 1, 512, true},
		{1 << 40, 512, false},
	}
	for _, tt := range tests {
		l, err := Plan(tt.size, tt.ss, 0, []byte("seed"))
		if (err != nil) != tt.wantErr {
			t.Errorf("Plan(%d, %d) err = %v", tt.size, tt.ss, err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "too small") {
				t.Errorf("error %q does not say the disk is too small", err)
			}
			continue
		}
		if l.Offset(l.ESP) != 1<<20 || l.Size(l.ESP) != disklayout.ESPSize {
			t.Errorf("ESP at %d size %d, want 1 MiB and 512 MiB", l.Offset(l.ESP), l.Size(l.ESP))
		}
		if l.Offset(l.Data) != l.Offset(l.ESP)+disklayout.ESPSize || l.Size(l.Data)%(1<<20) != 0 || l.Offset(l.Data)+l.Size(l.Data) > tt.size-(1<<20)+1 {
			t.Errorf("data partition at %d size %d on a %d-byte disk", l.Offset(l.Data), l.Size(l.Data), tt.size)
		}
	}
	a, _ := Plan(4<<30, 512, 0, []byte("one"))
	b, _ := Plan(4<<30, 512, 0, []byte("two"))
	if a.ESP.GUID == b.ESP.GUID || a.DiskGUID == b.DiskGUID {
		t.Error("different seeds gave the same GUIDs")
	}
}

func TestPlanDataSize(t *testing.T) {
	const mib, gib = 1 << 20, 1 << 30
	// dataFirst is right after the ESP; restLast is where dataSize 0 ends:
	// the last 1 MiB boundary before the backup GPT (pinned here so that
	// "the rest of the disk" keeps today's layout byte for byte).
	tests := []struct {
		name          string
		disk          int64
		ss            int
		dataSize      int64
		first, last   uint64 // data partition LBAs when accepted
		wantErr       string // substring; "" for success
		wantDataError bool   // the error is a *DataSizeError
	}{
		{"rest 8 GB", 8e9, 512, 0, 1050624, 15624191, "", false},
		{"rest 4 GiB", 4 * gib, 512, 0, 1050624, 8386559, "", false},
		{"rest 4 GiB 4Kn", 4 * gib, 4096, 0, 131328, 1048319, "", false},
		{"2 GiB", 8e9, 512, 2 * gib, 1050624, 1050624 + 2*gib/512 - 1, "", false},
		{"2 GiB 4Kn", 4 * gib, 4096, 2 * gib, 131328, 131328 + 2*gib/4096 - 1, "", false},
		{"rounded up to 1 MiB", 8e9, 512, 2*gib + 1, 1050624, 1050624 + (2*gib+mib)/512 - 1, "", false},
		{"just under the minimum rounds up to it", 8e9, 512, disklayout.MinDataSize - mib + 1, 1050624, 1050624 + disklayout.MinDataSize/512 - 1, "", false},
		{"minimum", 8e9, 512, disklayout.MinDataSize, 1050624, 1050624 + disklayout.MinDataSize/512 - 1, "", false},
		{"maximum is the rest", 8e9, 512, 7116 * mib, 1050624, 15624191, "", false},
		{"below minimum", 8e9, 512, disklayout.MinDataSize - mib, 0, 0, "data partition of 255 MiB is too small: at least 256 MiB", true},
		{"one byte", 8e9, 512, 1, 0, 0, "too small: at least 256 MiB", true},
		{"one MiB over", 8e9, 512, 7117 * mib, 0, 0, "at most 6.9 GiB (7116 MiB)", true},
		{"one byte over", 8e9, 512, 7116*mib + 1, 0, 0, "does not fit", true},
		{"20 GiB on 8 GB", 8e9, 512, 20 * gib, 0, 0,
			"provision: data partition of 20 GiB does not fit on a disk of 7.4 GiB: at most 6.9 GiB (7116 MiB); choose a smaller size or the rest of the disk", true},
		{"no overflow", 8e9, 512, math.MaxInt64, 0, 0, "does not fit", true},
		{"negative", 8e9, 512, -1, 0, 0, "negative data partition size", false},
		{"disk too small", disklayout.MinDiskSize - 1, 512, disklayout.MinDataSize, 0, 0, "too small: Plinth needs at least", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Plan(tt.disk, tt.ss, tt.dataSize, []byte("seed"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				var de *DataSizeError
				if errors.As(err, &de) != tt.wantDataError {
					t.Errorf("error %v: *DataSizeError %v, want %v", err, !tt.wantDataError, tt.wantDataError)
				}
				if tt.wantDataError {
					if m, _ := MaxDataSize(tt.disk, tt.ss); de.Max != m || de.Size != tt.dataSize || de.DiskSize != tt.disk {
						t.Errorf("DataSizeError %+v, want max %d", de, m)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Data.FirstLBA != tt.first || l.Data.LastLBA != tt.last {
				t.Errorf("data LBAs %d-%d, want %d-%d", l.Data.FirstLBA, l.Data.LastLBA, tt.first, tt.last)
			}
			if l.Offset(l.Data) != l.Offset(l.ESP)+disklayout.ESPSize || l.Size(l.Data)%mib != 0 {
				t.Errorf("data at %d size %d: not right after the ESP or not whole MiB", l.Offset(l.Data), l.Size(l.Data))
			}
		})
	}
}

func TestMaxDataSize(t *testing.T) {
	tests := []struct {
		disk    int64
		ss      int
		want    int64
		wantErr bool
	}{
		{8e9, 512, 7116 << 20, false},
		{4 << 30, 4096, 3582 << 20, false},
		{disklayout.MinDiskSize, 512, disklayout.MinDataSize, false},
		{disklayout.MinDiskSize - 1, 512, 0, true},
		{4 << 30, 1000, 0, true},
	}
	for _, tt := range tests {
		got, err := MaxDataSize(tt.disk, tt.ss)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("MaxDataSize(%d, %d) = %d, %v; want %d, error %v", tt.disk, tt.ss, got, err, tt.want, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		l, err := Plan(tt.disk, tt.ss, 0, nil)
		if err != nil || l.Size(l.Data) != got {
			t.Errorf("MaxDataSize(%d, %d) = %d, but Plan with 0 gives %d (%v)", tt.disk, tt.ss, got, l.Size(l.Data), err)
		}
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{256 << 20, "256 MiB"},
		{7116 << 20, "6.9 GiB"}, // 6.949: rounded down, never up
		{8e9, "7.4 GiB"},        // 7.45
		{20 << 30, "20 GiB"},
		{3<<40 + 1<<39, "3.5 TiB"},
		{math.MaxInt64, "8388607.9 TiB"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.n); got != tt.want {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func testConfig(l Layout) *appconfig.Config {
	return Config(appconfig.Config{
		Product: "Plinth", Version: "1.2.3",
		Network: appconfig.Network{Mode: appconfig.ModeDHCP},
	}, l, appconfig.Identity{DiskSerial: "S1"})
}

// extract copies a partition to its own sparse file for the fsck tools.
func extract(t *testing.T, img string, off, size int64) string {
	t.Helper()
	src, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), "part.img")
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.Truncate(size)
	buf := make([]byte, 1<<20)
	zero := make([]byte, 1<<20)
	r := io.NewSectionReader(src, off, size)
	for pos := int64(0); pos < size; pos += int64(len(buf)) {
		n, err := r.ReadAt(buf, pos)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			dst.WriteAt(buf[:n], pos)
		}
		if err != nil {
			break
		}
	}
	return out
}

func TestWriteDisk(t *testing.T) {
	sgdisk, mtype := testdisk.Tool(t, "sgdisk"), testdisk.Tool(t, "mtype")
	uki := bytes.Repeat([]byte("runtime uki "), 100000)
	var sums [2][32]byte
	for i := range sums {
		img := testdisk.TempSparse(t, "disk.img", 2<<30)
		f, err := os.OpenFile(img, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		l, err := Plan(2<<30, 512, 0, []byte("disk image"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(l)
		if err := Write(f, l, Content{RuntimeUKI: uki, LoaderPath: `\EFI\plinth\plinth.efi`, Config: cfg, ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if out := testdisk.Run(t, sgdisk, "-v", img); !strings.Contains(out, "No problems found") {
			t.Fatalf("sgdisk -v:\n%s", out)
		}
		out := testdisk.Run(t, sgdisk, "-p", img)
		if !strings.Contains(out, "EF00") || !strings.Contains(out, disklayout.DataName) {
			t.Errorf("sgdisk -p:\n%s", out)
		}
		esp := extract(t, img, l.Offset(l.ESP), l.Size(l.ESP))
		testdisk.Run(t, testdisk.Tool(t, "fsck.fat"), "-n", esp)
		for _, p := range []string{"::EFI/plinth/plinth.efi", "::EFI/BOOT/BOOTX64.EFI"} {
			got, err := exec.Command(mtype, "-i", esp, p).Output()
			if err != nil || !bytes.Equal(got, uki) {
				t.Errorf("%s does not hold the UKI (%v)", p, err)
			}
		}
		got, err := exec.Command(mtype, "-i", esp, "::EFI/plinth/plinth.json").Output()
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := appconfig.Parse(got)
		if err != nil || parsed.Data.PartUUID != l.Data.GUID {
			t.Errorf("config on the ESP: %v, %+v", err, parsed)
		}
		data := extract(t, img, l.Offset(l.Data), l.Size(l.Data))
		testdisk.Run(t, testdisk.Tool(t, "e2fsck"), "-fn", data)
		sums[i] = testdisk.SHA256(t, img)
	}
	if sums[0] != sums[1] {
		t.Error("two writes of the same disk differ")
	}
}

// TestWriteSizedDisk writes a layout whose data partition leaves free
// space at the end and checks it with sgdisk and e2fsck.
func TestWriteSizedDisk(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	const disk, data = 4 << 30, 1 << 30
	img := testdisk.TempSparse(t, "disk.img", disk)
	l, err := Plan(disk, 512, data, []byte("sized"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = Write(f, l, Content{RuntimeUKI: []byte("uki"), LoaderPath: "EFI/plinth/plinth.efi", Config: testConfig(l)})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if out := testdisk.Run(t, sgdisk, "-v", img); !strings.Contains(out, "No problems found") {
		t.Fatalf("sgdisk -v:\n%s", out)
	}
	info := testdisk.Run(t, sgdisk, "-i", "2", img)
	wantLast := fmt.Sprintf("Last sector: %d ", 1050624+data/512-1)
	if !strings.Contains(info, "First sector: 1050624 ") || !strings.Contains(info, wantLast) || !strings.Contains(info, "1024.0 MiB") {
		t.Errorf("sgdisk -i 2: want first sector 1050624, %q, 1024.0 MiB:\n%s", wantLast, info)
	}
	// Free: sectors 34-2047 before the ESP, as on every layout, and all
	// after the data partition (last 3147775) up to the last usable
	// sector 8388574: 2014 + 5240799.
	wantFree := "Total free space is 5242813 sectors"
	if p := testdisk.Run(t, sgdisk, "-p", img); !strings.Contains(p, wantFree) {
		t.Errorf("sgdisk -p: want %q:\n%s", wantFree, p)
	}
	part := extract(t, img, l.Offset(l.Data), l.Size(l.Data))
	testdisk.Run(t, testdisk.Tool(t, "e2fsck"), "-fn", part)
}

func TestWriteRejects(t *testing.T) {
	l, _ := Plan(2<<30, 512, 0, nil)
	cfg := testConfig(l)
	bad := *cfg
	bad.Hostname = "not a hostname!"
	tests := []struct {
		name string
		c    Content
	}{
		{"no uki", Content{LoaderPath: "EFI/plinth/plinth.efi", Config: cfg}},
		{"no config", Content{RuntimeUKI: []byte("x"), LoaderPath: "EFI/plinth/plinth.efi"}},
		{"fallback loader", Content{RuntimeUKI: []byte("x"), LoaderPath: disklayout.FallbackPath, Config: cfg}},
		{"bad config", Content{RuntimeUKI: []byte("x"), LoaderPath: "EFI/plinth/plinth.efi", Config: &bad}},
	}
	for _, tt := range tests {
		w := &countingWriter{}
		if err := Write(w, l, tt.c); err == nil {
			t.Errorf("%s: Write succeeded", tt.name)
		}
		if w.n != 0 {
			t.Errorf("%s: %d bytes written for rejected input", tt.name, w.n)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) WriteAt(p []byte, off int64) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestWriteImage writes an image into an empty file: the file gets the
// image's size, sgdisk and fsck.fat find nothing wrong, and the ESP has
// the UKI in slot A, committed with its version, size and digest.
func TestWriteImage(t *testing.T) {
	mtype := testdisk.Tool(t, "mtype")
	const size = 2 << 30
	uki := bytes.Repeat([]byte("runtime uki "), 1000)
	img := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	l, err := WriteImage(f, Image{Size: size, Seed: []byte("image"), RuntimeUKI: uki, ModTime: time.Unix(1700000000, 0),
		Base: appconfig.Config{Product: "Probe", Version: "4.2", Network: appconfig.Network{Mode: appconfig.ModeDHCP}}})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(img); err != nil || st.Size() != size {
		t.Fatalf("image is %v bytes (%v), want %d", st.Size(), err, size)
	}
	if out := testdisk.Run(t, testdisk.Tool(t, "sgdisk"), "-v", img); !strings.Contains(out, "No problems found") {
		t.Fatalf("sgdisk -v:\n%s", out)
	}
	esp := extract(t, img, l.Offset(l.ESP), l.Size(l.ESP))
	testdisk.Run(t, testdisk.Tool(t, "fsck.fat"), "-n", esp)
	if got, err := exec.Command(mtype, "-i", esp, "::"+abslot.A.Path()).Output(); err != nil || !bytes.Equal(got, uki) {
		t.Errorf("%s does not hold the UKI (%v)", abslot.A.Path(), err)
	}
	b, err := exec.Command(mtype, "-i", esp, "::"+abslot.StatePath).Output()
	if err != nil {
		t.Fatal(err)
	}
	st, err := abslot.ParseState(b)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(uki)
	if st.Committed != abslot.A || st.A.Version != "4.2" || st.A.Size != int64(len(uki)) || st.A.SHA256 != hex.EncodeToString(sum[:]) || st.Trial != nil {
		t.Errorf("slot state %+v: want A committed with version 4.2 and the UKI's size and digest", st)
	}
}

// memDisk is a disk in memory that says which ranges were written.
type memDisk struct{ b []byte }

func (m *memDisk) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }

// TestFormattedHook: Formatted sees each partition once, in order, with
// its filesystem already written and the table not yet; its error stops
// the write before the table.
func TestFormattedHook(t *testing.T) {
	const size = 2 << 30
	l, err := Plan(size, 512, 0, []byte("hook"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		failOn    int // partition number whose hook fails; 0: none
		wantCalls []int
		wantTable bool
	}{
		{"all", 0, []int{1, 2}, true},
		{"esp fails", 1, []int{1}, false},
		{"data fails", 2, []int{1, 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := l.Disk(Content{RuntimeUKI: []byte("uki"), LoaderPath: "EFI/plinth/plinth.efi", Config: testConfig(l)})
			if err != nil {
				t.Fatal(err)
			}
			m := &memDisk{b: make([]byte, size)}
			var calls []int
			d.Formatted = func(p Part) error {
				calls = append(calls, p.Number)
				off := int64(p.FirstLBA) * 512
				if p.Filesystem == VFAT && string(m.b[off+82:off+90]) != "FAT32   " {
					t.Errorf("partition %d: no FAT32 boot sector when Formatted is called", p.Number)
				}
				if p.Filesystem == Ext4 && m.b[off+1024+56] != 0x53 {
					t.Errorf("partition %d: no ext4 superblock when Formatted is called", p.Number)
				}
				if string(m.b[512:520]) == "EFI PART" {
					t.Errorf("partition %d: the table is written before Formatted is called", p.Number)
				}
				if p.Number == tt.failOn {
					return errors.New("flush failed")
				}
				return nil
			}
			err = WriteDisk(m, d)
			if (err == nil) != (tt.failOn == 0) || err != nil && !strings.Contains(err.Error(), "flush failed") {
				t.Errorf("WriteDisk: %v", err)
			}
			if fmt.Sprint(calls) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("Formatted called for %v, want %v", calls, tt.wantCalls)
			}
			if got := string(m.b[512:520]) == "EFI PART"; got != tt.wantTable {
				t.Errorf("table written: %v, want %v", got, tt.wantTable)
			}
		})
	}
}
