//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
)

// fleetMachine is one machine of the network install test.
type fleetMachine struct {
	name    string
	mac     string // QEMU's form; the answers are keyed by its hyphenated form
	disks   []qemu.Drive
	answers string // "" for none yet
	want    string // the disk's serial the answers must choose
}

// key is the MAC as the URL templates' ${mac} gives it.
func (f fleetMachine) key() string { return strings.ReplaceAll(f.mac, ":", "-") }

// fleetDisk is an 8 GiB or larger sparse disk of a fleet machine.
func fleetDisk(t *testing.T, dir, serial string, gib int64, kind qemu.MediaKind) qemu.Drive {
	return qemu.Drive{Kind: kind, File: sparseFile(t, filepath.Join(dir, serial+".img"), gib<<30), Serial: serial}
}

// TestNetworkInstall is a fleet install from a provisioning server:
// nginx (Debian's) serves the installer UKI, built with answer and report
// URL templates keyed by MAC address, and each machine's install.yaml.
// Five machines without boot media boot the UKI over UEFI HTTP boot with
// 1 GiB of memory. Three install by their own answers (other hostnames,
// disk selectors: largest, a serial, smallest) and each disk boots to
// runtime-ready with its hostname. The fourth has no answers yet: it
// says so and waits, and installs once its file is put in place. The
// fifth's answers are malformed: an error, and its disk is unchanged. A
// Go server gets every machine's events as they happen, and the fifth's
// log bundle.
func TestNetworkInstall(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	srv := startNginx(t, dir)
	reports := startReportSink(t)
	base := fmt.Sprintf("http://10.0.2.2:%d", srv.port)
	mkiso(t, repoRoot(t), "-o", filepath.Join(dir, "out", "installer.iso"), "-uki", filepath.Join(srv.root, "plinth-installer.efi"),
		"-answers-url", base+"/answers/${mac}.yaml", "-report-url", fmt.Sprintf("http://10.0.2.2:%d/report/${mac}", reports.port))

	fleet := fleetMachines(t, dir)
	for _, f := range fleet {
		if f.answers != "" {
			srv.put(t, "answers/"+f.key()+".yaml", []byte(f.answers))
		}
	}
	t.Run("fleet", func(t *testing.T) {
		for _, f := range fleet {
			t.Run(f.name, func(t *testing.T) {
				t.Parallel()
				switch f.name {
				case "m4":
					installWhenAnswered(t, dir, base, srv, f)
				case "m5":
					refuseMalformed(t, dir, base, reports, f)
				default:
					installOverHTTP(t, dir, base, f)
				}
			})
		}
	})
	checkReports(t, reports, fleet)
	uki, efiGets := srv.sent(t, "GET /plinth-installer.efi")
	answers, answerGets := srv.sent(t, "GET /answers/")
	t.Logf("nginx sent the UKI %d times, %d bytes; answers %d requests, %d bytes; %d bytes per machine",
		efiGets, uki, answerGets, answers, (uki+answers)/int64(len(fleet)))
	if efiGets != len(fleet) {
		t.Errorf("nginx served the UKI %d times for %d machines", efiGets, len(fleet))
	}
}

// fleetMachines are the five machines and their answers.
func fleetMachines(t *testing.T, dir string) []fleetMachine {
	answers := func(host, disk string) string {
		return fmt.Sprintf("disk: %s\nhostname: %s\nafter: poweroff\n", disk, host)
	}
	return []fleetMachine{
		{name: "m1", mac: "52:54:00:00:14:01", want: "FLEET1B", answers: answers("fleet-01", "largest"),
			disks: []qemu.Drive{fleetDisk(t, dir, "FLEET1A", 8, qemu.NVMe), fleetDisk(t, dir, "FLEET1B", 10, qemu.Virtio)}},
		{name: "m2", mac: "52:54:00:00:14:02", want: "FLEET2B", answers: answers("fleet-02", "serial:FLEET2B"),
			disks: []qemu.Drive{fleetDisk(t, dir, "FLEET2A", 8, qemu.NVMe), fleetDisk(t, dir, "FLEET2B", 8, qemu.NVMe)}},
		{name: "m3", mac: "52:54:00:00:14:03", want: "FLEET3A", answers: answers("fleet-03", "smallest"),
			disks: []qemu.Drive{fleetDisk(t, dir, "FLEET3A", 8, qemu.Virtio), fleetDisk(t, dir, "FLEET3B", 12, qemu.NVMe)}},
		{name: "m4", mac: "52:54:00:00:14:04", want: "FLEET4A",
			disks: []qemu.Drive{fleetDisk(t, dir, "FLEET4A", 8, qemu.NVMe)}},
		{name: "m5", mac: "52:54:00:00:14:05", answers: "disk: largest\nhostname: fleet-05\nwipe: maybe\n",
			disks: []qemu.Drive{fleetDisk(t, dir, "FLEET5A", 8, qemu.NVMe)}},
	}
}

// bootOverHTTP powers f on with no boot medium: the firmware boots the
// installer UKI from nginx.
func bootOverHTTP(t *testing.T, dir, base string, f fleetMachine) *qemu.Machine {
	t.Helper()
	mdir := filepath.Join(dir, f.name)
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(t, qemu.Config{Dir: mdir, MemoryMB: 1024, MAC: f.mac, HTTPBoot: base + "/plinth-installer.efi", Drives: f.disks})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// installOverHTTP boots f over HTTP, waits for its install and boots
// the installed disk.
func installOverHTTP(t *testing.T, dir, base string, f fleetMachine) {
	m := bootOverHTTP(t, dir, base, f)
	installedAndBoots(t, m, dir, f)
}

// installedAndBoots waits for m's install by f's answers, checks the
// disk chosen, and boots the disks alone with the same VARS: the
// installed system must come up with f's hostname.
func installedAndBoots(t *testing.T, m *qemu.Machine, dir string, f fleetMachine) {
	ev := waitEventUnlessError(t, m, "installed", 20*time.Minute)
	recordTiming(t, "network-install/"+f.name+"-power-on-to-installed", time.Since(m.Started).Seconds())
	if ev["serial"] != f.want {
		t.Errorf("%s installed onto %v (serial %v), want the disk with serial %s", f.name, ev["disk"], ev["serial"], f.want)
	}
	waitExit(t, m, 3*time.Minute)
	bdir := filepath.Join(dir, f.name+"-boot")
	os.MkdirAll(bdir, 0o755)
	b, err := startMachine(t, qemu.Config{Dir: bdir, Vars: m.Vars, QMP: true, MAC: f.mac, Drives: f.disks})
	if err != nil {
		t.Fatal(err)
	}
	rr := waitEventUnlessError(t, b, "runtime-ready", 2**bootLimit)
	if want := "fleet-0" + f.name[1:]; rr["hostname"] != want {
		t.Errorf("%s boots with hostname %v, want %s", f.name, rr["hostname"], want)
	}
	powerOff(t, b)
}

// installWhenAnswered boots f, whose answers are not there yet: it must
// say it waits for them at its URL, and install once they are put in
// place.
func installWhenAnswered(t *testing.T, dir, base string, srv *nginx, f fleetMachine) {
	m := bootOverHTTP(t, dir, base, f)
	c := &eventCursor{t: t, m: m}
	for {
		ev := c.next("answers-waiting", 15*time.Minute)
		msg, _ := ev["message"].(string)
		if ev["attempt"].(float64) >= 2 {
			if !strings.Contains(msg, "no answers for this machine") || !strings.Contains(msg, f.key()) || !strings.Contains(msg, base+"/answers/") {
				t.Errorf("waiting message %q does not say whose answers are missing where", msg)
			}
			break
		}
	}
	f.answers = "disk: largest\nhostname: fleet-04\nafter: poweroff\n"
	srv.put(t, "answers/"+f.key()+".yaml", []byte(f.answers))
	installedAndBoots(t, m, dir, f)
}

// refuseMalformed boots f, whose answers are malformed: an error, and no
// byte of its disk changes.
func refuseMalformed(t *testing.T, dir, base string, reports *reportSink, f fleetMachine) {
	before := fileSHA(t, f.disks[0].File)
	m := bootOverHTTP(t, dir, base, f)
	ev := waitEvent(t, m, "error", 15*time.Minute)
	if ev["code"] != "answers-invalid" || ev["field"] != "wipe" {
		t.Errorf("malformed answers: %v, want answers-invalid in field wipe", ev)
	}
	waitEvent(t, m, "ready", time.Minute) // the failure screen
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && reports.bundle("/report/"+f.key()) == nil; {
		time.Sleep(time.Second)
	}
	m.Stop()
	if fileSHA(t, f.disks[0].File) != before {
		t.Errorf("%s's disk changed after malformed answers", f.name)
	}
}

// checkReports checks what the report server got from each machine.
func checkReports(t *testing.T, reports *reportSink, fleet []fleetMachine) {
	for _, f := range fleet {
		path := "/report/" + f.key()
		want, found := "installed", 1
		if f.name == "m5" {
			want, found = "error", 0 // malformed answers are not found answers
			if b := reports.bundle(path); len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
				t.Errorf("%s: no gzip log bundle reported (%d bytes)", f.name, len(b))
			}
		}
		if len(reports.named(path, "answers-found")) != found || len(reports.named(path, want)) != 1 {
			t.Errorf("%s: the report server got %d events, want %d answers-found and one %s", f.name, len(reports.named(path, "")), found, want)
		}
	}
	if len(reports.named("/report/"+fleet[3].key(), "answers-waiting")) == 0 {
		t.Error("m4's waiting was not reported")
	}
}
