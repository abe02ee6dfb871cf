package upgrade

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/vfat"
)

// Layouts of an installation's ESP.
const (
	// LayoutSlots: EFI/plinth/slots.json and the A/B slots.
	LayoutSlots = "slots"
	// LayoutLegacy: one runtime UKI from before slots (abslot.LegacyPath);
	// the upgrade converts it, the UKI becoming slot A.
	LayoutLegacy = "legacy"
)

// Installation is a Plinth installation found on a disk: a GPT disk
// with an EFI system partition holding EFI/plinth/plinth.json.
type Installation struct {
	Disk installplan.Candidate `json:"disk"`
	// Product and Version are the installed product (plinth.json) and
	// its committed version: the committed slot's (slots.json), or
	// plinth.json's for a legacy layout.
	Product string `json:"product,omitempty"`
	Version string `json:"version,omitempty"`
	Layout  string `json:"layout,omitempty"` // LayoutSlots or LayoutLegacy
	// Committed is the slot the firmware boots by default ("" for a
	// legacy layout); Trial is a trial boot slots.json records, nil when
	// none.
	Committed abslot.Slot         `json:"committed,omitempty"`
	Trial     *abslot.TrialRecord `json:"trial,omitempty"`
	Hostname  string              `json:"hostname,omitempty"`
	MachineID string              `json:"machineID,omitempty"`
	// Shim: the ESP boots through shim (EFI/plinth/shimx64.efi is there).
	Shim        bool      `json:"shim"`
	ESPPartUUID guid.GUID `json:"espPartUUID"`
	// DataPartUUID is the config's data partition when the disk has it;
	// zero when it is not on this disk.
	DataPartUUID guid.GUID `json:"dataPartUUID,omitzero"`
	// Problem says why the installation cannot be read (a damaged
	// plinth.json or slots.json, no runtime UKI); "" when it can. Such an
	// installation is listed, and never upgraded.
	Problem string `json:"problem,omitempty"`

	ESP        gpt.Partition  `json:"-"` // the ESP's GPT entry
	Data       *gpt.Partition `json:"-"` // the data partition's, nil when absent
	DiskGUID   guid.GUID      `json:"-"`
	SectorSize int            `json:"-"`
	config     []byte         // plinth.json as read, which the upgrade must leave as it is
}

// Describe names the installation for people and error messages.
func (in Installation) Describe() string {
	if in.Problem != "" {
		return fmt.Sprintf("%s: a damaged installation (%s)", in.Disk.Describe(), in.Problem)
	}
	return fmt.Sprintf("%s: %s %s", in.Disk.Describe(), in.Product, in.Version)
}

// Find lists the Plinth installations on the machine's disks, of any
// product, in disk order. It reads each disk's GPT and its ESPs from the
// raw disk and mounts nothing; the boot medium and CD-ROMs are not
// looked at. An ineligible disk (mounted, read-only) is listed with its
// Candidate's reasons, and refused when it is picked.
func Find(env install.Env) ([]Installation, error) {
	s, err := install.Look(env)
	if err != nil {
		return nil, err
	}
	return FindIn(env, s), nil
}

// FindIn is Find on the disks of an earlier look.
func FindIn(env install.Env, s install.Survey) []Installation {
	return find(env, candidates(env, s), s.Facts.BootDisk)
}

// candidates are the disks of s as install candidates without the
// installer's minimum disk size: an installed disk holds the layout
// already.
func candidates(env install.Env, s install.Survey) []installplan.Candidate {
	env.Req.MinDiskSize = 0
	return s.Candidates(env)
}

func find(env install.Env, cands []installplan.Candidate, bootDisk string) []Installation {
	boot := strings.TrimPrefix(bootDisk, "/dev/")
	var out []Installation
	for _, c := range cands {
		if boot != "" && c.Disk.Name == boot || c.Disk.Transport == "cdrom" || !c.Disk.HasMedium() {
			continue
		}
		if in, ok := inspect(blockdev.Roots{Dev: env.DevRoot}.Node(c.Disk.Name), c); ok {
			out = append(out, in)
		}
	}
	return out
}

// inspect reads the installation on the disk at node, if it holds one:
// the first ESP holding plinth.json.
func inspect(node string, c installplan.Candidate) (Installation, bool) {
	f, err := blockdev.Open(node, blockdev.Options{})
	if err != nil {
		return Installation{}, false
	}
	defer f.Close()
	t, err := gpt.Read(f, f.Size(), f.SectorSize())
	if err != nil {
		return Installation{}, false
	}
	for _, p := range t.Partitions {
		if p.Type != gpt.TypeESP {
			continue
		}
		if in, ok := readESP(f, t, p); ok {
			in.Disk = c
			return in, true
		}
	}
	return Installation{}, false
}

// readESP reads the installation on ESP p of the disk r, whose GPT is t.
func readESP(r io.ReaderAt, t *gpt.Table, p gpt.Partition) (Installation, bool) {
	ss := int64(t.SectorSize)
	fsys, err := vfat.Open(r, int64(p.FirstLBA)*ss, int64(p.Sectors())*ss)
	if err != nil {
		return Installation{}, false
	}
	b, err := fsys.ReadFile(appconfig.RelPath)
	if errors.Is(err, fs.ErrNotExist) {
		return Installation{}, false
	}
	in := Installation{ESP: p, ESPPartUUID: p.GUID, DiskGUID: t.DiskGUID, SectorSize: t.SectorSize, config: b}
	if err != nil {
		in.Problem = fmt.Sprintf("%s cannot be read: %v", appconfig.RelPath, err)
		return in, true
	}
	cfg, err := appconfig.Parse(b)
	if err != nil {
		in.Problem = fmt.Sprintf("%s: %v", appconfig.RelPath, err)
		return in, true
	}
	in.Product, in.Version, in.Hostname, in.MachineID = cfg.Product, cfg.Version, cfg.Hostname, cfg.MachineID
	if in.Data = dataPartition(t, cfg.Data); in.Data != nil {
		in.DataPartUUID = in.Data.GUID
	}
	_, err = fsys.Stat(path.Join(abslot.Dir, bootchain.ShimName))
	in.Shim = err == nil
	in.readSlots(fsys)
	return in, true
}

// readSlots reads slots.json, or finds the legacy UKI without it.
func (in *Installation) readSlots(fsys *vfat.FS) {
	b, err := fsys.ReadFile(abslot.StatePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		legacy := abslot.LegacyPath(in.Product)
		if _, err := fsys.Stat(legacy); err != nil {
			in.Problem = fmt.Sprintf("the ESP holds neither %s nor the runtime UKI %s", abslot.StatePath, legacy)
			return
		}
		in.Layout = LayoutLegacy
	case err != nil:
		in.Problem = fmt.Sprintf("%s cannot be read: %v", abslot.StatePath, err)
	default:
		st, err := abslot.ParseState(b)
		if err != nil {
			in.Problem = err.Error()
			return
		}
		in.Layout, in.Committed, in.Trial = LayoutSlots, st.Committed, st.Trial
		in.Version = st.Slot(st.Committed).Version
	}
}

// dataPartition is the partition of t the config's data partition
// names, as the appliance finds it: by PARTUUID, else by a label only
// one partition has.
func dataPartition(t *gpt.Table, d appconfig.Data) *gpt.Partition {
	var byLabel []gpt.Partition
	for _, p := range t.Partitions {
		if !d.PartUUID.IsZero() && p.GUID == d.PartUUID {
			return &p
		}
		if d.Label != "" && p.Name == d.Label {
			byLabel = append(byLabel, p)
		}
	}
	if len(byLabel) == 1 {
		return &byLabel[0]
	}
	return nil
}
