package disk

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeSysfs writes files relative to root.
func fakeSysfs(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestScan(t *testing.T) {
	root := fakeSysfs(t, map[string]string{
		"block/nvme0n1/size":                     "16777216\n",
		"block/nvme0n1/device/model":             "QEMU NVMe Ctrl                          \n",
		"block/nvme0n1/device/serial":            "PLN123  \n",
		"block/nvme0n1/wwid":                     "eui.0001\n",
		"block/nvme0n1/queue/logical_block_size": "4096\n",
		"block/nvme0n1/nvme0n1p1/partition":      "1\n",
		"block/vda/size":                         "2048\n",
		"block/vda/serial":                       "virt-1\n",
		"block/vda/removable":                    "0\n",
		"block/loop0/size":                       "100\n",
		"block/sr0/size":                         "1000\n",
		"block/sr0/removable":                    "1\n",
		"block/sr0/ro":                           "1\n",
	})
	disks, err := Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(disks) != 3 {
		t.Fatalf("got %d disks (%+v), want 3 (loop0 left out)", len(disks), disks)
	}
	tests := []struct {
		i                             int
		name, model, serial, transprt string
		size                          int64
		lbs                           int
		parts                         int
		ro, removable                 bool
	}{
		{0, "nvme0n1", "QEMU NVMe Ctrl", "PLN123", "nvme", 8 << 30, 4096, 1, false, false},
		{1, "sr0", "", "", "cdrom", 512000, 512, 0, true, true},
		{2, "vda", "", "virt-1", "virtio", 1 << 20, 512, 0, false, false},
	}
	for _, tt := range tests {
		d := disks[tt.i]
		if d.Name != tt.name || d.Model != tt.model || d.Serial != tt.serial || d.Transport != tt.transprt ||
			d.Size != tt.size || d.LogicalBlockSize != tt.lbs || len(d.Partitions) != tt.parts ||
			d.ReadOnly != tt.ro || d.Removable != tt.removable {
			t.Errorf("disk %d = %+v, want %+v", tt.i, d, tt)
		}
	}
	if got, want := disks[0].Describe(), "QEMU NVMe Ctrl, 8.6 GB, serial PLN123 (nvme, nvme0n1)"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestScanMissingSysfs(t *testing.T) {
	if _, err := Scan(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("Scan of a missing sysfs succeeded")
	}
}

func TestVPDSerial(t *testing.T) {
	root := fakeSysfs(t, map[string]string{"p": "\x00\x80\x00\x05ABCDExyz"})
	if got := vpdSerial(filepath.Join(root, "p")); got != "ABCDE" {
		t.Errorf("vpdSerial = %q", got)
	}
}

func TestHasMedium(t *testing.T) {
	tests := []struct {
		d    Disk
		want bool
	}{
		{Disk{Name: "vda", Transport: "virtio", Size: 8 << 30}, true},
		{Disk{Name: "sdb", Transport: "usb", Size: 0}, false},            // card reader without a card
		{Disk{Name: "sr0", Transport: "cdrom", Size: 1073741312}, false}, // empty: 0x1fffff sectors, as QEMU's q35 shows it
		{Disk{Name: "sr0", Transport: "cdrom", Size: 15812608}, true},    // an ISO
		// A disk that is not a CD drive may well have that size.
		{Disk{Name: "sda", Transport: "sata", Size: 1073741312}, true},
	}
	for _, tt := range tests {
		if got := tt.d.HasMedium(); got != tt.want {
			t.Errorf("%s (%s, %d bytes): HasMedium = %v, want %v", tt.d.Name, tt.d.Transport, tt.d.Size, got, tt.want)
		}
	}
}
