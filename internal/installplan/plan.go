package installplan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/provision"
)

// Plan is everything the installer is about to do, as "installer
// --plan" prints it and the "plan" event carries it. Field order is
// fixed by the struct, so the JSON is deterministic for the same inputs.
type Plan struct {
	Product    string           `json:"product"`
	Version    string           `json:"version"`
	Disk       PlanDisk         `json:"disk"`
	Partitions []PlanPart       `json:"partitions"`
	ESPFiles   []PlanFile       `json:"espFiles"`
	BootEntry  PlanBoot         `json:"bootEntry"`
	Config     PlanConfig       `json:"config"`
	After      string           `json:"after"` // reboot or poweroff
	Layout     provision.Layout `json:"-"`     // for the installer to carry out
	Overwrite  PlanOverwrite    `json:"overwrite"`
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

// PlanPart is one partition of the new GPT.
type PlanPart struct {
	Number     int       `json:"number"`
	Name       string    `json:"name"` // GPT partition name (PARTLABEL)
	TypeGUID   guid.GUID `json:"typeGuid"`
	UniqueGUID guid.GUID `json:"uniqueGuid"` // PARTUUID
	FirstLBA   uint64    `json:"firstLba"`
	LastLBA    uint64    `json:"lastLba"`
	SizeBytes  int64     `json:"sizeBytes"`
	Filesystem string    `json:"filesystem"`
	Label      string    `json:"label"` // filesystem label
}

// PlanFile is a file written to the ESP. Size 0 and no SHA256 mean not
// known when the plan is made (the config is generated during install).
type PlanFile struct {
	Path   string `json:"path"` // relative to the ESP root, forward slashes
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	What   string `json:"what"`
}

// PlanBoot is the UEFI boot entry the installer creates (or reuses: it
// is matched by device path, so reinstalls do not pile up entries) and
// puts first in BootOrder.
type PlanBoot struct {
	Label        string `json:"label"`
	LoaderPath   string `json:"loaderPath"`   // UEFI form, \EFI\...
	FallbackPath string `json:"fallbackPath"` // removable-media copy
	DevicePath   string `json:"devicePath"`   // HD(1,GPT,...)/File(...)
}

// PlanConfig summarises the installed configuration.
type PlanConfig struct {
	Hostname    string   `json:"hostname"` // "" when derived at install time
	HostnameSet bool     `json:"hostnameSet"`
	NetworkMode string   `json:"networkMode"`
	Address     string   `json:"address,omitempty"`
	Gateway     string   `json:"gateway,omitempty"`
	DNS         []string `json:"dns,omitempty"`
}

// LoaderPath is where the runtime UKI goes on the ESP (forward
// slashes, relative to the ESP root): EFI/plinth/<product>.efi. mkiso's
// disk images use it too, so images and installs agree.
func LoaderPath(product string) string {
	return "EFI/plinth/" + appconfig.HostnamePrefix(product) + ".efi"
}

// MakePlan plans installing product version onto c with answers a
// (nil: defaults). seed makes the GPT GUIDs; the installer passes
// random bytes, tests a fixed seed. The same inputs give the same plan.
// MakePlan does not check confirmation: call Confirm first. A data
// size (a.DataSize) that does not fit on c is a CodeDataSizeInvalid
// error naming the disk and the largest size that fits.
func MakePlan(c Candidate, a *answers.Answers, product, version string, runtimeUKISize int64, seed []byte) (*Plan, error) {
	if a == nil {
		d := answers.Default()
		a = &d
	}
	if strings.TrimSpace(product) == "" {
		return nil, errorf(CodeInternal, "installplan: empty product name")
	}
	if !c.Eligible {
		return nil, errorf(ineligibleCode(c), "installplan: disk %s cannot be installed to: %s", c.Describe(), strings.Join(c.Reasons, "; "))
	}
	if c.Disk.Size < provision.MinDiskSize {
		return nil, errorf(CodeDiskTooSmall, "installplan: disk %s is too small: Plinth needs at least %d MiB", c.Describe(), provision.MinDiskSize>>20)
	}
	if runtimeUKISize <= 0 {
		return nil, errorf(CodeInternal, "installplan: runtime UKI size %d", runtimeUKISize)
	}
	// The UKI is written twice (loader and fallback); leave room for
	// the config and FAT overhead.
	if 2*runtimeUKISize > provision.ESPSize-16<<20 {
		return nil, errorf(CodeInternal, "installplan: runtime UKI of %d MiB does not fit twice on the %d MiB ESP", runtimeUKISize>>20, provision.ESPSize>>20)
	}
	ss := c.Disk.LogicalBlockSize
	if ss == 0 {
		ss = 512
	}
	if a.DataSize < 0 {
		return nil, errorf(CodeDataSizeInvalid, "installplan: negative data partition size %d", a.DataSize)
	}
	l, err := provision.Plan(c.Disk.Size, ss, a.DataSize, seed)
	if err != nil {
		var dse *provision.DataSizeError
		if errors.As(err, &dse) {
			return nil, &Error{Code: CodeDataSizeInvalid, Message: fmt.Sprintf("installplan: disk %s: %v", c.Describe(), dse), Err: err}
		}
		return nil, &Error{Code: CodeDiskTooSmall, Message: fmt.Sprintf("installplan: disk %s: %v", c.Describe(), err), Err: err}
	}
	loader := LoaderPath(product)
	hd := efivar.GPTHardDrive(uint32(l.ESP.Number), l.ESP.FirstLBA, l.ESP.Sectors(), l.ESP.GUID)
	dp, err := efivar.DiskBootPath(hd, "/"+loader)
	if err != nil {
		return nil, &Error{Code: CodeInternal, Message: fmt.Sprintf("installplan: boot path: %v", err), Err: err}
	}
	uefiLoader, _ := efivar.NormalizeLoaderPath("/" + loader)
	fallback, _ := efivar.NormalizeLoaderPath("/" + provision.FallbackPath)

	p := &Plan{
		Product: product,
		Version: version,
		Disk: PlanDisk{
			Name: c.Disk.Name, Path: c.Disk.Path, Model: c.Disk.Model, Serial: c.Disk.Serial, WWN: c.Disk.WWN,
			ShortID: c.ShortID, ByID: c.ByID, Size: c.Disk.Size, SectorSize: ss, GUID: l.DiskGUID,
		},
		Partitions: []PlanPart{
			part(l, l.ESP, "vfat", provision.ESPLabel),
			part(l, l.Data, appconfig.FSExt4, provision.DataName),
		},
		ESPFiles: []PlanFile{
			{Path: loader, Size: runtimeUKISize, What: "runtime UKI"},
			{Path: provision.FallbackPath, Size: runtimeUKISize, What: "runtime UKI, removable-media fallback copy"},
			{Path: appconfig.RelPath, What: "installed configuration"},
		},
		BootEntry: PlanBoot{Label: product, LoaderPath: uefiLoader, FallbackPath: fallback, DevicePath: dp.String()},
		Config:    PlanConfig{Hostname: a.Hostname, HostnameSet: a.Hostname != "", NetworkMode: a.Network.Mode},
		After:     a.After,
		Layout:    l,
		Overwrite: PlanOverwrite{HasData: c.HasData, Partitions: c.Disk.Partitions, Signatures: c.Signatures},
	}
	if p.Config.NetworkMode == "" {
		p.Config.NetworkMode = answers.NetDHCP
	}
	if p.After == "" {
		p.After = answers.AfterReboot
	}
	if a.Network.Address.IsValid() {
		p.Config.Address = a.Network.Address.String()
	}
	if a.Network.Gateway.IsValid() {
		p.Config.Gateway = a.Network.Gateway.String()
	}
	for _, d := range a.Network.DNS {
		p.Config.DNS = append(p.Config.DNS, d.String())
	}
	return p, nil
}

// SetFileDigest records the size and SHA-256 (hex) of an ESP file once
// known; it reports whether path is in the plan.
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

func part(l provision.Layout, p gpt.Partition, fs, label string) PlanPart {
	return PlanPart{
		Number: p.Number, Name: p.Name, TypeGUID: p.Type, UniqueGUID: p.GUID,
		FirstLBA: p.FirstLBA, LastLBA: p.LastLBA, SizeBytes: l.Size(p), Filesystem: fs, Label: label,
	}
}
