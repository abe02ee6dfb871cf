// Command installer is the uinit of Plinth's installer image: u-root's
// init starts it on the console after mounting /dev, /proc and /sys.
//
// With answers it installs unattended. It takes them from the first of
// these sources that has some:
//
//  1. install.yaml embedded in the image (mkiso -answers, or plinth.yaml's
//     installer: answers:), at install.AnswersPath;
//  2. install.yaml on a FAT volume labelled PLINTHCFG (internal/answersvol);
//  3. the URL template of the SMBIOS OEM string plinth.answers-url=
//     (internal/netanswers), set per machine by its firmware, BMC or
//     hypervisor;
//  4. the URL template built into the image (mkiso -answers-url, or
//     installer: answers-url:), at netinstall.Path;
//  5. none: the install is interactive.
//
// For a URL (3 and 4) it brings up every wired interface with DHCP
// (internal/netup), waits a while for an address, fills in the template
// for this machine (${mac}, ${uuid}, ${serial}) and asks the server
// until it has answers for the machine, however long that takes; the
// screen and answers-waiting events say why it waits. Answers from a
// URL are checked as a local install.yaml is: a malformed file is an
// error event and no disk is touched. answers-found says which source
// gave the answers.
//
// With a report URL template (the SMBIOS OEM string plinth.report-url=,
// else mkiso -report-url or installer: report-url:) it posts every
// event, those before the network was up included, to the provisioning
// server (internal/report), and its log bundle after a failed install.
// Reports never hold up the install: before it reboots or powers off
// the installer gives them a few seconds, then goes on, noting in its
// log what was not delivered. HTTPS servers are trusted by the system's
// CAs and those built into the image (mkiso -answers-ca, installer:
// ca:) at netinstall.CAPath.
//
// Without answers, or when the unattended install fails, it runs the
// interactive installer on every console: welcome and hardware, disk
// choice, typed confirmation, progress, finish, or the failure screen.
// A disk that holds an installation of the same product can be upgraded
// there instead of erased (internal/upgrade): the new version goes into
// its inactive slot for one trial boot, its data and identity kept. It
// never returns, because u-root's init would panic ("Attempted to kill
// init") if it did.
//
//	installer --plan [--answers FILE]
//
// prints the plan an unattended install would carry out as JSON and
// writes nothing.
//
// An image built with Secure Boot keys holds them in sbenroll.KeyDir.
// Unattended, the answers' secure-boot: policy decides whether they are
// enrolled (and a require the firmware cannot meet is refused before any
// disk is touched); interactively, the secure-boot screen offers it when
// the firmware is in Setup Mode. Either way the keys are enrolled after
// the disk is installed and verified.
//
// The product's per-machine settings are declared in the product file
// mkiso puts at /etc/plinth/product.json (productspec.Path); an image
// without one is of a product without settings. Unattended, the
// answers' settings are checked against them before any disk is looked
// at; interactively, the advanced screen asks for them.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/background"
	"github.com/plinth-os/plinth/internal/console"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/netinstall"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/upgrade"
	"github.com/plinth-os/plinth/internal/wizard"
	"golang.org/x/sys/unix"
)

// releaseFile is written into the initramfs by mkiso.
const releaseFile = "/etc/plinth/release.json"

// release describes the image being installed.
type release struct {
	Product string `json:"product"`
	Version string `json:"version"`
}

func main() {
	if len(os.Args) > 1 {
		os.Exit(planMain(os.Args[1:], defaultRoots(), os.Stdout, os.Stderr))
	}
	cons, err := console.Open("/sys", "/dev")
	if err != nil {
		// Nothing to talk to: write where init's stdio goes and wait.
		fmt.Fprintf(os.Stderr, "installer: %v\n", err)
		halt()
	}
	journal := newJournal()
	// The reports join the events once the network is up: they sit in
	// the writer from the start and keep what comes before.
	reports := newReports(journal.Logf)
	events := event.New(io.MultiWriter(journal, reports, cons.Events()))
	a := &app{
		events: events, journal: journal, reports: reports,
		rel: readRelease(releaseFile), roots: defaultRoots(), net: defaultNetOptions(),
	}
	// With a framebuffer the screen shows graphics, and the text UI stays
	// on the serial consoles; without one the text UI is on every console.
	text := cons
	// The payload (the manifest holds the product's minimums) is read
	// while the framebuffer is taken over: each took a tenth of a
	// second under emulation.
	payload := background.Go(func() error { a.loadPayload(); return nil })
	if g, err := openGraphics(a.roots.Proc, journal.Logf); err == nil {
		a.gfx, text = g, cons.Serial()
	} else {
		journal.Logf("graphics: %v; the text UI is on the screen", err)
	}
	a.out = text.Text()
	payload.Wait()
	a.env = a.installEnv()
	a.ahead = startLookAhead(a.env)
	a.startUnattended(context.Background())
	a.interactive(text.Keys())
}

// roots are where the installer finds the system's pseudo filesystems
// and files; tests point them at fakes.
type roots struct {
	Sys, Dev, Proc string
	Answers        string // embedded install.yaml
	Manifest       string
	RuntimeUKI     string
	Shim           string // shim and MokManager, when the manifest names them
	MokManager     string
	Product        string       // the product file (productspec), for its settings
	SecureBootKeys string       // the Secure Boot key directory (sbenroll.KeyDir)
	NetInstall     string       // the URL templates built into the image (netinstall.Path)
	NetInstallCA   string       // their CA certificates (netinstall.CAPath)
	Vars           efivar.Store // nil: not booted through UEFI
}

func defaultRoots() roots {
	r := roots{Sys: "/sys", Dev: "/dev", Proc: "/proc", Answers: install.AnswersPath,
		Manifest: install.ManifestPath, RuntimeUKI: install.RuntimeUKIPath, Shim: install.ShimPath, MokManager: install.MokManagerPath,
		Product: productspec.Path, SecureBootKeys: sbenroll.KeyDir, NetInstall: netinstall.Path, NetInstallCA: netinstall.CAPath}
	if vars, err := efivar.OpenEfivarfs(); err == nil {
		r.Vars = vars
	}
	return r
}

// app is the running installer.
type app struct {
	out     io.Writer
	gfx     *graphics // nil: text UI only
	events  *event.Emitter
	journal *journal
	reports *reports // the events' way to the report URL, if there is one
	rel     release
	roots   roots
	env     install.Env
	net     netOptions
	netOnce sync.Once
	netw    network // brought up by network(), when the answers or reports need it
	// poweroff reboots or powers off (unix.Reboot's cmd); nil: the
	// system's reboot(2). Tests record it instead.
	poweroff func(cmd int)

	manifest install.Manifest
	payload  install.Request // the runtime UKI and shim chain the manifest describes
	settings []setting.Decl  // the product's, from its product file
	sbKeys   *sbenroll.Keys  // the image's Secure Boot keys; nil: unsigned
	// payloadCheck checks the payload against the manifest: it runs in
	// the background once the first screen is up, or at once when an
	// install needs its result first; Wait returns what is wrong with
	// the medium, if anything. Hashing the runtime UKI takes a second of
	// CPU on a slow machine: the first screen neither waits for it nor
	// shares the CPU with it (0.2-0.3 s sooner under TCG).
	payloadCheck *background.Job
	lastPlan     []byte
	startFailure *wizard.Failure // an unattended install that failed
	ahead        *lookAhead      // the wizard's look at the disks, taken while answers are searched for; nil: none

	// found are this product's installations the wizard was last told
	// of, which it may ask to upgrade; mounter mounts the ESP of the one
	// upgraded (nil: the system's mount(2); tests fake it).
	found   []upgrade.Installation
	mounter esp.Mounter
}

func (a *app) installEnv() install.Env {
	seed := make([]byte, 32)
	rand.Read(seed)
	return install.Env{
		SysRoot: a.roots.Sys, DevRoot: a.roots.Dev, ProcRoot: a.roots.Proc, Vars: a.roots.Vars, Events: a.events,
		Log: a.journal.Logf, Req: a.manifest.Requirements(), Seed: seed, SecureBootKeys: a.sbKeys,
	}
}

// loadPayload reads the manifest, the runtime UKI and the product's
// settings of the image; a problem is kept and reported when an install
// starts.
func (a *app) loadPayload() {
	m, p, readErr := readPayload(a.roots)
	a.manifest, a.payload = m, p
	decls, declErr := readSettings(a.roots.Product)
	a.settings = decls
	keys, keyErr := readSecureBootKeys(a.roots.SecureBootKeys)
	a.sbKeys = keys
	a.payloadCheck = background.Later(func() error {
		if readErr != nil {
			return readErr
		}
		if err := install.CheckPayload(m, p.UKI); err != nil {
			return err
		}
		return errors.Join(declErr, keyErr)
	})
}

// readSecureBootKeys reads the image's Secure Boot keys: nil for an
// unsigned image; keys that do not fit together are a damaged medium.
func readSecureBootKeys(dir string) (*sbenroll.Keys, error) {
	keys, err := sbenroll.LoadKeys(dir)
	if err != nil {
		return nil, &install.Error{Code: sbenroll.Code(err), Err: err}
	}
	return keys, nil
}

// readSettings reads the product's settings from the product file mkiso
// puts into the image. An image without one is of a product without
// settings; one that cannot be read is a damaged medium.
func readSettings(path string) ([]setting.Decl, error) {
	spec, err := productspec.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, &install.Error{Code: errcode.PayloadCorrupt, Err: fmt.Errorf("installer image has an unreadable product file: %w", err)}
	}
	return spec.Settings, nil
}

// readPayload reads the manifest and what it describes: the runtime UKI
// and, for an image built with the shim chain, shim and MokManager.
func readPayload(r roots) (install.Manifest, install.Request, error) {
	p := install.Request{}
	m, err := readManifest(r)
	if err != nil {
		return m, p, err
	}
	p.Manifest = m
	if p.UKI, err = os.ReadFile(r.RuntimeUKI); err != nil {
		return m, p, &install.Error{Code: errcode.PayloadMissing, Err: fmt.Errorf("installer image has no runtime image: %w", err)}
	}
	if m.Shim == nil {
		return m, p, nil
	}
	if p.Shim, err = os.ReadFile(r.Shim); err == nil {
		p.MokManager, err = os.ReadFile(r.MokManager)
	}
	if err != nil {
		return m, p, &install.Error{Code: errcode.PayloadMissing, Err: fmt.Errorf("installer image names shim but lacks it: %w", err)}
	}
	return m, p, nil
}

func readManifest(r roots) (install.Manifest, error) {
	var m install.Manifest
	mb, err := os.ReadFile(r.Manifest)
	if err == nil {
		err = json.Unmarshal(mb, &m)
	}
	if err != nil {
		return m, &install.Error{Code: errcode.PayloadMissing, Err: fmt.Errorf("installer image has no valid manifest: %w", err)}
	}
	return m, nil
}

func readRelease(path string) release {
	r := release{Product: "Plinth", Version: "unknown"}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &r)
	}
	return r
}

// shutdown reboots or powers off once the reports had their few
// seconds to go out.
func (a *app) shutdown(cmd int) {
	a.finishReports()
	if a.poweroff != nil {
		a.poweroff(cmd)
		return
	}
	shutdown(cmd)
}

func shutdown(cmd int) {
	unix.Sync()
	if err := unix.Reboot(cmd); err != nil {
		fmt.Fprintf(os.Stderr, "installer: reboot(%#x): %v\n", cmd, err)
	}
	halt()
}

// halt waits forever: returning would make init panic.
func halt() {
	for {
		time.Sleep(time.Hour)
	}
}
