//go:build e2e

package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/e2e/qemu"
)

// TestPlanInVM runs "installer --plan" on a real kernel with real disks:
// by default the largest disk holds a partition, so the plan is refused;
// with answers naming the smallest disk it prints the plan; neither run
// changes a byte of either disk.
func TestPlanInVM(t *testing.T) {
	dir := machineDir(t)
	used := sparseFile(t, filepath.Join(dir, "used.img"), 10<<30)
	run(t, "sgdisk", "-o", "-n", "1:0:+100M", "-t", "1:8300", used)
	blank := sparseFile(t, filepath.Join(dir, "blank.img"), 9<<30)
	before := map[string][32]byte{used: fileSHA(t, used), blank: fileSHA(t, blank)}
	manifest := []byte(`{"product":"Plinth","version":"e2e","runtimeUKISHA256":"0000000000000000000000000000000000000000000000000000000000000000","runtimeUKISize":6000000}`)
	runner := testUKIFiles(t, [][]string{
		{"/bbin/installer", "--plan"},
		{"/bbin/installer", "--plan", "--answers", "/etc/plinth/smallest.yaml"},
	}, "poweroff", map[string][]byte{
		"/etc/plinth/manifest.json": manifest,
		"/etc/plinth/smallest.yaml": []byte("disk: smallest\ndata-size: 4GiB\n"),
	})
	boot := fatImage(t, dir, "boot.img", 64<<20, map[string][]byte{"EFI/BOOT/BOOTX64.EFI": runner})
	m, err := startMachine(t, qemu.Config{Dir: dir, NoReboot: true, Drives: []qemu.Drive{
		{Kind: qemu.Virtio, File: boot, BootIndex: 1},
		{Kind: qemu.NVMe, File: used, Serial: "PLANUSED01"},
		{Kind: qemu.NVMe, File: blank, Serial: "PLANBLANK1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	waitEvent(t, m, "e2e-done", *bootLimit)
	waitExit(t, m, *bootLimit)
	var steps []map[string]any
	for _, e := range m.Events() {
		if e["event"] == "e2e-step" {
			steps = append(steps, e)
		}
	}
	if len(steps) != 2 {
		t.Fatalf("%d steps ran, want 2", len(steps))
	}
	if out := steps[0]["output"].(string); steps[0]["exit"] != float64(1) || !strings.Contains(out, "disk-has-data") {
		t.Errorf("plan with the default answers: exit %v, output %q; want exit 1 and disk-has-data", steps[0]["exit"], out)
	}
	if steps[1]["exit"] != float64(0) {
		t.Fatalf("plan for the smallest disk: exit %v: %v", steps[1]["exit"], steps[1]["output"])
	}
	var plan struct {
		Disk struct {
			Serial string `json:"serial"`
		} `json:"disk"`
		Partitions []struct {
			SizeBytes int64 `json:"sizeBytes"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(steps[1]["output"].(string)), &plan); err != nil {
		t.Fatalf("plan is not JSON: %v\n%s", err, steps[1]["output"])
	}
	if plan.Disk.Serial != "PLANBLANK1" || len(plan.Partitions) != 2 || plan.Partitions[1].SizeBytes != 4<<30 {
		t.Errorf("plan %+v, want the blank disk with a 4 GiB data partition", plan)
	}
	for path, sum := range before {
		if fileSHA(t, path) != sum {
			t.Errorf("installer --plan changed %s", filepath.Base(path))
		}
	}
}
