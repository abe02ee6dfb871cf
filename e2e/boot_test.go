//go:build e2e

// End-to-end tests boot Plinth images under QEMU + OVMF. They need the
// images built first (make iso) and run with: go test -tags e2e ./e2e/
package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
)

var (
	isoPath   = flag.String("iso", "../out/plinth-installer.iso", "installer ISO under test")
	artifacts = flag.String("artifacts", "artifacts", "directory for serial logs and timings")
	bootLimit = flag.Duration("boot-timeout", 4*time.Minute, "time allowed from power-on to the ready event")
)

func needFile(t *testing.T, path, hint string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("%s: %v (%s)", path, err, hint)
	}
	return abs
}

// machineDir keeps each test's VARS and serial log as artifacts.
func machineDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(*artifacts, filepath.Base(t.Name())))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// boot starts a machine and fails the test with the serial tail if the
// named event does not come.
func waitEvent(t *testing.T, m *qemu.Machine, name string, timeout time.Duration) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ev, _, err := m.WaitEvent(ctx, name, 0)
	if err != nil {
		t.Fatalf("%v\nserial log %s, last lines:\n%s", err, m.LogPath, m.Tail(40))
	}
	return ev
}

func recordTiming(t *testing.T, key string, seconds float64) {
	t.Helper()
	path := filepath.Join(*artifacts, "timings.json")
	times := map[string]float64{}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &times)
	}
	times[key] = seconds
	b, _ := json.MarshalIndent(times, "", "  ")
	os.WriteFile(path, b, 0o644)
	if strings.HasSuffix(key, "ratio") {
		t.Logf("%s: %.1f", key, seconds)
	} else {
		t.Logf("%s: %.1f s", key, seconds)
	}
}

// TestInstallerBootsToReady boots the hybrid ISO as a CD, as a USB stick
// and as a raw virtio disk; each must reach the installer's ready event.
func TestInstallerBootsToReady(t *testing.T) {
	iso := needFile(t, *isoPath, "build it with make iso")
	tests := []struct {
		name  string
		drive qemu.Drive
	}{
		{"cd", qemu.Drive{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1}},
		{"usb", qemu.Drive{Kind: qemu.USB, File: iso, Snapshot: true, BootIndex: 1, Serial: "PLINTHUSB"}},
		{"virtio-disk", qemu.Drive{Kind: qemu.Virtio, File: iso, Snapshot: true, BootIndex: 1, Serial: "PLINTHVD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := startMachine(t, qemu.Config{Drives: []qemu.Drive{tt.drive}, Dir: machineDir(t), NoReboot: true})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Stop()
			ev := waitEvent(t, m, "ready", *bootLimit)
			recordTiming(t, "boot-to-ready/"+tt.name, ev["_elapsed"].(float64))
			if ev["version"] == "" || ev["product"] == nil {
				t.Errorf("ready event lacks product/version: %v", ev)
			}
			// The boot medium itself must be visible to the installer.
			disks, _ := ev["disks"].([]any)
			if len(disks) == 0 {
				t.Errorf("ready event lists no disks: %v", ev)
			}
			// p powers off: QEMU must exit by itself.
			if err := m.SendKeys("p"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := m.Wait(ctx); err != nil {
				t.Fatalf("installer did not power off after 'p': %v\n%s", err, m.Tail(20))
			}
		})
	}
}
