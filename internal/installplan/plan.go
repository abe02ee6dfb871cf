package installplan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/provision"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/setting"
)

// Plan is everything the installer is about to do, as "installer
// --plan" prints it and the "plan" event carries it, and what
// internal/install then carries out: the GPT it writes is Partitions,
// the files on the ESP are ESPFiles, the boot entry is BootEntry. Field
// order is fixed by the struct, so the JSON is deterministic for the
// same inputs.
type Plan struct {
	Product    string        `json:"product"`
	Version    string        `json:"version"`
	Disk       PlanDisk      `json:"disk"`
	Partitions []PlanPart    `json:"partitions"`
	ESPFiles   []PlanFile    `json:"espFiles"`
	BootEntry  PlanBoot      `json:"bootEntry"`
	Config     PlanConfig    `json:"config"`
	After      string        `json:"after"` // reboot or poweroff
	Overwrite  PlanOverwrite `json:"overwrite"`
	// SecureBoot is what the install does about Secure Boot: whether it
	// enrolls the installer image's keys after the disk is verified, with
	// which writes, and why (internal/sbenroll).
	SecureBoot sbenroll.Decision `json:"secureBoot"`
	// Installed is the configuration written to the ESP: the ESPFiles
	// entry from FromConfig is its appconfig.Marshal encoding, whose
	// size and SHA-256 the plan shows.
	Installed *appconfig.Config `json:"-"`
	// Slots is the A/B state written to the ESP (abslot.StatePath): the
	// runtime UKI is slot A, committed; slot B is empty until the first
	// update.
	Slots *abslot.State `json:"-"`
}

// PlanDisk is the target disk.
type PlanDisk struct {
	Name       string    `json:"name"` // kernel name: for this boot only
	Path       string    `json:"path"`
	Model      string    `json:"model,omitempty"`
	Serial     string    `json:"serial,omitempty"`
	WWN        string    `json:"wwn,omitempty"`
	ShortID    string    `json:"shortId"`
	ByID       []string  `json:"byId,omitempty"`
	Size       int64     `json:"size"`
	SectorSize int       `json:"sectorSize"`
	GUID       guid.GUID `json:"guid"` // the new GPT's disk GUID
}

// PlanOverwrite says what on the disk is destroyed.
type PlanOverwrite struct {
	HasData    bool     `json:"hasData"`
	Partitions []string `json:"partitions,omitempty"`
	Signatures []string `json:"signatures,omitempty"`
}

// PlanPart is one partition of the new GPT, as written, and the
// filesystem made in it. Its JSON names the GPT fields as the plan has
// always shown them (planjson.go).
type PlanPart struct {
	gpt.Partition                      // Name is the PARTLABEL, GUID the PARTUUID
	SizeBytes     int64                // Sectors() times the disk's sector size
	Filesystem    provision.Filesystem // made in it
	Label         string               // filesystem label
}

// Source is where the bytes of an ESP file come from.
type Source string

// Sources.
const (
	FromRuntimeUKI = Source(bootchain.RuntimeUKI) // the runtime UKI the installer's manifest describes
	FromShim       = Source(bootchain.Shim)       // the shim the installer carries (mkiso -shim)
	FromMokManager = Source(bootchain.MokManager) // the MokManager beside it
	FromConfig     = Source("config")             // Plan.Installed, encoded
	FromSlotState  = Source("slot-state")         // Plan.Slots, encoded
)

// PlanFile is a file written to the ESP.
type PlanFile struct {
	Path   string `json:"path"` // relative to the ESP root, forward slashes
	Source Source `json:"-"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"` // lower-case hex; "" when the request gave no digest
	What   string `json:"what"`
}

// PlanBoot is the UEFI boot entry the installer creates (or reuses: it
// is matched by loader path, so reinstalls do not pile up entries) and
// puts first in BootOrder. In JSON the device path is its text form
// (planjson.go).
type PlanBoot struct {
	Label        string
	LoaderPath   string            // UEFI form, \EFI\...
	FallbackPath string            // removable-media copy
	DevicePath   efivar.DevicePath // HD(n,GPT,...)/File(...)
	// SecondStage is what shim starts (UEFI form), named in the load
	// option's optional data; "" when the entry starts the UKI itself.
	SecondStage string
}

// Option is the load option the entry is written as.
func (b PlanBoot) Option() (*efivar.LoadOption, error) {
	o, err := efivar.NewBootOption(b.Label, b.DevicePath)
	if err != nil {
		return nil, err
	}
	o.OptionalData, err = bootchain.Entry{SecondStage: b.SecondStage}.OptionalData()
	return o, err
}

// PlanConfig summarises the installed configuration as the answers set
// it; Plan.Installed is the whole of it.
type PlanConfig struct {
	Hostname    string   `json:"hostname"` // "" when derived from the machine
	HostnameSet bool     `json:"hostnameSet"`
	NetworkMode string   `json:"networkMode"`
	Address     string   `json:"address,omitempty"`
	Gateway     string   `json:"gateway,omitempty"`
	DNS         []string `json:"dns,omitempty"`
	// Settings are the values of the product's per-machine settings,
	// defaults filled in, as the installed config stores them.
	Settings map[string]setting.Value `json:"settings,omitempty"`
}

// LoaderPath is where the runtime UKI goes on the ESP (forward
// slashes, relative to the ESP root): slot A (package abslot). mkiso's
// disk images use it too, so images and installs agree.
func LoaderPath() string { return abslot.A.Path() }

// SlotState is the A/B state of a fresh install of version whose runtime
// UKI has size bytes and SHA-256 sha256Hex: slot A committed.
func SlotState(version string, size int64, sha256Hex string) (*abslot.State, error) {
	var sum [32]byte
	if n, err := hex.Decode(sum[:], []byte(sha256Hex)); err != nil || n != len(sum) {
		return nil, fmt.Errorf("installplan: runtime UKI digest %q is not 64 hex digits", sha256Hex)
	}
	return abslot.NewState(version, size, sum), nil
}

// Request is what a plan is made from.
type Request struct {
	Target  Candidate
	Answers *answers.Answers // nil: defaults
	// The release, as the installer medium's manifest describes it.
	Product, Version string
	RuntimeUKISize   int64
	RuntimeUKISHA256 string // hex; "" leaves the UKI files' digests out of the plan
	// Shim and MokManager are the shim chain's binaries the installer
	// carries (zero Size: none; the UKI is started directly).
	Shim, MokManager Digest
	Config           appconfig.Config // the product's config, before the disk gives it identity
	// SettingDecls are the product's per-machine settings
	// (productspec.Spec.Settings) and Settings this machine's values of
	// them (answers.Answers.CheckSettings, or the advanced screen).
	// MakePlan refuses values that do not match the declarations and
	// fills in defaults, so no disk is written for a config the
	// appliance would refuse.
	SettingDecls []setting.Decl
	Settings     map[string]setting.Value
	// ProductUUID is the machine's SMBIOS UUID: with the disk it makes
	// the derived hostname and machine ID.
	ProductUUID string
	// SecureBoot is the Secure Boot decision for this machine
	// (sbenroll.Decide, from Answers' secure-boot policy, the firmware and
	// the image's keys); zero is secure-boot: off.
	SecureBoot sbenroll.Decision
	// Seed makes the GPT GUIDs: the installer passes random bytes, tests
	// and "installer --plan" a fixed seed. The same request gives the
	// same plan.
	Seed []byte
}

// MakePlan plans installing r's release onto r.Target. It does not
// check confirmation: call Confirm first. A data size (Answers.DataSize)
// that does not fit is a errcode.DataSizeInvalid error naming the disk and
// the largest size that fits.
func MakePlan(r Request) (*Plan, error) {
	if r.Answers == nil {
		d := answers.Default()
		r.Answers = &d
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	settings, err := setting.Validate(r.SettingDecls, r.Settings)
	if err != nil {
		return nil, &Error{Code: errcode.AnswersInvalid, Message: fmt.Sprintf("installplan: settings: %v", err), Err: err}
	}
	l, err := r.layout()
	if err != nil {
		return nil, err
	}
	boot, err := bootEntry(abslot.ESP{Product: r.Product}.Label(abslot.A), r.chain(), l.ESP)
	if err != nil {
		return nil, err
	}
	cfg, err := r.installedConfig(l, settings)
	if err != nil {
		return nil, err
	}
	var slots *abslot.State // nil without the UKI's digest: the plan shows no digests then
	if r.RuntimeUKISHA256 != "" {
		if slots, err = SlotState(r.Version, r.RuntimeUKISize, strings.ToLower(r.RuntimeUKISHA256)); err != nil {
			return nil, &Error{Code: errcode.Internal, Message: err.Error(), Err: err}
		}
	}
	files, err := espFiles(r, cfg, slots)
	if err != nil {
		return nil, err
	}
	sb, err := r.secureBoot()
	if err != nil {
		return nil, err
	}
	c := r.Target
	return &Plan{
		Product: r.Product,
		Version: r.Version,
		Disk: PlanDisk{
			Name: c.Disk.Name, Path: c.Disk.Path, Model: c.Disk.Model, Serial: c.Disk.Serial, WWN: c.Disk.WWN,
			ShortID: c.ShortID, ByID: c.ByID, Size: c.Disk.Size, SectorSize: l.SectorSize, GUID: l.DiskGUID,
		},
		Partitions: []PlanPart{
			part(l, l.ESP, provision.VFAT, disklayout.ESPLabel),
			part(l, l.Data, provision.Ext4, disklayout.DataName),
		},
		ESPFiles:   files,
		BootEntry:  boot,
		Config:     configSummary(r.Answers, cfg),
		After:      cmp.Or(r.Answers.After, answers.AfterReboot),
		Overwrite:  PlanOverwrite{HasData: c.HasData, Partitions: c.Disk.Partitions, Signatures: c.Signatures},
		SecureBoot: sb,
		Installed:  cfg,
		Slots:      slots,
	}, nil
}

// check refuses a request no layout can satisfy.
func (r Request) check() error {
	c := r.Target
	switch {
	case strings.TrimSpace(r.Product) == "":
		return errorf(errcode.Internal, "installplan: empty product name")
	case !c.Eligible:
		return errorf(ineligibleCode(c), "installplan: disk %s cannot be installed to: %s", c.Describe(), strings.Join(c.Reasons, "; "))
	case c.Disk.Size < disklayout.MinDiskSize:
		return errorf(errcode.DiskTooSmall, "installplan: disk %s is too small: Plinth needs at least %d MiB", c.Describe(), disklayout.MinDiskSize>>20)
	case r.RuntimeUKISize <= 0:
		return errorf(errcode.Internal, "installplan: runtime UKI size %d", r.RuntimeUKISize)
	// The chain is written twice (loader and fallback); leave room for
	// the config and FAT overhead.
	case 2*(r.RuntimeUKISize+r.Shim.Size+r.MokManager.Size) > disklayout.ESPSize-16<<20:
		return errorf(errcode.Internal, "installplan: runtime UKI of %d MiB (and shim) does not fit twice on the %d MiB ESP", r.RuntimeUKISize>>20, disklayout.ESPSize>>20)
	case r.Answers.DataSize < 0:
		return errorf(errcode.DataSizeInvalid, "installplan: negative data partition size %d", r.Answers.DataSize)
	}
	return nil
}

// secureBoot is the request's Secure Boot decision, which must be one for
// the answers' policy: a plan never enrolls keys the answers did not ask
// for.
func (r Request) secureBoot() (sbenroll.Decision, error) {
	d := r.SecureBoot
	if d.Policy == "" {
		off, err := sbenroll.Decide(sbenroll.Request{Policy: answers.SecureBootOff})
		return off, err
	}
	if want := r.Answers.SecureBootPolicy(); d.Policy != want {
		return d, errorf(errcode.Internal, "installplan: Secure Boot decided for secure-boot: %s, the answers say %s", d.Policy, want)
	}
	return d, nil
}

// layout places the partitions on the disk.
func (r Request) layout() (provision.Layout, error) {
	c := r.Target
	ss := c.Disk.LogicalBlockSize
	if ss == 0 {
		ss = 512
	}
	l, err := provision.Plan(c.Disk.Size, ss, r.Answers.DataSize, r.Seed)
	if err != nil {
		var dse *provision.DataSizeError
		if errors.As(err, &dse) {
			return l, &Error{Code: errcode.DataSizeInvalid, Message: fmt.Sprintf("installplan: disk %s: %v", c.Describe(), dse), Err: err}
		}
		return l, &Error{Code: errcode.DiskTooSmall, Message: fmt.Sprintf("installplan: disk %s: %v", c.Describe(), err), Err: err}
	}
	return l, nil
}

// bootEntry is the entry labelled label that starts the runtime UKI from
// the ESP, directly or through shim.
func bootEntry(label string, chain bootchain.Chain, esp gpt.Partition) (PlanBoot, error) {
	e := chain.Entry(LoaderPath())
	loader := "/" + e.Loader
	hd := efivar.GPTHardDrive(uint32(esp.Number), esp.FirstLBA, esp.Sectors(), esp.GUID)
	dp, err := efivar.DiskBootPath(hd, loader)
	if err != nil {
		return PlanBoot{}, &Error{Code: errcode.Internal, Message: fmt.Sprintf("installplan: boot path: %v", err), Err: err}
	}
	uefiLoader, _ := efivar.NormalizeLoaderPath(loader)
	fallback, _ := efivar.NormalizeLoaderPath("/" + disklayout.FallbackPath)
	return PlanBoot{Label: label, LoaderPath: uefiLoader, FallbackPath: fallback, DevicePath: dp, SecondStage: e.SecondStage}, nil
}

// installedConfig is the product's config with the answers' hostname
// and network, the machine's settings and the identity this disk and
// machine give it.
func (r Request) installedConfig(l provision.Layout, settings map[string]setting.Value) (*appconfig.Config, error) {
	a := r.Answers
	base := r.Config
	base.Product, base.Version = r.Product, r.Version
	switch {
	case a.Network.Mode != "":
		base.Network = a.Network.Config()
	case base.Network.Mode == "":
		base.Network.Mode = appconfig.ModeDHCP
	}
	base.Settings = nil
	if len(settings) > 0 {
		base.Settings = settings
	}
	cfg := provision.Config(base, l, appconfig.Identity{Product: r.Product, ProductUUID: r.ProductUUID, DiskSerial: r.Target.Disk.Serial})
	if a.Hostname != "" {
		cfg.Hostname = a.Hostname // provision.Config derives one; the answers win
	}
	if err := cfg.Validate(); err != nil {
		return nil, &Error{Code: errcode.Internal, Message: fmt.Sprintf("installplan: installed config: %v", err), Err: err}
	}
	return cfg, nil
}

// espFiles lists what goes on the ESP: the boot chain's files (the
// runtime UKI in slot A and at the fallback path, and shim and
// MokManager with it when the installer carries them), the slots' state
// and the installed config.
func espFiles(r Request, cfg *appconfig.Config, slots *abslot.State) ([]PlanFile, error) {
	conf, err := appconfig.Marshal(cfg)
	if err != nil {
		return nil, &Error{Code: errcode.Internal, Message: fmt.Sprintf("installplan: installed config: %v", err), Err: err}
	}
	state := PlanFile{Path: abslot.StatePath, Source: FromSlotState, What: "A/B slot state: slot A committed"}
	if slots != nil {
		b, err := slots.Marshal()
		if err != nil {
			return nil, &Error{Code: errcode.Internal, Message: fmt.Sprintf("installplan: slot state: %v", err), Err: err}
		}
		state = planFile(state.Path, state.Source, b, state.What)
	}
	digests := map[bootchain.Binary]Digest{
		bootchain.RuntimeUKI: {Size: r.RuntimeUKISize, SHA256: r.RuntimeUKISHA256},
		bootchain.Shim:       r.Shim, bootchain.MokManager: r.MokManager,
	}
	var files []PlanFile
	for _, f := range r.chain().Files(LoaderPath()) {
		d := digests[f.Binary]
		files = append(files, PlanFile{Path: f.Path, Source: Source(f.Binary), Size: d.Size, SHA256: strings.ToLower(d.SHA256), What: f.What})
	}
	return append(files, state,
		planFile(appconfig.RelPath, FromConfig, conf, "installed configuration")), nil
}

// planFile is a file whose bytes the plan holds.
func planFile(path string, src Source, data []byte, what string) PlanFile {
	d := DigestOf(data)
	return PlanFile{Path: path, Source: src, Size: d.Size, SHA256: d.SHA256, What: what}
}

// Digest is the size and SHA-256 (hex) of a binary the installer
// carries; the installer's manifest describes shim and MokManager with it.
type Digest struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// DigestOf is the digest of data.
func DigestOf(data []byte) *Digest {
	sum := sha256.Sum256(data)
	return &Digest{Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// Of is the digest of *d, the zero Digest for nil (no such binary).
func (d *Digest) Of() Digest {
	if d == nil {
		return Digest{}
	}
	return *d
}

// chain is how the firmware will reach the runtime UKI: through shim when
// the installer carries it.
func (r Request) chain() bootchain.Chain { return bootchain.Chain{Shim: r.Shim.Size > 0} }

func configSummary(a *answers.Answers, cfg *appconfig.Config) PlanConfig {
	n := cfg.Network
	return PlanConfig{Hostname: a.Hostname, HostnameSet: a.Hostname != "", NetworkMode: n.Mode, Settings: cfg.Settings,
		Address: n.Address, Gateway: n.Gateway, DNS: n.DNS}
}

// ESP is the plan's EFI system partition.
func (p *Plan) ESP() (PlanPart, bool) {
	for _, q := range p.Partitions {
		if q.Type == gpt.TypeESP {
			return q, true
		}
	}
	return PlanPart{}, false
}

// SetFileDigest records the size and SHA-256 (hex) of an ESP file; it
// reports whether path is in the plan.
func (p *Plan) SetFileDigest(path string, size int64, sha256Hex string) bool {
	for i := range p.ESPFiles {
		if p.ESPFiles[i].Path == path {
			p.ESPFiles[i].Size, p.ESPFiles[i].SHA256 = size, strings.ToLower(sha256Hex)
			return true
		}
	}
	return false
}

// JSON is the plan as one line of JSON (for the "plan" event and
// installer --plan).
func (p *Plan) JSON() ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("installplan: encode plan: %w", err)
	}
	return b, nil
}

func part(l provision.Layout, p gpt.Partition, fs provision.Filesystem, label string) PlanPart {
	return PlanPart{Partition: p, SizeBytes: l.Size(p), Filesystem: fs, Label: label}
}
