//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/ovmfvars"
	"github.com/plinth-os/plinth/internal/updatechannel"
)

const updateProduct = "Update Probe"

// updateVersion is one build of the update test's product.
type updateVersion struct {
	version string
	health  int    // the port its health check asks: 8088 answers, others do not
	cmdline string // added to the runtime command line
	hang    bool   // a root service stops the appliance: the watchdog must reset the machine
}

// writeUpdateProduct writes the product module for v: the versionlog
// service, its health check, the channel if any (checked every minute),
// a new version commits after 10 s healthy, or gives up after 60 s.
func writeUpdateProduct(t *testing.T, dir string, v updateVersion, channel string) string {
	t.Helper()
	mod := filepath.Join(dir, "product-"+v.version)
	yaml := fmt.Sprintf(`product: {name: %s, version: "%s"}
services:
  - name: versionlog
    go: github.com/plinth-os/plinth/e2e/cmds/versionlog
    args: [-listen, ":8088"]
    health: {http: {port: %d, path: /health}, interval: 1s, start-period: 20s}
cmdline:
  runtime: "%s"
updates:
  check-interval: 1m
  commit-after: 10s
  trial-timeout: 60s
`, updateProduct, v.version, v.health, v.cmdline)
	if channel != "" {
		yaml += "  channel: " + channel + "\n"
	}
	if v.hang {
		yaml = strings.Replace(yaml, "cmdline:", `  - name: hang
    go: github.com/plinth-os/plinth/e2e/cmds/hangappliance
    args: [-after, 5s]
    user: root
cmdline:`, 1)
	}
	files := map[string]string{
		"go.mod":      fmt.Sprintf("module example.com/updateprobe\n\ngo 1.26\n\nrequire github.com/plinth-os/plinth v0.0.0\n\nreplace github.com/plinth-os/plinth => %s\n", repoRoot(t)),
		"plinth.yaml": yaml,
	}
	for name, text := range files {
		os.MkdirAll(mod, 0o755)
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mod
}

// updateBuilds makes Secure Boot keys in dir and builds each version of
// the update product, signed with them (its bundle signed with the db
// key), checking channel ("": none).
func updateBuilds(t *testing.T, dir, channel string, versions ...updateVersion) map[string]productBuild {
	t.Helper()
	keys := filepath.Join(dir, "keys")
	mkiso(t, repoRoot(t), "-new-secureboot-keys", keys)
	builds := map[string]productBuild{}
	for _, v := range versions {
		builds[v.version] = buildProduct(t, writeUpdateProduct(t, dir, v, channel), filepath.Join(dir, "out-"+v.version), "-secureboot-keys", keys)
	}
	return builds
}

// plainVersion is a version whose service is healthy and that neither
// panics nor hangs.
func plainVersion(v string) updateVersion { return updateVersion{v, 8088, "", false} }

// bundleOf reads the bundle of b, a build of the update product at version.
func (b productBuild) bundleOf(t *testing.T, version string) []byte {
	t.Helper()
	return must(os.ReadFile(filepath.Join(b.Dir, bundle.FileName(updateProduct, version))))
}

// channelServer serves the channel file and bundles on 127.0.0.1, as
// any static HTTP server would (ranges, validators).
type channelServer struct {
	mu    sync.Mutex
	files map[string][]byte
	url   string
}

func startChannel(t *testing.T) (*channelServer, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &channelServer{files: map[string][]byte{}}
	srv := &http.Server{Handler: s}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s, l.Addr().(*net.TCPAddr).Port
}

func (s *channelServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, r.URL.Path, time.Unix(int64(len(b)), 0), bytes.NewReader(b))
}

// publish makes the channel name bundle b as version's.
func (s *channelServer) publish(t *testing.T, version string, b []byte) {
	t.Helper()
	name := bundle.FileName(updateProduct, version)
	ch, err := updatechannel.Marshal(updatechannel.Channel{Product: updateProduct, Version: version, URL: name, Size: int64(len(b)), SHA256: sha256Hex(b)})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files["/"+name] = b
	s.files["/channel.json"] = ch
}

// TestUpdateLifecycle is an appliance's life with updates from a
// channel, on one disk: a tampered bundle is refused; v2 is downloaded,
// tried and committed; v3, whose service never gets healthy, gives up and
// the machine goes back to v2, which says why; v4, whose kernel panics,
// and v5, whose appliance hangs (the i6300esb watchdog resets it), are
// rolled back by the firmware alone. The data partition keeps what
// each version's service wrote, and each saw its previous version.
func TestUpdateLifecycle(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	srv, port := startChannel(t)
	channel := fmt.Sprintf("http://10.0.2.2:%d/channel.json", port)
	builds := updateBuilds(t, dir, channel, plainVersion("1.0"), plainVersion("2.0"), updateVersion{"3.0", 8099, "", false},
		updateVersion{"4.0", 8088, "rdinit=/nonexistent", false}, updateVersion{"5.0", 8088, "", true})
	bundleOf := func(v string) []byte { return builds[v].bundleOf(t, v) }

	tampered := bundleOf("2.0")
	tampered[40] ^= 1 // in the signed manifest
	srv.publish(t, "2.0", tampered)

	disk := builds["1.0"].Disk
	os.MkdirAll(filepath.Join(dir, "vm"), 0o755)
	m, err := startMachine(t, qemu.Config{Dir: filepath.Join(dir, "vm"), QMP: true, HostForwards: map[int]int{freePort(t): 8088},
		Extra:  []string{"-device", "i6300esb"},
		Drives: []qemu.Drive{{Kind: qemu.Virtio, File: disk, BootIndex: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	next := (&eventCursor{t: t, m: m}).next
	if ev := next("update-refused", 3*time.Minute); ev["code"] != "bad-signature" {
		t.Errorf("tampered bundle: %v, want refused as bad-signature", ev)
	}

	srv.publish(t, "2.0", bundleOf("2.0"))
	if ev := next("update-staged", 3*time.Minute); ev["version"] != "2.0" {
		t.Fatalf("staged %v", ev)
	}
	srv.publish(t, "3.0", bundleOf("3.0")) // checked right after 2.0 commits
	if ev := next("update-committed", 3*time.Minute); ev["version"] != "2.0" || ev["previous"] != "1.0" {
		t.Fatalf("committed %v", ev)
	}
	updateTimings(t, m, "2.0")
	if ev := next("update-failed", 4*time.Minute); ev["version"] != "3.0" || !strings.Contains(ev["reason"].(string), "versionlog") {
		t.Fatalf("3.0: %v", ev)
	}
	srv.publish(t, "4.0", bundleOf("4.0")) // checked when 2.0 is back
	if ev := next("update-rolled-back", 3*time.Minute); ev["version"] != "3.0" || ev["running"] != "2.0" || !strings.Contains(ev["reason"].(string), "versionlog") {
		t.Fatalf("rolled back %v", ev)
	}
	if ev := next("update-staged", 3*time.Minute); ev["version"] != "4.0" {
		t.Fatalf("staged %v", ev)
	}
	if ev := next("update-rolled-back", 4*time.Minute); ev["version"] != "4.0" || ev["running"] != "2.0" {
		t.Fatalf("rolled back %v", ev)
	}
	srv.publish(t, "5.0", bundleOf("5.0")) // its appliance hangs: the watchdog resets the machine
	if ev := next("update-staged", 3*time.Minute); ev["version"] != "5.0" {
		t.Fatalf("staged %v", ev)
	}
	if ev := next("update-rolled-back", 4*time.Minute); ev["version"] != "5.0" || ev["running"] != "2.0" {
		t.Fatalf("rolled back %v", ev)
	}
	if ev := next("runtime-ready", 3*time.Minute); ev["version"] != "2.0" {
		t.Fatalf("ready %v", ev)
	}
	powerOff(t, m)
	checkCommittedEntries(t, m, "B")
	// 5.0's line is there unless the reset came before ext4 wrote it.
	got := versionLog(t, disk)
	want := "1.0 \n2.0 1.0\n3.0 2.0\n2.0 1.0\n2.0 1.0\n"
	if rest, ok := strings.CutPrefix(got, want); !ok || (rest != "2.0 1.0\n" && rest != "5.0 2.0\n2.0 1.0\n") {
		t.Errorf("versions.log on the data partition:\n%s\nwant\n%s[5.0 2.0]\n2.0 1.0", got, want)
	}
}

// updateTimings records, from when the machine's events arrived, how
// long version took from "found" (update-check) to committed, and its
// parts: download, verify and write (to update-staged); the reboot into
// it (update-staged to its runtime-ready: a clean shutdown, the firmware
// and a boot, what any reboot of this machine costs); and the health
// window and the commit. Also the bytes downloaded, and the machine's
// cold boot to runtime-ready for scale.
func updateTimings(t *testing.T, m *qemu.Machine, version string) {
	t.Helper()
	at := map[string]float64{}
	var bytes float64
	for _, ev := range m.Events() {
		name, _ := ev["event"].(string)
		key := name
		switch {
		case name == "runtime-ready" && ev["version"] == version:
			key = "ready-new"
		case name == "runtime-ready" && at["ready-old"] == 0:
			key = "ready-old"
		case name == "update-check" && ev["available"] == version:
			// The last check before the staging: an earlier one may
			// have found a bundle that was refused.
			if _, staged := at["update-staged"]; !staged {
				at["found"] = ev["_elapsed"].(float64)
			}
			continue
		case name == "update-download" && ev["version"] == version:
			bytes = ev["total"].(float64)
		case (name == "update-staged" || name == "update-committed") && ev["version"] == version:
		default:
			continue
		}
		if _, seen := at[key]; !seen {
			at[key] = ev["_elapsed"].(float64)
		}
	}
	recordTiming(t, "update/cold-boot-to-ready", at["ready-old"])
	recordTiming(t, "update/found-to-committed", at["update-committed"]-at["found"])
	recordTiming(t, "update/found-to-staged", at["update-staged"]-at["found"])
	recordTiming(t, "update/staged-to-ready (the reboot)", at["ready-new"]-at["update-staged"])
	recordTiming(t, "update/ready-to-committed", at["update-committed"]-at["ready-new"])
	t.Logf("update/bytes-downloaded: %.0f", bytes)
}

// firmwareEntries reads a VM's VARS file as the firmware left it: its
// Boot#### entries by description, and BootOrder.
func firmwareEntries(t *testing.T, vars string) (map[string][]uint16, []uint16) {
	t.Helper()
	live, err := ovmfvars.Parse(must(os.ReadFile(vars)))
	if err != nil {
		t.Fatal(err)
	}
	store := efivar.NewMemStore()
	for _, v := range live {
		store.Set(v.Name, v.Vendor, v.Attributes, v.Data)
	}
	entries, err := efivar.ListBootEntries(store)
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string][]uint16{}
	for _, e := range entries {
		if e.Option != nil {
			byLabel[e.Option.Description] = append(byLabel[e.Option.Description], e.Num)
		}
	}
	order, err := efivar.ReadBootOrder(store)
	if err != nil {
		t.Fatal(err)
	}
	return byLabel, order
}

// checkCommittedEntries checks, in the VARS of a powered-off machine
// whose last boot reported ready, that the product has exactly its two
// entries, that BootOrder starts with the committed slot's, and that the
// last boot came from it.
func checkCommittedEntries(t *testing.T, m *qemu.Machine, slot string) {
	t.Helper()
	byLabel, order := firmwareEntries(t, m.Vars)
	a, b := byLabel[updateProduct+" A"], byLabel[updateProduct+" B"]
	var ours int
	for label, nums := range byLabel {
		if strings.HasPrefix(label, updateProduct) {
			ours += len(nums)
		}
	}
	if len(a) != 1 || len(b) != 1 || ours != 2 {
		t.Fatalf("entries of ours: %v, want exactly one %q and one %q", byLabel, updateProduct+" A", updateProduct+" B")
	}
	want := map[string]uint16{"A": a[0], "B": b[0]}[slot]
	if len(order) == 0 || order[0] != want {
		t.Errorf("BootOrder %04X, want the committed slot %s's Boot%04X first", order, slot, want)
	}
	// The firmware says which entry it started; the appliance's
	// runtime-ready says it too, but one event line is easier to lose to
	// console noise than the firmware's own line.
	boots := firmwareBoots(t, m)
	if len(boots) == 0 || boots[len(boots)-1] != want {
		t.Errorf("the firmware started %04X, the last one last; want slot %s's Boot%04X last; the boots:\n%s", boots, slot, want, bootTrail(t, m))
	}
}

// firmwareBoots are the Boot#### numbers OVMF started, in order, from its
// "BdsDxe: starting Boot####" lines on the serial console.
func firmwareBoots(t *testing.T, m *qemu.Machine) []uint16 {
	t.Helper()
	var nums []uint16
	for _, line := range serialLines(t, m) {
		_, rest, ok := strings.Cut(line, "BdsDxe: starting Boot")
		if !ok || len(rest) < 4 {
			continue
		}
		n, err := strconv.ParseUint(rest[:4], 16, 16)
		if err == nil {
			nums = append(nums, uint16(n))
		}
	}
	return nums
}

// bootTrail is what the serial log says about each boot: the firmware's
// choice, reboots and resets, and the watchdog, for a failure message.
func bootTrail(t *testing.T, m *qemu.Machine) string {
	t.Helper()
	var out []string
	for _, line := range serialLines(t, m) {
		for _, mark := range []string{"BdsDxe: starting", " starting", "requested (", "Watchdog", "committed", "Kernel panic", "rolled back", "runtime-ready"} {
			if strings.Contains(line, mark) {
				out = append(out, strings.TrimSpace(line))
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// serialLines is the machine's serial log so far, a line at a time.
func serialLines(t *testing.T, m *qemu.Machine) []string {
	t.Helper()
	b, err := os.ReadFile(m.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

// versionLog reads versionlog's file from the disk's data partition
// with debugfs.
func versionLog(t *testing.T, disk string) string {
	t.Helper()
	out, err := exec.Command("debugfs", "-R", "cat /versionlog/versions.log", fmt.Sprintf("%s?offset=%d", disk, partitionOffset(t, disk, 1))).Output()
	if err != nil {
		t.Fatalf("debugfs: %v", err)
	}
	return string(out)
}

// mkiso runs mkiso in dir.
func mkiso(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "github.com/plinth-os/plinth/cmds/mkiso"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkiso %v: %v\n%s", args, err, out)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestUpdateFromStick is a site without network, and a disk installed
// before A/B slots existed (one UKI at EFI/plinth/<product>.efi, no
// slots.json): a PLINTHUPD stick plugged into the running appliance
// carries v2 and a tampered bundle. The tampered one is refused; v2
// converts the ESP to slots, is applied and committed, and the old UKI is
// gone; at the next boot the stick, still in, offers nothing newer.
func TestUpdateFromStick(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	builds := updateBuilds(t, dir, "", plainVersion("1.0"), plainVersion("2.0"))
	v2 := builds["2.0"].bundleOf(t, "2.0")
	tampered := append([]byte(nil), v2...)
	tampered[40] ^= 1
	v1 := builds["1.0"].bundleOf(t, "1.0")
	stick := fatVolume(t, dir, "PLINTHUPD", map[string][]byte{bundle.FileName(updateProduct, "1.0"): v1,
		bundle.FileName(updateProduct, "2.0"): v2, "plinth/tampered.plinth": tampered})

	disk := builds["1.0"].Disk
	esp := fmt.Sprintf("%s@@%d", disk, partitionOffset(t, disk, 0))
	mtools(t, "mren", "-i", esp, "::/EFI/plinth/slot-a.efi", "::/EFI/plinth/update-probe.efi")
	mtools(t, "mdel", "-i", esp, "::/EFI/plinth/slots.json")
	os.MkdirAll(filepath.Join(dir, "vm"), 0o755)
	m, err := startMachine(t, qemu.Config{Dir: filepath.Join(dir, "vm"), QMP: true, Extra: []string{"-device", "qemu-xhci,id=xhci"},
		Drives: []qemu.Drive{{Kind: qemu.Virtio, File: disk, BootIndex: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	next := (&eventCursor{t: t, m: m}).next
	next("runtime-ready", *bootLimit)
	if err := m.QMPArgs("blockdev-add", map[string]any{"driver": "raw", "node-name": "stick", "read-only": true,
		"file": map[string]any{"driver": "file", "filename": stick}}); err != nil {
		t.Fatal(err)
	}
	if err := m.QMPArgs("device_add", map[string]any{"driver": "usb-storage", "bus": "xhci.0", "drive": "stick", "id": "stick0"}); err != nil {
		t.Fatal(err)
	}
	if ev := next("update-refused", 2*time.Minute); !strings.Contains(ev["source"].(string), "tampered.plinth") || ev["code"] != "bad-signature" {
		t.Errorf("refused %v, want the tampered bundle, bad-signature", ev)
	}
	if ev := next("update-staged", 2*time.Minute); ev["version"] != "2.0" {
		t.Fatalf("staged %v", ev)
	}
	if ev := next("update-committed", 3*time.Minute); ev["version"] != "2.0" {
		t.Fatalf("committed %v", ev)
	}
	// With the stick still in, every bundle is refused: v1 is a
	// downgrade, v2 is running, the tampered one stays tampered.
	want := map[string]string{"tampered.plinth": "bad-signature", bundle.FileName(updateProduct, "1.0"): "downgrade",
		bundle.FileName(updateProduct, "2.0"): "not-newer"}
	for len(want) > 0 {
		ev := next("update-refused", 2*time.Minute)
		name := filepath.Base(ev["source"].(string))
		if code, ok := want[name]; !ok || ev["code"] != code {
			t.Fatalf("with the stick still in: %v, want codes %v", ev, want)
		}
		delete(want, name)
	}
	powerOff(t, m)
	checkCommittedEntries(t, m, "B") // the legacy entry is gone
	if got, want := versionLog(t, disk), "1.0 \n2.0 1.0\n"; got != want {
		t.Errorf("versions.log:\n%s\nwant\n%s", got, want)
	}
	listing := mtools(t, "mdir", "-b", "-i", esp, "::/EFI/plinth")
	if !strings.Contains(listing, "slot-a.efi") || !strings.Contains(listing, "slot-b.efi") || !strings.Contains(listing, "slots.json") ||
		strings.Contains(listing, "update-probe.efi") {
		t.Errorf("the ESP was not converted to slots:\n%s", listing)
	}
	// The tampered bundle, refused again with 2.0 running, left the
	// inactive slot A as the conversion made it: 1.0's runtime.
	slotA := filepath.Join(dir, "slot-a.efi")
	mtools(t, "mcopy", "-n", "-i", esp, "::/EFI/plinth/slot-a.efi", slotA)
	if fileSHA(t, slotA) != fileSHA(t, filepath.Join(builds["1.0"].Dir, "plinth-runtime.efi")) {
		t.Error("slot A is not 1.0's runtime any more")
	}
}

// partitionOffset is the byte offset of the disk image's n'th partition.
func partitionOffset(t *testing.T, disk string, n int) int64 {
	t.Helper()
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	tab, err := gpt.Read(f, st.Size(), 512)
	if err != nil {
		t.Fatal(err)
	}
	return int64(tab.Partitions[n].FirstLBA) * 512
}

// mtools runs an mtools command and returns its output.
func mtools(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestUpgradeInPlace boots the v2 installer on machines whose disk runs
// v1, twice from the same build: unattended, with mode: upgrade from a
// PLINTHCFG stick, and interactively, where the disk list shows the
// installation and u then Enter upgrade it. Each time v2 goes into the
// inactive slot, the machine reboots, v2 boots on trial, commits, and
// its service finds v1's data.
func TestUpgradeInPlace(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	builds := updateBuilds(t, dir, "", plainVersion("1.0"), plainVersion("2.0"))
	v1, v2 := builds["1.0"], builds["2.0"]

	os.MkdirAll(filepath.Join(dir, "v1"), 0o755)
	m, err := startMachine(t, qemu.Config{Dir: filepath.Join(dir, "v1"), QMP: true, Drives: []qemu.Drive{{Kind: qemu.Virtio, File: v1.Disk, BootIndex: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	waitEventUnlessError(t, m, "runtime-ready", *bootLimit)
	powerOff(t, m)
	second := filepath.Join(dir, "interactive.img")
	run(t, "cp", "--sparse=always", v1.Disk, second)

	t.Run("unattended", func(t *testing.T) {
		stick := fatVolume(t, dir, "PLINTHCFG", map[string][]byte{"install.yaml": []byte("mode: upgrade\nafter: reboot\n")})
		m := upgradeMachine(t, filepath.Join(dir, "unattended"), m.Vars, v2.ISO, v1.Disk, qemu.Drive{Kind: qemu.USB, File: stick, ReadOnly: true})
		checkUpgraded(t, m, waitEventUnlessError(t, m, "upgraded", 5*time.Minute), v1.Disk)
	})
	t.Run("interactive", func(t *testing.T) {
		m := upgradeMachine(t, filepath.Join(dir, "interactive"), m.Vars, v2.ISO, second)
		s := &screenWaiter{t: t, m: m}
		s.wait("welcome", "", *bootLimit)
		s.keys("\r")
		s.wait("secure-boot", "", time.Minute) // the image has keys, the firmware is in Setup Mode
		s.keys("s")
		var disk map[string]any
		for _, d := range s.wait("disks", "", time.Minute)["disks"].([]any) {
			if d := d.(map[string]any); d["installed"] == "1.0" {
				disk = d
			}
		}
		if disk == nil || disk["upgradable"] != true || disk["selected"] != true {
			t.Fatalf("the disk holding 1.0 is not listed as upgradable and selected: %v", disk)
		}
		s.keys("u")
		s.wait("upgrade", "", time.Minute)
		s.keys("\r")
		ev := waitEventUnlessError(t, m, "upgraded", 5*time.Minute)
		s.wait("done", "", time.Minute)
		s.keys("\r") // Reboot
		checkUpgraded(t, m, ev, second)
	})
}

// upgradeMachine boots the installer ISO on a machine whose disk holds
// an installation (and whose VARS hold its entries), with more drives.
func upgradeMachine(t *testing.T, dir, vars, iso, disk string, more ...qemu.Drive) *qemu.Machine {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	vcopy := filepath.Join(dir, "OVMF_VARS.fd")
	os.WriteFile(vcopy, must(os.ReadFile(vars)), 0o644)
	m, err := startMachine(t, qemu.Config{Dir: dir, Vars: vcopy, QMP: true, Drives: append([]qemu.Drive{
		{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.Virtio, File: disk, BootIndex: 2},
	}, more...)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkUpgraded follows an upgrade from 1.0 to 2.0 that the installer
// reported with ev to its commit, and checks the data partition.
func checkUpgraded(t *testing.T, m *qemu.Machine, ev map[string]any, disk string) {
	t.Helper()
	if ev["from"] != "1.0" || ev["version"] != "2.0" {
		t.Errorf("upgraded %v", ev)
	}
	if ev := waitEventUnlessError(t, m, "update-committed", 5*time.Minute); ev["version"] != "2.0" || ev["previous"] != "1.0" {
		t.Errorf("committed %v", ev)
	}
	powerOff(t, m)
	if got, want := versionLog(t, disk), "1.0 \n2.0 1.0\n"; got != want {
		t.Errorf("versions.log:\n%s\nwant\n%s", got, want)
	}
}

// eventCursor reads a machine's events in order: each next waits for
// the first event called name after the one it returned before.
type eventCursor struct {
	t  *testing.T
	m  *qemu.Machine
	at int
}

func (c *eventCursor) next(name string, limit time.Duration) map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	ev, i, err := c.m.WaitEvent(ctx, name, c.at)
	if err != nil {
		c.t.Fatalf("%v\n%s", err, c.m.Tail(40))
	}
	c.at = i + 1
	return ev
}
