//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/testdisk"
)

var powerCutSeed = flag.Uint64("powercut-seed", 0, "seed of TestUpdatePowerCuts's cut points, to repeat a run's (0: a new one)")

// cutPhase is a moment of an update at which the power is cut: the event
// that starts it, and the window after that event in which QEMU is
// killed.
type cutPhase struct {
	name     string
	event    string // with version (or available) = the target
	from, to time.Duration
	trial    bool // the phase is in the target's trial boot
}

// The phases of one update, in order. The windows are wide on purpose:
// where a cut lands inside them is random.
var (
	cutDownload = cutPhase{"download", "update-check", 0, 1500 * time.Millisecond, false}
	cutStage    = cutPhase{"stage", "update-check", 1500 * time.Millisecond, 5 * time.Second, false}
	cutReboot   = cutPhase{"reboot", "update-staged", 0, 3 * time.Second, false}
	cutTrial    = cutPhase{"trial", "runtime-ready", 0, 8 * time.Second, true}
	cutCommit   = cutPhase{"commit", "runtime-ready", 8 * time.Second, 14 * time.Second, true}
)

// powerCuts is one disk's life through cuts: which version is committed,
// which one the channel offers, what the machine last reported.
type powerCuts struct {
	t         *testing.T
	dir       string
	disk      string
	vars      string
	srv       *channelServer
	bundles   map[string][]byte
	versions  []string // offered in turn: a version that failed is not tried again
	committed string
	target    int // index in versions
	boots     int
	ready     []string // the version of every runtime-ready, in order
	rng       *rand.Rand
	m         *qemu.Machine
	cursor    *eventCursor
}

// TestUpdatePowerCuts cuts the power (QEMU killed) at 11 random points of
// updates from a channel: while the bundle downloads, while the slot is
// written, just after BootNext is set, during the trial boot and around
// the commit. After every cut the ESP passes fsck.fat -n and the GPT
// sgdisk -v, and the machine boots a committed version, or the staged one
// for its single trial boot when the cut came after update-staged; a
// trial cut short is rolled back and reported. Then the firmware forgets
// every boot entry (a new VARS): the fallback loader boots the committed
// version, which puts its entries back, and the next boot starts from
// them. After its clean power-off the data partition passes e2fsck -fn
// and keeps what the first version wrote, and a line for every boot that
// reported ready: the service syncs its line before it reports itself
// healthy.
func TestUpdatePowerCuts(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	srv, port := startChannel(t)
	channel := fmt.Sprintf("http://10.0.2.2:%d/channel.json", port)
	p := &powerCuts{t: t, dir: dir, srv: srv, bundles: map[string][]byte{}, committed: "1.0",
		versions: []string{"2.0", "2.1", "2.2", "2.3", "2.4", "2.5"}}
	var versions []updateVersion
	for _, v := range append([]string{"1.0"}, p.versions...) {
		versions = append(versions, plainVersion(v))
	}
	builds := updateBuilds(t, dir, channel, versions...)
	for v, b := range builds {
		p.bundles[v] = b.bundleOf(t, v)
	}
	p.disk = builds["1.0"].Disk
	seed := *powerCutSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("cut points from seed %d", seed)
	p.rng = rand.New(rand.NewPCG(seed, seed>>1))

	p.publish()
	p.boot()
	for i, phase := range []cutPhase{cutDownload, cutStage, cutReboot, cutTrial,
		cutDownload, cutReboot, cutCommit, cutStage, cutReboot, cutCommit, cutTrial} {
		p.cut(i+1, phase)
	}
	p.stop()
	p.forgetEntries()
	// Read after forgetEntries' clean power-off: debugfs does not replay
	// the journal, where a cut leaves the last lines.
	fsckData(t, p.disk)
	got := versionLog(t, p.disk)
	if !strings.HasPrefix(got, "1.0 \n") {
		t.Errorf("versions.log on the data partition lost version 1.0's line:\n%s", got)
	}
	if logged := loggedVersions(got); !isSubsequence(p.ready, logged) {
		t.Errorf("versions.log on the data partition lost lines of versions that were ready: ready %v, logged %v", p.ready, logged)
	}
}

// publish makes the channel offer the target version.
func (p *powerCuts) publish() {
	if p.target >= len(p.versions) {
		p.t.Fatalf("no versions left to offer: more trials failed than the test has versions")
	}
	v := p.versions[p.target]
	p.srv.publish(p.t, v, p.bundles[v])
}

func (p *powerCuts) targetVersion() string { return p.versions[p.target] }

// boot starts the machine on the disk and the VARS kept so far and
// checks what it boots: the committed version, or the target on trial
// when a trial was armed. It returns the runtime-ready event.
func (p *powerCuts) boot() map[string]any {
	p.t.Helper()
	p.boots++
	mdir := filepath.Join(p.dir, fmt.Sprint("boot", p.boots))
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(p.t, qemu.Config{Dir: mdir, Vars: p.vars, QMP: true, HostForwards: map[int]int{},
		Drives: []qemu.Drive{{Kind: qemu.Virtio, File: p.disk, BootIndex: 1}}})
	if err != nil {
		p.t.Fatal(err)
	}
	// The cursor starts at the boot's first event: the appliance may
	// check for updates before it is ready.
	p.m, p.vars, p.cursor = m, m.Vars, &eventCursor{t: p.t, m: m}
	return waitEventUnlessError(p.t, m, "runtime-ready", *bootLimit)
}

// stop kills QEMU: the power cut.
func (p *powerCuts) stop() {
	p.m.Stop()
	p.keepReady()
}

// keepReady keeps the version of each boot of the QEMU run that has
// just ended that reported ready. A boot that became ready again after
// a health dip counts once.
func (p *powerCuts) keepReady() {
	var run []string
	for _, ev := range eventsNamed(p.m, "runtime-ready") {
		run = append(run, fmt.Sprint(ev["version"]))
	}
	p.ready = append(p.ready, slices.Compact(run)...)
}

// loggedVersions is the first field of each line of versions.log.
func loggedVersions(log string) []string {
	var vs []string
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			vs = append(vs, f[0])
		}
	}
	return vs
}

// isSubsequence reports whether sub's items appear in all, in order. A
// service may write its line and lose the power before the boot reports
// ready: all may hold more.
func isSubsequence(sub, all []string) bool {
	for _, v := range all {
		if len(sub) > 0 && sub[0] == v {
			sub = sub[1:]
		}
	}
	return len(sub) == 0
}

// cut waits for phase's event about the target version, cuts the power
// at a random moment of its window, checks the disk, and boots again.
// When the machine is not where phase starts (an earlier cut landed
// later than its window), a phase that fits is cut instead.
func (p *powerCuts) cut(n int, phase cutPhase) {
	p.t.Helper()
	target := p.targetVersion()
	if onTrial := p.runningIs(target); onTrial != phase.trial {
		phase = p.fitting(onTrial)
	}
	start := time.Now()
	p.waitFor(phase, target)
	delay := phase.from + time.Duration(p.rng.Int64N(int64(phase.to-phase.from)))
	time.Sleep(delay)
	if phase.trial {
		// Committed or rolled back, target is done: the next boot
		// finds the next version at its first check.
		p.target++
		p.publish()
	}
	staged := p.seen("update-staged", target)
	committed := p.seen("update-committed", target)
	p.stop()
	p.t.Logf("cut %d: %s of %s, %.1fs after %s (staged %v, committed %v)", n, phase.name, target, delay.Seconds(), phase.event, staged, committed)
	p.checkDisk(n)
	ready := p.boot()
	p.judge(n, phase, target, ready, staged, committed)
	recordTiming(p.t, fmt.Sprintf("power-cuts/cut%02d-%s", n, phase.name), time.Since(start).Seconds())
}

// fitting picks a phase of the trial boot, or of the update before it.
func (p *powerCuts) fitting(onTrial bool) cutPhase {
	if onTrial {
		return []cutPhase{cutTrial, cutCommit}[p.rng.IntN(2)]
	}
	return []cutPhase{cutDownload, cutStage, cutReboot}[p.rng.IntN(3)]
}

// waitFor waits for phase's event about target in the running boot.
func (p *powerCuts) waitFor(phase cutPhase, target string) {
	p.t.Helper()
	if phase.trial {
		return // the boot that runs target on trial is up: runtime-ready
	}
	for {
		ev := p.cursor.next(phase.event, 5*time.Minute)
		if ev["version"] == target || ev["available"] == target {
			return
		}
	}
}

// runningIs reports whether the last runtime-ready of this boot is version.
func (p *powerCuts) runningIs(version string) bool {
	evs := eventsNamed(p.m, "runtime-ready")
	return len(evs) > 0 && evs[len(evs)-1]["version"] == version
}

// seen reports whether this boot emitted event name about version.
func (p *powerCuts) seen(name, version string) bool {
	for _, ev := range eventsNamed(p.m, name) {
		if ev["version"] == version {
			return true
		}
	}
	return false
}

// judge checks the boot after cut n of an update to target. A cut
// before BootNext was set boots the committed version; one after it,
// before the firmware took it, boots target on trial; one in the trial
// boot boots the committed version, which reports the rollback, unless
// the commit was complete.
func (p *powerCuts) judge(n int, phase cutPhase, target string, ready map[string]any, staged, committed bool) {
	p.t.Helper()
	got := ready["version"]
	rolledBack := p.seen("update-rolled-back", target)
	switch {
	case got == p.committed && rolledBack:
		if !phase.trial { // the firmware had started the trial when the power went
			p.target++
			p.publish()
		}
	case got == p.committed && phase.trial:
		p.t.Errorf("cut %d: %s back on %s without update-rolled-back for %s", n, phase.name, got, target)
	case got == p.committed:
		// BootNext was not set yet: the update starts again.
	case got == target && phase.trial:
		p.committed = target // the commit was done when the power went
	case got == target && (staged || phase == cutStage || phase == cutReboot):
		// BootNext was set: this is target's one trial boot.
	default:
		p.t.Fatalf("cut %d (%s): booted %v; committed %s, target %s, staged %v, committed %v", n, phase.name, got, p.committed, target, staged, committed)
	}
	if committed && got != target {
		p.t.Errorf("cut %d: %s had committed, yet %v booted", n, target, got)
	}
}

// checkDisk checks the powered-off disk with tools that are not ours.
func (p *powerCuts) checkDisk(n int) {
	p.t.Helper()
	if out := run(p.t, "sgdisk", "-v", p.disk); !strings.Contains(out, "No problems found") {
		p.t.Errorf("cut %d: sgdisk -v:\n%s", n, out)
	}
	first, last := partitionExtent(p.t, p.disk, 1)
	esp := testdisk.AttachLoop(p.t, p.disk, testdisk.LoopOptions{ReadOnly: true, Offset: first * 512, SizeLimit: (last - first + 1) * 512})
	defer esp.Detach()
	out, err := exec.Command(testdisk.Tool(p.t, "fsck.fat"), "-n", esp.Dev).CombinedOutput()
	c := sortFsck(string(out))
	if len(c.damage) > 0 {
		p.t.Errorf("cut %d: fsck.fat -n: %v: the ESP is damaged:\n%s", n, err, out)
	}
	if len(c.leaks) > 0 {
		p.t.Logf("cut %d: fsck.fat -n finds clusters of no file (space lost, nothing damaged): %s", n, strings.Join(c.leaks, "; "))
	}
	if len(c.cutTemps) > 0 {
		p.t.Logf("cut %d: fsck.fat -n finds temporary files cut in the middle of a write (removed before their name is used again): %s",
			n, strings.Join(c.cutTemps, "; "))
	}
}

// fsckFindings sort fsck.fat -n's output.
type fsckFindings struct {
	damage []string
	// leaks are clusters allocated to no file: space lost.
	leaks []string
	// cutTemps are temporary files of ours (abslot.IsTemporary)
	// whose clusters reach further than their size: the kernel had
	// written the FAT but not yet the directory entry when the power
	// went. Nothing reads or appends to them; they are deleted, which
	// frees the whole chain, before the name is used again.
	cutTemps []string
}

// fsckHarmless are the lines of fsck.fat -n that a FAT mounted read-write
// when the power went always has: the dirty bit, the boot sector's state
// byte at offset 65 that differs from the backup's for the same reason, a
// stale free-cluster count, a second FAT behind the first.
var fsckHarmless = []string{"fsck.fat ", "/dev/", "Leaving filesystem unchanged", "Dirty bit is set", "Automatically removing dirty bit",
	"There are differences between boot sector and its backup", "This is mostly harmless", "65:01/00", "Not automatically fixing this",
	"Free cluster summary wrong", "Auto-correcting", "Checking",
	"FATs differ but appear to be intact", "Using first FAT"}

// sortFsck sorts fsck.fat -n's output into findings; a line it does not
// know is damage. fsck.fat names a file on a line of its own and says what
// is wrong with it on the next ones.
func sortFsck(out string) fsckFindings {
	var f fsckFindings
	file := ""
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", slices.ContainsFunc(fsckHarmless, func(h string) bool { return strings.HasPrefix(l, h) }):
		case strings.Contains(l, "unused clusters") || strings.Contains(l, "Reclaimed"):
			f.leaks = append(f.leaks, l)
		case strings.HasPrefix(l, "/"):
			file = l
		case strings.HasPrefix(file, "/EFI/") && abslot.IsTemporary(file) && (strings.Contains(l, "cluster chain length is >") || strings.HasPrefix(l, "Truncating file to")):
			if !slices.Contains(f.cutTemps, file) {
				f.cutTemps = append(f.cutTemps, file)
			}
		default:
			f.damage = append(f.damage, file+": "+l)
		}
	}
	return f
}

// forgetEntries boots the disk with a VARS that has none of our entries:
// the fallback loader must start the committed version, which creates
// its entries again; the boot after that starts from the committed
// slot's entry.
func (p *powerCuts) forgetEntries() {
	p.t.Helper()
	p.vars = ""
	if got := p.boot()["version"]; got != p.committed {
		p.t.Errorf("with the entries gone the fallback loader booted %v, want %s", got, p.committed)
	}
	// A clean power-off lets the boot's repair, which runs beside the
	// services, finish.
	powerOff(p.t, p.m)
	p.keepReady()
	slot := p.committedSlot()
	label := fmt.Sprintf("%q", updateProduct+" "+slot)
	var entry string
	for _, l := range strings.Split(p.m.Tail(400), "\n") {
		if i := strings.Index(l, "Boot entries: created Boot"); i >= 0 && strings.HasSuffix(strings.TrimSpace(l), label) {
			entry = strings.Fields(l[i+len("Boot entries: created Boot"):])[0]
		}
	}
	if entry == "" {
		p.t.Fatalf("the appliance did not recreate %s's entry %s:\n%s", p.committed, label, p.m.Tail(60))
	}
	if got := p.boot()["bootCurrent"]; !strings.EqualFold(fmt.Sprint(got), entry) {
		p.t.Errorf("BootCurrent %v after the repair, want the recreated Boot%s %s", got, entry, label)
	}
	powerOff(p.t, p.m)
	p.keepReady()
}

// committedSlot reads which slot holds the committed version from the
// ESP's slot state.
func (p *powerCuts) committedSlot() string {
	p.t.Helper()
	esp := fmt.Sprintf("%s@@%d", p.disk, partitionOffset(p.t, p.disk, 0))
	state := mtools(p.t, "mtype", "-i", esp, "::/EFI/plinth/slots.json")
	for _, s := range []string{"A", "B"} {
		if strings.Contains(state, fmt.Sprintf(`"committed":%q`, s)) || strings.Contains(state, fmt.Sprintf(`"committed": %q`, s)) {
			return s
		}
	}
	p.t.Fatalf("no committed slot in slots.json:\n%s", state)
	return ""
}

func TestIsSubsequence(t *testing.T) {
	tests := []struct {
		sub, all []string
		want     bool
	}{
		{nil, nil, true},
		{[]string{"1.0", "2.0"}, []string{"1.0", "2.0"}, true},
		{[]string{"1.0", "2.0"}, []string{"1.0", "1.0", "2.0", "2.1"}, true},
		{[]string{"1.0", "2.0", "2.0"}, []string{"1.0", "2.0"}, false},
		{[]string{"2.0", "1.0"}, []string{"1.0", "2.0"}, false},
		{[]string{"1.0"}, nil, false},
	}
	for _, tt := range tests {
		if got := isSubsequence(tt.sub, tt.all); got != tt.want {
			t.Errorf("isSubsequence(%v, %v) = %v, want %v", tt.sub, tt.all, got, tt.want)
		}
	}
}

func TestSortFsck(t *testing.T) {
	const head = "fsck.fat 4.2 (2021-01-31)\nThere are differences between boot sector and its backup.\nThis is mostly harmless. Differences: (offset:original/backup)\n  65:01/00\n  Not automatically fixing this.\n"
	const tail = "Dirty bit is set. Fs was not properly unmounted and some data may be corrupt.\n Automatically removing dirty bit.\n\nLeaving filesystem unchanged.\n/dev/loop0: 11 files, 5694/130812 clusters\n"
	chain := func(file string) string {
		return file + "\n  File size is 5079040 bytes, cluster chain length is > 5079040 bytes.\n  Truncating file to 5079040 bytes.\n"
	}
	tests := []struct {
		name                    string
		out                     string
		damage, leaks, cutTemps int
	}{
		{"clean after a cut", head + tail, 0, 0, 0},
		{"a slot's temporary cut short", head + chain("/EFI/plinth/slot-b.efi.new") + tail, 0, 0, 1},
		{"a numbered temporary", head + chain("/EFI/BOOT/BOOTX64.EFI.new2") + tail, 0, 0, 1},
		{"a slot itself", head + chain("/EFI/plinth/slot-b.efi") + tail, 2, 0, 0},
		{"a file elsewhere", head + chain("/plinth-updates/update-probe-2.0.plinth.part") + tail, 2, 0, 0},
		{"lost clusters", head + "Checking for unused clusters.\nReclaimed 3 unused clusters (12288 bytes) in 1 chain.\n" + tail, 0, 1, 0},
		{"a cross-link", head + "/EFI/plinth/slots.json\n  File size is 300 bytes, cluster chain length is 0.\n" + tail, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sortFsck(tt.out)
			if len(f.damage) != tt.damage || len(f.leaks) != tt.leaks || len(f.cutTemps) != tt.cutTemps {
				t.Errorf("damage %q, leaks %q, cut temporaries %q; want %d, %d, %d", f.damage, f.leaks, f.cutTemps, tt.damage, tt.leaks, tt.cutTemps)
			}
		})
	}
}
