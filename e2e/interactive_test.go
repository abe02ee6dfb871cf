//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// screenWaiter follows the installer's "screen" events.
type screenWaiter struct {
	t    *testing.T
	m    *qemu.Machine
	next int
}

// wait returns the next "screen" event showing screen; with a note, one
// whose note contains it.
func (s *screenWaiter) wait(screen, note string, timeout time.Duration) map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		ev, i, err := s.m.WaitEvent(ctx, "screen", s.next)
		if err != nil {
			s.t.Fatalf("waiting for screen %q (note %q): %v\nserial log %s, last lines:\n%s", screen, note, err, s.m.LogPath, s.m.Tail(30))
		}
		s.next = i + 1
		got, _ := ev["note"].(string)
		if ev["screen"] == screen && strings.Contains(got, note) {
			return ev
		}
	}
}

func (s *screenWaiter) keys(k string) {
	s.t.Helper()
	if err := s.m.SendKeys(k); err != nil {
		s.t.Fatal(err)
	}
}

// TestInteractiveInstall drives the interactive installer over the
// serial console onto an NVMe disk that already holds a partition: the
// boot CD is listed but not choosable, a wrong id is refused and nothing
// is written, the advanced screen sets the hostname and data size, the
// right id installs, and the result passes the tools' checks.
func TestInteractiveInstall(t *testing.T) {
	iso := needFile(t, *isoPath, "build it with make iso")
	dir := machineDir(t)
	target := sparseFile(t, filepath.Join(dir, "nvme.img"), 8<<30)
	run(t, "sgdisk", "-o", "-n", "1:0:+100M", "-t", "1:8300", target)
	before := fileSHA(t, target)
	m, err := startMachine(t, qemu.Config{Dir: dir, NoReboot: true, Drives: []qemu.Drive{
		{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.NVMe, File: target, Serial: "PLINTHINT01"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	s := &screenWaiter{t: t, m: m}
	waitEvent(t, m, "ready", *bootLimit)
	s.wait("welcome", "", time.Minute)
	s.keys("\r")
	ev := s.wait("disks", "", time.Minute)
	var nvme map[string]any
	for _, d := range ev["disks"].([]any) {
		d := d.(map[string]any)
		if d["serial"] == "PLINTHINT01" {
			nvme = d
		} else if d["eligible"] == true {
			t.Errorf("disk %v is offered (the boot CD must not be)", d)
		}
	}
	if nvme == nil || nvme["eligible"] != true || nvme["hasData"] != true || nvme["selected"] != true {
		t.Fatalf("NVMe disk not offered as selected and holding data: %v", ev["disks"])
	}
	id := nvme["shortId"].(string)

	// Advanced: data partition 4 GiB, hostname.
	s.keys("a")
	s.wait("advanced", "", time.Minute)
	s.keys("4GiB\x1b[Binteractive-01\r")
	s.wait("disks", "saved", time.Minute)

	s.keys("\r")
	if ev := s.wait("confirm", "", time.Minute); ev["shortId"] != id {
		t.Fatalf("confirm screen for %v, want %s", ev["shortId"], id)
	}
	s.keys("wrong\r")
	s.wait("confirm", "not this disk's id", time.Minute)
	if fileSHA(t, target) != before {
		t.Fatal("the disk changed after a wrong id")
	}
	s.keys(id + "\r")
	s.wait("progress", "", time.Minute)
	inst := waitEvent(t, m, "installed", 10*time.Minute)
	recordTiming(t, "install-8GiB/interactive", inst["seconds"].(float64))
	s.wait("done", "", time.Minute)

	plan, _, err := m.WaitEvent(context.Background(), "plan", 0)
	if err != nil {
		t.Fatal(err)
	}
	p := plan["plan"].(map[string]any)
	if cfg := p["config"].(map[string]any); cfg["hostname"] != "interactive-01" {
		t.Errorf("plan hostname %v, want interactive-01", cfg["hostname"])
	}
	parts := p["partitions"].([]any)
	if size := parts[1].(map[string]any)["sizeBytes"].(float64); size != 4<<30 {
		t.Errorf("data partition %v bytes, want 4 GiB", size)
	}
	var withBytes int
	for _, e := range m.Events() {
		if e["event"] == "progress" && e["bytes"] != nil && e["bytes"].(float64) > 0 {
			withBytes++
		}
	}
	if withBytes == 0 {
		t.Error("no progress event reported bytes written")
	}
	s.keys("p")
	waitExit(t, m, 2*time.Minute)

	if out := run(t, "sgdisk", "-v", target); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	if out := run(t, "sgdisk", "-i", "2", target); !strings.Contains(out, "4.0 GiB") {
		t.Errorf("data partition:\n%s", out)
	}
	fsckData(t, target)
}

// TestInstallFailureExportsLogs installs onto a disk whose writes fail
// (QEMU's blkdebug): the failure screen comes up, Export logs writes the
// bundle to a FAT USB stick, Retry asks for the disk's id again, and the
// stick holds a readable bundle afterwards.
func TestInstallFailureExportsLogs(t *testing.T) {
	iso := needFile(t, *isoPath, "build it with make iso")
	dir := machineDir(t)
	target := sparseFile(t, filepath.Join(dir, "failing.img"), 8<<30)
	stick := sparseFile(t, filepath.Join(dir, "stick.img"), 64<<20)
	run(t, "mkfs.fat", "-n", "LOGS", stick)
	m, err := startMachine(t, qemu.Config{Dir: dir, NoReboot: true, QMP: true, Drives: []qemu.Drive{
		{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.NVMe, File: target, Serial: "FAILING01", FailWrites: true},
		{Kind: qemu.USB, File: stick, Serial: "LOGSTICK"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	s := &screenWaiter{t: t, m: m}
	waitEvent(t, m, "ready", *bootLimit)
	s.keys("\r")
	ev := s.wait("disks", "", time.Minute)
	id := ""
	for _, d := range ev["disks"].([]any) {
		d := d.(map[string]any)
		if d["serial"] == "FAILING01" {
			id, _ = d["shortId"].(string)
		}
		if d["serial"] == "LOGSTICK" && d["eligible"] == true {
			t.Logf("note: the 64 MiB stick is listed as eligible: %v", d)
		}
	}
	if id == "" {
		t.Fatalf("failing disk not listed: %v", ev["disks"])
	}
	// The NVMe is the only eligible disk, so it is preselected.
	s.keys("\r")
	s.wait("confirm", "", time.Minute)
	s.keys(id + "\r")
	fail := s.wait("failed", "", 5*time.Minute)
	if img := shot(t, m, dir, "failed"); share(img, brand.Default().Background) < 0.3 {
		t.Error("the failure screen is not drawn in the brand's colours")
	}
	if fail["code"] != "install-write" || fail["wrote"] != true {
		t.Errorf("failure %v, want install-write after writing", fail)
	}
	if _, _, err := m.WaitEvent(context.Background(), "error", 0); err != nil {
		t.Errorf("no error event: %v", err)
	}

	s.keys("e")
	exp := waitEvent(t, m, "logs-exported", 2*time.Minute)
	path, _ := exp["path"].(string)
	t.Logf("exported: %s", path)

	s.keys("r") // Retry: the id must be typed again
	s.wait("confirm", "", time.Minute)
	s.keys("\r")
	s.wait("confirm", "Type "+id, time.Minute)
	s.keys("\x1b[B") // nothing: still on confirm
	s.keys("\x1b")
	s.wait("disks", "", time.Minute)
	// The kernel's I/O errors (they come asynchronously, from writeback),
	// which the hidden text console would have shown, reached the screen.
	alerted := false
	for _, e := range eventsNamed(m, "screen") {
		if note, _ := e["note"].(string); strings.Contains(note, "Kernel error") {
			alerted = true
		}
	}
	if !alerted {
		t.Error("no kernel error was shown on any screen")
	}
	m.Stop()

	name := strings.TrimPrefix(strings.Fields(path)[0], "/")
	listing := run(t, "mdir", "-b", "-i", stick, "::")
	if !strings.Contains(listing, name) {
		t.Fatalf("stick holds %q, want %s", listing, name)
	}
	out := filepath.Join(dir, name)
	run(t, "mcopy", "-n", "-i", stick, "::"+name, out)
	tarList := run(t, "tar", "-tzf", out)
	for _, want := range []string{"installer.log", "kernel.log", "disks.json"} {
		if !strings.Contains(tarList, want) {
			t.Errorf("bundle lacks %s:\n%s", want, tarList)
		}
	}
	log, err := exec.Command(testdisk.Tool(t, "tar"), "-xzOf", out, "installer.log").Output()
	if err != nil || !strings.Contains(string(log), "install-write") {
		t.Errorf("installer.log lacks the failure (%v):\n%s", err, log)
	}
	run(t, "fsck.fat", "-n", stick)
}
