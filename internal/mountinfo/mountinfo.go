// Package mountinfo parses /proc/<pid>/mountinfo, the kernel's list of the
// mounts a process sees (proc(5)). Code that must know whether a block
// device is mounted matches the entries' device numbers, which hold for
// every filesystem, rather than the mount source, which is only a name the
// filesystem chose.
package mountinfo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Dev is a device number as the kernel prints it ("major:minor"), in
// mountinfo and in sysfs "dev" files.
type Dev struct{ Major, Minor uint32 }

// String returns "major:minor".
func (d Dev) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// IsZero reports whether d is 0:0, which no block device has.
func (d Dev) IsZero() bool { return d == Dev{} }

// ParseDev parses "major:minor".
func ParseDev(s string) (Dev, error) {
	maj, min, ok := strings.Cut(strings.TrimSpace(s), ":")
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Dev{}, fmt.Errorf("mountinfo: device number %q is not major:minor", s)
	}
	return Dev{uint32(a), uint32(b)}, nil
}

// Mount is one line of mountinfo; the comments name the fields of
// proc(5). Paths are unescaped.
type Mount struct {
	ID       int    // (1) mount ID
	ParentID int    // (2) parent mount ID
	Dev      Dev    // (3) st_dev of files on this filesystem
	Root     string // (4) directory of the filesystem that is mounted
	// MountPoint is (5), relative to the reading process's root.
	MountPoint string
	Options    string   // (6) per-mount options, comma-separated
	Optional   []string // (7) optional fields, e.g. "shared:1", "master:3"
	FSType     string   // (9) filesystem type, e.g. "ext4"
	// Source is (10): a device path for disk filesystems, else whatever
	// the filesystem chose ("proc", "none", ...).
	Source       string
	SuperOptions string // (11) per-superblock options
}

// Read parses <procRoot>/self/mountinfo.
func Read(procRoot string) ([]Mount, error) {
	p := filepath.Join(procRoot, "self", "mountinfo")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("mountinfo: %w", err)
	}
	defer f.Close()
	ms, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return ms, nil
}

// Parse reads the mountinfo format:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Empty lines are skipped; any other line that does not fit is an error
// naming its number.
func Parse(r io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	// A line holds up to four paths of PATH_MAX and the options.
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		m, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo: line %d: %w", n, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mountinfo: read: %w", err)
	}
	return out, nil
}

func parseLine(line string) (Mount, error) {
	// The kernel escapes spaces inside fields, so single spaces separate
	// them; the optional fields end at the first lone "-".
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) < sep+3 {
		return Mount{}, fmt.Errorf("malformed: %q", line)
	}
	var m Mount
	var err error
	if m.ID, err = strconv.Atoi(f[0]); err != nil {
		return Mount{}, fmt.Errorf("mount ID %q: %w", f[0], err)
	}
	if m.ParentID, err = strconv.Atoi(f[1]); err != nil {
		return Mount{}, fmt.Errorf("parent ID %q: %w", f[1], err)
	}
	if m.Dev, err = ParseDev(f[2]); err != nil {
		return Mount{}, err
	}
	m.Root = Unescape(f[3])
	m.MountPoint = Unescape(f[4])
	m.Options = f[5]
	if sep > 6 {
		m.Optional = f[6:sep]
	}
	m.FSType = Unescape(f[sep+1])
	m.Source = Unescape(f[sep+2])
	if len(f) > sep+3 {
		m.SuperOptions = Unescape(f[sep+3])
	}
	return m, nil
}

// Unescape decodes the kernel's \ooo escapes, which mountinfo and
// /proc/swaps use for space, tab, newline and backslash, once: "\134040"
// is a backslash followed by "040". Malformed escapes stay as they are.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
