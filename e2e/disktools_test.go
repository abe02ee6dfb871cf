//go:build e2e

package e2e

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestDiskToolsInVM partitions and formats a real block device from
// inside a booted image with our gptpart, mkfs-vfat and mkfs-ext4, has
// the kernel mount both filesystems and write to them, then checks the
// disk on the host with sgdisk, fsck.fat, e2fsck, mtools and debugfs.
// It runs on a 512-byte-sector and a 4Kn disk.
func TestDiskToolsInVM(t *testing.T) {
	for _, sector := range []int{512, 4096} {
		t.Run(strconv.Itoa(sector), func(t *testing.T) {
			dir := machineDir(t)
			disk := filepath.Join(dir, "disk.img")
			f, err := os.Create(disk)
			if err != nil {
				t.Fatal(err)
			}
			f.Truncate(2 << 30)
			f.Close()
			steps := [][]string{
				{"/bbin/gptpart", "-o", "-n", "1:0:+100M", "-t", "1:EF00", "-c", "1:ESP", "-n", "2:0:0", "-t", "2:8300", "-c", "2:data", "/dev/vdb"},
				{"/bbin/ls", "/dev/vdb1", "/dev/vdb2"},
				{"/bbin/mkfs-vfat", "-n", "PLINTHESP", "/dev/vdb1"},
				{"/bbin/mkfs-ext4", "-L", "plinth-data", "/dev/vdb2"},
				{"/bbin/mkdir", "-p", "/tmp/esp", "/tmp/data"},
				{"/bbin/mount", "-t", "vfat", "/dev/vdb1", "/tmp/esp"},
				{"/bbin/mount", "-t", "ext4", "/dev/vdb2", "/tmp/data"},
				{"/bbin/cp", "/etc/plinth/e2e-steps.json", "/tmp/esp/steps.json"},
				{"/bbin/cp", "/etc/plinth/e2e-steps.json", "/tmp/data/steps.json"},
				{"/bbin/umount", "/tmp/esp"},
				{"/bbin/umount", "/tmp/data"},
			}
			runner := testUKI(t, steps, "poweroff")
			boot := fatImage(t, dir, "boot.img", 64<<20, map[string][]byte{"EFI/BOOT/BOOTX64.EFI": runner})
			m, err := startMachine(t, qemu.Config{Dir: dir, NoReboot: true, Drives: []qemu.Drive{
				{Kind: qemu.Virtio, File: boot, BootIndex: 1},
				{Kind: qemu.Virtio, File: disk, SectorSize: sector},
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Stop()
			waitEvent(t, m, "e2e-done", *bootLimit)
			for _, ev := range m.Events() {
				if ev["event"] == "e2e-step" && ev["exit"].(float64) != 0 {
					t.Fatalf("step %v failed (exit %v): %v", ev["argv"], ev["exit"], ev["output"])
				}
			}
			m.Stop()

			args := []string{"-v", disk}
			if sector == 4096 {
				// sgdisk reads a file as 512-byte sectors unless a loop device says otherwise.
				loop := testdisk.AttachLoop(t, disk, testdisk.LoopOptions{SectorSize: 4096, ReadOnly: true})
				args = []string{"-v", loop.Dev}
			}
			if out := run(t, "sgdisk", args...); !regexp.MustCompile(`No problems found`).MatchString(out) {
				t.Fatalf("sgdisk -v:\n%s", out)
			}
			p := run(t, "sgdisk", "-p", args[1])
			parts := regexp.MustCompile(`(?m)^\s+(\d)\s+(\d+)\s+(\d+)\s`).FindAllStringSubmatch(p, -1)
			if len(parts) != 2 {
				t.Fatalf("want 2 partitions:\n%s", p)
			}
			extract := func(i int) string {
				start, _ := strconv.ParseInt(parts[i][2], 10, 64)
				end, _ := strconv.ParseInt(parts[i][3], 10, 64)
				out := filepath.Join(dir, "part"+parts[i][1]+".img")
				src, _ := os.Open(disk)
				defer src.Close()
				dst, _ := os.Create(out)
				defer dst.Close()
				ss := int64(sector)
				if _, err := io.Copy(dst, io.NewSectionReader(src, start*ss, (end-start+1)*ss)); err != nil {
					t.Fatal(err)
				}
				return out
			}
			esp, data := extract(0), extract(1)
			run(t, "fsck.fat", "-n", esp)
			run(t, "e2fsck", "-fn", data)
			if out := run(t, "mlabel", "-s", "-i", esp, "::"); !regexp.MustCompile(`PLINTHESP`).MatchString(out) {
				t.Errorf("FAT label: %s", out)
			}
			run(t, "mcopy", "-i", esp, "::steps.json", filepath.Join(dir, "from-esp.json"))
			run(t, "debugfs", "-R", "dump /steps.json "+filepath.Join(dir, "from-data.json"), data)
			a, _ := os.ReadFile(filepath.Join(dir, "from-esp.json"))
			b, _ := os.ReadFile(filepath.Join(dir, "from-data.json"))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Errorf("files written by the kernel differ or are empty: %q vs %q", a, b)
			}
		})
	}
}
