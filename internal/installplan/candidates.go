// Package installplan decides, without writing anything, where and how
// the Plinth installer installs: which disks may be installed to at all
// (Candidates), which one the answers or the user picked (Select),
// whether overwriting it has been confirmed (Confirm), and the exact
// plan (MakePlan) that "installer --plan" prints and the installer then
// carries out.
//
// Every rule here is there because users of installers like this one
// have been burned:
//
//   - Wrong disk wiped: the boot medium (the disk holding the partition
//     the firmware loaded us from, or the ISO) is never eligible, even
//     when it is the largest disk; neither are mounted, read-only,
//     CD-ROM or too-small disks, nor disks holding an ISO 9660 image.
//     "largest"/"smallest" refuse to guess between equal disks.
//   - Unstable device names: disks are chosen by serial, WWN or
//     by-id names, never by sdX; the short id people type is derived
//     from the serial (or a hash of WWN/model/size), not the kernel name.
//   - Data lost silently: a disk with partitions or any known
//     signature (GPT, MBR, ext4, FAT, ISO 9660, NTFS, XFS, Btrfs, LUKS,
//     LVM, swap) is only overwritten with wipe: true or the typed id.
//   - Silent failures: every refusal is an *Error with a code for the
//     installer's machine-readable "error" event and a message that
//     lists the disks and the reasons.
package installplan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/probe"
)

// Requirements are the minimums a machine and disk must meet. The zero
// value means disklayout.MinDiskSize and no RAM or CPU minimum.
type Requirements struct {
	MinDiskSize int64 // bytes; raised to disklayout.MinDiskSize if lower
	MinRAM      int64 // bytes; 0: no check
	MinCPUs     int   // 0: no check
}

// DefaultRequirements are what the installer uses unless built otherwise.
func DefaultRequirements() Requirements {
	return Requirements{MinDiskSize: 8_000_000_000, MinRAM: 512 << 20, MinCPUs: 1}
}

func (r Requirements) minDisk() int64 {
	return max(r.MinDiskSize, disklayout.MinDiskSize)
}

// Facts are what the installer learned about the machine besides the
// disk list.
type Facts struct {
	// BootDisk is the disk the installer was booted from: a kernel name
	// ("sdb"), a /dev path, or a partition of it ("sdb2"). It is the disk
	// holding the partition whose PARTUUID is LoaderDevicePartUUID, or
	// the disk holding the running ISO. "" if unknown.
	BootDisk string
	// InUse maps a disk's kernel name to what uses it or its partitions
	// (blockdev.InUse: mounts, swap, device-mapper or RAID holders).
	InUse map[string][]blockdev.Use
	// Signatures maps a disk's kernel name to DetectSignatures of the
	// whole disk.
	Signatures map[string][]string
	RAM        int64 // bytes of memory, 0 if unknown
	CPUs       int   // online CPUs, 0 if unknown
}

// Candidate is one disk and whether it may be installed to.
type Candidate struct {
	Disk       disk.Disk `json:"disk"`
	ShortID    string    `json:"shortId"` // what people type to pick or confirm it
	ByID       []string  `json:"byId,omitempty"`
	Eligible   bool      `json:"eligible"`
	Reasons    []string  `json:"reasons,omitempty"` // why not eligible
	HasData    bool      `json:"hasData"`           // partitions or signatures: needs confirmation
	Signatures []string  `json:"signatures,omitempty"`
	// Codes parallels Reasons with an error code for each.
	Codes []errcode.Code `json:"-"`
}

// Describe names the candidate for people and error messages.
func (c Candidate) Describe() string {
	return fmt.Sprintf("[%s] %s", c.ShortID, c.Disk.Describe())
}

// Candidates judges every disk. The result has one Candidate per disk,
// in the order given, with short ids unique within the list.
func Candidates(disks []disk.Disk, f Facts, req Requirements) []Candidate {
	boot := diskName(f.BootDisk, disks)
	out := make([]Candidate, 0, len(disks))
	for _, d := range disks {
		c := Candidate{Disk: d, ByID: ByID(d), Signatures: f.Signatures[d.Name]}
		add := func(code errcode.Code, format string, a ...any) {
			c.Reasons = append(c.Reasons, fmt.Sprintf(format, a...))
			c.Codes = append(c.Codes, code)
		}
		if boot != "" && d.Name == boot {
			add(errcode.DiskIneligible, "boot medium")
		}
		if d.Transport == "cdrom" {
			add(errcode.DiskIneligible, "removable CD-ROM")
		}
		for _, u := range f.InUse[d.Name] {
			add(errcode.DiskIneligible, "%s", inUse(u))
		}
		if d.ReadOnly {
			add(errcode.DiskIneligible, "read-only")
		}
		if contains(c.Signatures, probe.ISO9660) && d.Name != boot {
			add(errcode.DiskIneligible, "holds an ISO 9660 image (an installer medium?)")
		}
		if !d.HasMedium() {
			add(errcode.NoDisk, "no medium")
		} else if d.Size < req.minDisk() {
			add(errcode.DiskTooSmall, "too small: %s < %s minimum", disk.HumanSize(d.Size), disk.HumanSize(req.minDisk()))
		}
		if bs := d.LogicalBlockSize; bs != 0 && bs != 512 && bs != 4096 {
			add(errcode.DiskIneligible, "unsupported sector size %d", bs)
		}
		c.Eligible = len(c.Reasons) == 0
		c.HasData = len(d.Partitions) > 0 || len(c.Signatures) > 0
		out = append(out, c)
	}
	assignShortIDs(out)
	return out
}

// inUse is the reason a disk in use is not eligible.
func inUse(u blockdev.Use) string {
	if u.Kind == blockdev.Mounted {
		return fmt.Sprintf("mounted: %s on %s", u.Device, u.By)
	}
	return "in use: " + u.String()
}

// CheckMachine returns an *Error (code machine-too-small) when the
// machine has less memory or fewer CPUs than req asks; unknown (zero)
// facts pass.
func CheckMachine(f Facts, req Requirements) error {
	var why []string
	if req.MinRAM > 0 && f.RAM > 0 && f.RAM < req.MinRAM {
		why = append(why, fmt.Sprintf("memory %d MiB < %d MiB minimum", f.RAM>>20, req.MinRAM>>20))
	}
	if req.MinCPUs > 0 && f.CPUs > 0 && f.CPUs < req.MinCPUs {
		why = append(why, fmt.Sprintf("%d CPUs < %d minimum", f.CPUs, req.MinCPUs))
	}
	if len(why) > 0 {
		return errorf(errcode.MachineTooSmall, "this machine is too small: %s", strings.Join(why, "; "))
	}
	return nil
}

// diskName resolves f.BootDisk (name, /dev path or partition) to the
// name of a disk in disks, or returns the cleaned name if none matches.
func diskName(s string, disks []disk.Disk) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "/dev/")
	if s == "" {
		return ""
	}
	for _, d := range disks {
		if d.Name == s || d.Path == "/dev/"+s || contains(d.Partitions, s) {
			return d.Name
		}
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// shortIDBase is the long form a short id is cut from: the serial, or a
// hash of WWN, model and size for disks without one.
func shortIDBase(d disk.Disk) string {
	if s := udevString(d.Serial); len(s) >= 4 {
		return strings.ToLower(s)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", d.Serial, d.WWN, d.Model, d.Size)))
	return hex.EncodeToString(h[:])
}

// assignShortIDs gives each candidate the last 6 characters of its base,
// lengthening all colliding ids until they differ. Disks that still
// collide (identical serials) get their kernel name appended, which is
// then only good for this boot; Select refuses ambiguous serials anyway.
func assignShortIDs(cs []Candidate) {
	bases := make([]string, len(cs))
	n := make([]int, len(cs))
	for i, c := range cs {
		bases[i] = shortIDBase(c.Disk)
		n[i] = min(6, len(bases[i]))
	}
	id := func(i int) string { return bases[i][len(bases[i])-n[i]:] }
	for changed := true; changed; {
		changed = false
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				if id(i) != id(j) {
					continue
				}
				for _, k := range []int{i, j} {
					if n[k] < len(bases[k]) {
						n[k]++
						changed = true
					}
				}
			}
		}
	}
	seen := map[string]int{}
	for i := range cs {
		cs[i].ShortID = id(i)
		seen[cs[i].ShortID]++
	}
	for i := range cs {
		if seen[cs[i].ShortID] > 1 {
			cs[i].ShortID += "-" + cs[i].Disk.Name
		}
	}
}
