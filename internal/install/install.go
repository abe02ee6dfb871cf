// Package install carries out an installation: it discovers the disks,
// picks the target by the answers file's selector (or takes the one the
// user chose) while refusing the boot medium, mounted disks, small
// disks and (without wipe: true or the typed id) disks holding data,
// checks the payload against the manifest before writing anything,
// decides what to do about Secure Boot (internal/sbenroll: a
// secure-boot: require install the firmware would not verify is refused
// here, before any disk is looked at), plans the install
// (internal/installplan) and then executes exactly that plan: the GPT
// and filesystems it lists (internal/provision), the files it lists on
// the ESP, its UEFI boot entry (replacing earlier ones of ours), a
// read-back of all of it against the plan, and only then, if the plan
// says so, the enrollment of the image's Secure Boot keys.
package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/sysinfo"
)

// Files mkiso puts into the installer image.
const (
	ManifestPath   = "/etc/plinth/manifest.json"
	RuntimeUKIPath = "/etc/plinth/runtime.efi"
	// ShimPath and MokManagerPath are the shim chain an installer built
	// with mkiso -shim carries, to install beside the runtime UKI.
	ShimPath       = "/etc/plinth/shim/" + bootchain.ShimName
	MokManagerPath = "/etc/plinth/shim/" + bootchain.MokManagerName
	AnswersPath    = "/etc/plinth/" + answers.FileName
)

// Manifest describes the payload the installer installs.
type Manifest struct {
	Product          string `json:"product"`
	Version          string `json:"version"`
	RuntimeUKISHA256 string `json:"runtimeUKISHA256"`
	RuntimeUKISize   int64  `json:"runtimeUKISize"`
	// Shim and MokManager describe the shim chain the installer carries
	// (ShimPath, MokManagerPath); nil: the UKI boots directly.
	Shim       *Binary          `json:"shim,omitempty"`
	MokManager *Binary          `json:"mokManager,omitempty"`
	Config     appconfig.Config `json:"config"` // installed config before the disk gives it identity
	// MinMemory and MinDisk are the product's minimums in bytes
	// (plinth.yaml installer:); 0 keeps the installer's own.
	MinMemory int64 `json:"minMemory,omitempty"`
	MinDisk   int64 `json:"minDisk,omitempty"`
}

// Binary is the size and SHA-256 (hex) of an EFI binary the installer
// carries besides the runtime UKI.
type Binary = installplan.Digest

// Requirements are the installer's defaults with the product's
// minimums in their place where it has them.
func (m Manifest) Requirements() installplan.Requirements {
	r := installplan.DefaultRequirements()
	if m.MinMemory > 0 {
		r.MinRAM = m.MinMemory
	}
	if m.MinDisk > 0 {
		r.MinDiskSize = m.MinDisk
	}
	return r
}

// Env is the machine the installer runs on.
type Env struct {
	SysRoot, DevRoot, ProcRoot string
	Vars                       efivar.Store
	Events                     *event.Emitter
	Log                        func(format string, args ...any)
	Req                        installplan.Requirements
	Seed                       []byte // random bytes: new GUIDs per install
	// Progress, if set, is told each step and, while writing, the bytes.
	Progress func(Progress)
	// Exclude names disks that are never candidates besides the boot
	// medium (the answers volume's disk).
	Exclude map[string]string // kernel name -> reason
	// SecureBootKeys are the installer image's Secure Boot keys
	// (sbenroll.LoadKeys); nil for an unsigned image. Enrolling them
	// writes through Vars, which must then be an efivar.AuthStore.
	SecureBootKeys *sbenroll.Keys
}

// Request is one install: what to install, with which answers, and
// for an interactive install the disk the user chose.
type Request struct {
	Answers  *answers.Answers
	Manifest Manifest
	UKI      []byte // the runtime UKI the manifest describes
	// Shim and MokManager are the shim chain's binaries the manifest
	// describes (Manifest.Shim); nil without it.
	Shim, MokManager []byte
	// Target is the disk the user chose (Install); Run takes the one
	// Answers.Disk selects.
	Target installplan.Candidate
	// Typed is the disk id the user typed to confirm a disk holding
	// data; without it such a disk needs Answers.Wipe.
	Typed string
	// SettingDecls are the product's per-machine settings
	// (productspec.Spec.Settings; none when the image has no product
	// file). Settings are this machine's values for Install (the
	// advanced screen's); Run reads them from Answers instead
	// (Answers.CheckSettings). The plan checks them and fills in
	// defaults before anything is written.
	SettingDecls []setting.Decl
	Settings     map[string]setting.Value
}

// Result is what was installed.
type Result struct {
	Plan        *installplan.Plan
	BootEntry   uint16
	OurEntries  []string // Boot#### labelled with our product after the install
	Disk        disk.Disk
	Duration    time.Duration
	BytesOnDisk int64
	// SecureBootEnrolled: the image's keys were enrolled (db, KEK, PK).
	SecureBootEnrolled bool
}

// CheckPayload compares the runtime UKI with the manifest: a damaged
// medium must be found before any disk is touched.
func CheckPayload(m Manifest, uki []byte) error {
	_, err := payloadSum(m, uki)
	return err
}

// payloadSum is the runtime UKI's SHA-256, checked against the manifest.
func payloadSum(m Manifest, uki []byte) ([32]byte, error) {
	sum := sha256.Sum256(uki)
	if hex.EncodeToString(sum[:]) != m.RuntimeUKISHA256 || int64(len(uki)) != m.RuntimeUKISize {
		return sum, fail(errcode.PayloadCorrupt, "install: the runtime image on the installer medium does not match its manifest (sha256 %x): the medium is damaged, write it again", sum)
	}
	return sum, nil
}

// checkRequest checks the whole payload of req against its manifest:
// the runtime UKI and, when the manifest names them, shim and MokManager.
// It returns the SHA-256 of each part it checked, so that they are not
// hashed again before they are written.
func checkRequest(req Request) (map[installplan.Source][32]byte, error) {
	uki, err := payloadSum(req.Manifest, req.UKI)
	if err != nil {
		return nil, err
	}
	sums := map[installplan.Source][32]byte{installplan.FromRuntimeUKI: uki}
	for _, b := range []struct {
		what string
		src  installplan.Source
		want *Binary
		data []byte
	}{{"shim", installplan.FromShim, req.Manifest.Shim, req.Shim}, {"MokManager", installplan.FromMokManager, req.Manifest.MokManager, req.MokManager}} {
		if b.want == nil {
			continue
		}
		sum := sha256.Sum256(b.data)
		if hex.EncodeToString(sum[:]) != b.want.SHA256 || int64(len(b.data)) != b.want.Size {
			return nil, fail(errcode.PayloadCorrupt, "install: the %s on the installer medium does not match its manifest (sha256 %x): the medium is damaged, write it again", b.what, sum)
		}
		sums[b.src] = sum
	}
	return sums, nil
}

// payload is the bytes of each plan source but the config.
func (req Request) payload() map[installplan.Source][]byte {
	return map[installplan.Source][]byte{installplan.FromRuntimeUKI: req.UKI, installplan.FromShim: req.Shim, installplan.FromMokManager: req.MokManager}
}

// Run installs unattended: the disk is the one req.Answers.Disk
// selects, a disk holding data is only overwritten with
// req.Answers.Wipe, and the settings are the answers' (a bad one is
// refused as an *answers.ParseError before any disk is looked at, as is
// a secure-boot: require the firmware would not meet).
func Run(ctx context.Context, env Env, req Request) (*Result, error) {
	checked, err := checkRequest(req)
	if err != nil {
		return nil, err
	}
	settings, err := req.Answers.CheckSettings(req.SettingDecls)
	if err != nil {
		return nil, err
	}
	req.Settings = settings
	sb, err := SecureBoot(env, req.Answers)
	if err != nil {
		return nil, err
	}
	env.progress(Progress{Step: step.Discover})
	start := time.Now()
	c, err := selectTarget(env, req.Answers)
	if err != nil {
		return nil, err
	}
	// The disks were looked at just now: no second look before the plan.
	req.Target, req.Typed = c, ""
	return install(env, req, target{c, sb, checked}, start)
}

// Install installs onto req.Target, which the user chose earlier: the
// disks are looked at again, and the disk must still be there, be the
// same disk, be eligible, and be confirmed by req.Answers.Wipe or
// req.Typed if it holds data. It then plans the install, announces the
// plan, and executes it.
func Install(ctx context.Context, env Env, req Request) (*Result, error) {
	start := time.Now()
	checked, err := checkRequest(req)
	if err != nil {
		return nil, err
	}
	sb, err := SecureBoot(env, req.Answers)
	if err != nil {
		return nil, err
	}
	c, err := rediscover(env, req.Target)
	if err != nil {
		return nil, err
	}
	return install(env, req, target{c, sb, checked}, start)
}

// target is what an install starts from, each looked at once: the disk
// as found, the Secure Boot decision on this firmware, and the SHA-256
// of the payload checked against the manifest.
type target struct {
	disk    installplan.Candidate
	sb      sbenroll.Decision
	checked map[installplan.Source][32]byte
}

// install confirms, plans and executes an install onto t; start is
// when the install began, for the progress reports.
func install(env Env, req Request, t target, start time.Time) (*Result, error) {
	c := t.disk
	if err := installplan.Confirm(c, req.Answers.Wipe, req.Typed); err != nil {
		return nil, err
	}
	env.progress(Progress{Step: step.Plan, Percent: stepFrom(step.Plan), Elapsed: time.Since(start)})
	plan, err := makePlan(env, c, req, t.sb)
	if err != nil {
		return nil, err
	}
	if env.Events != nil {
		env.Events.Emit(event.Plan{Plan: plan})
	}
	env.log("secure boot: %s", plan.SecureBoot.Note)
	res, err := execute(env, plan, req.payload(), t.checked, start)
	if err != nil {
		return nil, err
	}
	res.Disk = c.Disk
	return res, nil
}

// Plan plans installing req's manifest's release onto c with req's
// answers and settings (req.Target, req.Typed and req.UKI are not
// looked at): what "installer --plan" prints and Install executes. The
// GUIDs come from env.Seed and the disk's serial, so without a seed the
// plan is the same for the same disk, machine and answers.
func Plan(env Env, c installplan.Candidate, req Request) (*installplan.Plan, error) {
	sb, err := SecureBoot(env, req.Answers)
	if err != nil {
		return nil, err
	}
	return makePlan(env, c, req, sb)
}

// makePlan is Plan with the Secure Boot decision already made.
func makePlan(env Env, c installplan.Candidate, req Request, sb sbenroll.Decision) (*installplan.Plan, error) {
	info, _ := sysinfo.Read(env.ProcRoot, env.SysRoot) // no SMBIOS UUID: the identity rests on the disk
	m := req.Manifest
	return installplan.MakePlan(installplan.Request{
		Target: c, Answers: req.Answers,
		Product: m.Product, Version: m.Version,
		RuntimeUKISize: m.RuntimeUKISize, RuntimeUKISHA256: m.RuntimeUKISHA256, Config: m.Config,
		Shim: m.Shim.Of(), MokManager: m.MokManager.Of(),
		ProductUUID:  info.ProductUUID,
		Seed:         append(append([]byte(nil), env.Seed...), c.Disk.Serial...),
		SettingDecls: req.SettingDecls, Settings: req.Settings,
		SecureBoot: sb,
	})
}

// SecureBoot decides what the install does about Secure Boot on this
// machine with these answers (nil: the defaults, secure-boot: off). A
// refusal is an *Error with code secure-boot-required, before anything
// is written.
func SecureBoot(env Env, a *answers.Answers) (sbenroll.Decision, error) {
	if a == nil {
		d := answers.Default()
		a = &d
	}
	d, err := sbenroll.Decide(sbenroll.Request{
		Policy: a.SecureBootPolicy(), Microsoft: a.MicrosoftKeys(),
		Firmware: sbenroll.ReadFirmware(env.Vars, env.SecureBootKeys), Keys: env.SecureBootKeys,
	})
	if err != nil {
		return d, &Error{Code: sbenroll.Code(err), Err: fmt.Errorf("install: %w", err)}
	}
	return d, nil
}
