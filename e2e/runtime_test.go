//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/testdisk"
)

var diskPath = flag.String("disk", "../out/plinth-disk.img", "ready-to-boot disk image under test (mkiso -disk)")

// copyDisk makes a private sparse copy of the disk image for one machine.
func copyDisk(t *testing.T, dir string) string {
	t.Helper()
	src := needFile(t, *diskPath, "build it with make iso")
	dst := filepath.Join(dir, "disk.img")
	run(t, "cp", "--sparse=always", src, dst)
	return dst
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// getStatus fetches /status through the host forward, retrying until deadline.
func getStatus(t *testing.T, port int, deadline time.Duration) map[string]any {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	end := time.Now().Add(deadline)
	var lastErr error
	for time.Now().Before(end) {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/status", port))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var st map[string]any
			if resp.StatusCode == 200 && json.Unmarshal(body, &st) == nil {
				return st
			}
			lastErr = fmt.Errorf("status %d: %s", resp.StatusCode, body)
		} else {
			lastErr = err
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("GET /status: %v", lastErr)
	return nil
}

// partitionExtent reads a partition's first and last sector from sgdisk -i.
func partitionExtent(t *testing.T, disk string, n int) (int64, int64) {
	t.Helper()
	out := run(t, "sgdisk", "-i", strconv.Itoa(n), disk)
	first := regexp.MustCompile(`First sector: (\d+)`).FindStringSubmatch(out)
	last := regexp.MustCompile(`Last sector: (\d+)`).FindStringSubmatch(out)
	if first == nil || last == nil {
		t.Fatalf("sgdisk -i %d:\n%s", n, out)
	}
	a, _ := strconv.ParseInt(first[1], 10, 64)
	b, _ := strconv.ParseInt(last[1], 10, 64)
	return a, b
}

// fsckData runs e2fsck -fn on the data partition through a read-only loop device.
func fsckData(t *testing.T, disk string) {
	t.Helper()
	first, last := partitionExtent(t, disk, 2)
	data := testdisk.AttachLoop(t, disk, testdisk.LoopOptions{ReadOnly: true, Offset: first * 512, SizeLimit: (last - first + 1) * 512})
	defer data.Detach()
	run(t, "e2fsck", "-fn", data.Dev)
}

// TestRuntimeDisk boots the ready-to-boot disk image alone, as a virtio
// and as an NVMe disk: runtime-ready, the demo's /status through a host
// forward, a restart after the payload crashes, and a clean ACPI power-down.
func TestRuntimeDisk(t *testing.T) {
	version := strings.TrimSpace(string(must(os.ReadFile(filepath.Join(filepath.Dir(*diskPath), "version")))))
	for _, kind := range []qemu.MediaKind{qemu.Virtio, qemu.NVMe} {
		t.Run(string(kind), func(t *testing.T) {
			dir := machineDir(t)
			disk := copyDisk(t, dir)
			run(t, "sgdisk", "-v", disk)
			port := freePort(t)
			m, err := startMachine(t, qemu.Config{Dir: dir, QMP: true, HostForwards: map[int]int{port: 80},
				Drives: []qemu.Drive{{Kind: kind, File: disk, Serial: "PLINTHRT"}}})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Stop()
			ev := waitEvent(t, m, "runtime-ready", *bootLimit)
			recordTiming(t, "boot-to-runtime-ready/"+string(kind), ev["_elapsed"].(float64))
			if ev["version"] != version {
				t.Errorf("runtime-ready version %v, want %s", ev["version"], version)
			}
			st := getStatus(t, port, 60*time.Second)
			if st["version"] != version {
				t.Errorf("/status version %v, want %s: %v", st["version"], version, st)
			}

			// The payload dies; the supervisor must bring it back.
			resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/crash", port), "text/plain", nil)
			if err == nil {
				resp.Body.Close()
			}
			time.Sleep(2 * time.Second)
			st2 := getStatus(t, port, 90*time.Second)
			if st2["pid"] == st["pid"] {
				t.Errorf("/status still served by pid %v after the crash: not restarted", st["pid"])
			}
			restarted := false
			for _, e := range m.Events() {
				if e["event"] == "service-start" && e["restarts"].(float64) >= 1 {
					restarted = true
				}
			}
			if !restarted {
				t.Error("no service-start event with restarts >= 1 after the crash")
			}
			if !bytes.Contains(must(os.ReadFile(m.LogPath)), []byte("plinth-demo")) {
				t.Error("no service output on the console")
			}

			// ACPI power button: services stop, filesystems unmount, QEMU exits.
			if err := m.QMP("system_powerdown"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := m.Wait(ctx); err != nil {
				t.Fatalf("not powered off within 60 s of system_powerdown: %v\n%s", err, m.Tail(30))
			}
			fsckData(t, disk)
		})
	}
}

// TestRuntimeMissingDataPartition deletes the data partition: the
// appliance must say so clearly and stay up without crash-looping.
func TestRuntimeMissingDataPartition(t *testing.T) {
	dir := machineDir(t)
	disk := copyDisk(t, dir)
	run(t, "sgdisk", "-d", "2", disk)
	m, err := startMachine(t, qemu.Config{Dir: dir, Drives: []qemu.Drive{{Kind: qemu.Virtio, File: disk}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	ev := waitEvent(t, m, "error", *bootLimit)
	msg, _ := ev["message"].(string)
	if !strings.Contains(strings.ToLower(msg), "data partition") {
		t.Errorf("error event does not name the data partition: %v", ev)
	}
	time.Sleep(20 * time.Second)
	select {
	case <-m.Exited():
		t.Fatalf("machine stopped after the error:\n%s", m.Tail(20))
	default:
	}
	n := 0
	for _, e := range m.Events() {
		if e["event"] == "error" {
			n++
		}
	}
	if n > 3 {
		t.Errorf("%d error events in 20 s: crash loop", n)
	}
	if strings.Count(string(must(os.ReadFile(m.LogPath))), "Welcome to u-root") > 1 {
		t.Error("the machine rebooted")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
