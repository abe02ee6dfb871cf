// Package answers reads install.yaml, the answers file of an unattended
// Plinth install, and decides whether it is acceptable. It decides
// nothing about real disks: it only checks that the answers are well
// formed, so that a typo stops the install with the line and field at
// fault instead of installing something nobody asked for.
//
// # Schema
//
//	mode: install            # install | upgrade (default install); see "Upgrade" below
//	disk: largest            # required: largest | smallest | serial:<SERIAL> | wwn:<WWN>
//	                         #   | by-id:/dev/disk/by-id/<name> | <SERIAL> (a bare serial);
//	                         #   with mode: upgrade optional (see below)
//	wipe: false              # a disk holding any partition or filesystem is overwritten
//	                         #   only with wipe: true (default false)
//	data-size: rest          # optional; the data partition: rest (default: the rest of
//	                         #   the disk) or a whole number with a binary unit: 20GiB,
//	                         #   512MiB, 2TiB; M, G and T mean the same (2^20, 2^30, 2^40)
//	hostname: db-01          # optional; RFC 1123 (default: derived from the machine)
//	network:                 # optional; default dhcp
//	  mode: dhcp             # dhcp | static
//	  address: 192.0.2.10/24 # static only, required there: address/prefix
//	  gateway: 192.0.2.1     # static only, optional, inside the address's subnet
//	  dns: [192.0.2.53]      # static only, optional; also a block list "- 192.0.2.53"
//	after: reboot            # reboot | poweroff (default reboot)
//	secure-boot: off         # off | enroll-if-setup-mode | require (default off); see below
//	microsoft-keys: true     # with enrollment: Microsoft's CAs go into KEK and db too
//	                         #   (default true)
//	settings:                # optional; values of the product's per-machine settings
//	  port: 2379             #   int: a whole number, unquoted
//	  cluster: prod          #   string: any single value
//	  debug: false           #   bool: true or false, unquoted
//	  peers: [db-2, db-3]    #   list: a flow or block list of single values
//
// # Secure Boot
//
// An installer image built with Secure Boot keys can enroll them: after
// the disk is installed and verified, db and KEK are appended to and PK
// is written last, which ends the firmware's Setup Mode.
//
//   - off: keys are never enrolled.
//   - enroll-if-setup-mode: they are enrolled if the firmware is in Setup
//     Mode and the image holds keys; otherwise the install goes on without
//     enrolling, and says so.
//   - require: the installed system must be verified by the firmware: the
//     install is refused before any disk is touched unless Secure Boot is
//     on and db already holds the image's db certificate, or the firmware
//     is in Setup Mode and the image holds keys (then they are enrolled).
//
// microsoft-keys: false leaves Microsoft's KEK and UEFI CAs out of what is
// enrolled. Only do that for machines known to need none of them: graphics
// and network cards whose option ROMs Microsoft signed no longer start,
// and the machine may show no picture.
//
// # Upgrade
//
// mode: upgrade upgrades an installation of the same product in place
// instead of installing afresh (internal/upgrade): the new version goes
// into the installation's inactive A/B slot and is booted once on trial;
// the disk is never erased, and the data partition and the machine's
// identity and configuration on the ESP (hostname, machine ID, network,
// settings) stay as they are. disk: selects the disk with the same
// selectors as for an install; without it, the one disk that holds an
// installation of the product is upgraded (none, or more than one, is an
// error). Keys that only an install uses are refused rather than ignored,
// each with the reason: wipe, data-size, hostname, network, settings,
// microsoft-keys, and secure-boot other than off (an upgrade enrolls no
// keys). after: applies as for an install.
//
// # Why it is this strict
//
// Users of installers like this one have been burned by selectors that
// matched the boot stick or a disk nobody meant, by /dev/sdX names that
// swap between boots, and by silent failures. So:
//
//   - Unknown keys are errors (a misspelt "wipe" must not silently mean
//     "don't wipe", nor "wiep: true" be ignored).
//   - disk is required, and /dev/sdX or /dev/nvmeXnY names are refused:
//     only serial, WWN, /dev/disk/by-id names or largest/smallest, which
//     the installer resolves among eligible disks (never the boot medium).
//   - wipe takes only true or false; "yes", "1", "on" are refused.
//   - data-size needs a unit, and only binary ones: "20" or "20GB" could
//     mean two different sizes, so both are refused rather than guessed.
//     Whether the size fits is for the chosen disk to decide.
//   - settings are checked against the product's declarations
//     (CheckSettings), which the installer and mkiso have and this file
//     does not: a name the product does not declare, a value of another
//     type (port: "2379" for an int) or a missing value for a setting
//     without default is an error, never a guess.
//   - Every error is a *ParseError naming the file line and the field.
//
// The file is YAML, read by a small strict reader in this package that
// accepts block mappings, block or one-line flow lists of scalars, plain
// or quoted scalars and comments; anchors, tags, multi-line scalars and
// several documents are refused.
package answers

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/fielderr"
)

// FileName is the name errors are reported against.
const FileName = "install.yaml"

// After values.
const (
	AfterReboot   = "reboot"
	AfterPoweroff = "poweroff"
)

// Secure Boot policies, the values of secure-boot:.
const (
	SecureBootOff               = "off"
	SecureBootEnrollIfSetupMode = "enroll-if-setup-mode"
	SecureBootRequire           = "require"
)

// Network modes.
const (
	NetDHCP   = "dhcp"
	NetStatic = "static"
)

// Selector kinds.
const (
	SelectLargest  = "largest"
	SelectSmallest = "smallest"
	SelectSerial   = "serial"
	SelectWWN      = "wwn"
	SelectByID     = "by-id"
)

// ByIDDir is the directory by-id selectors name.
const ByIDDir = "/dev/disk/by-id/"

// Answers is a parsed, validated install.yaml.
type Answers struct {
	// Mode is mode:, ModeInstall or ModeUpgrade; "" (no mode: key) is
	// ModeInstall (see Upgrade).
	Mode string `json:"mode,omitempty"`
	// Disk selects the target disk; with ModeUpgrade its Kind may be ""
	// (no disk: key): the one disk holding the product's installation.
	Disk     Selector `json:"disk"`
	Wipe     bool     `json:"wipe"`
	DataSize int64    `json:"dataSize,omitempty"` // bytes, a MiB multiple; 0 is the rest of the disk
	Hostname string   `json:"hostname,omitempty"`
	// Network is zero (Mode "") when the file has no network: key: the
	// product's network defaults apply (plinth.yaml network:, else DHCP).
	Network Network `json:"network"`
	After   string  `json:"after"` // AfterReboot or AfterPoweroff
	// Settings are the values given to the product's per-machine
	// settings, in file order; CheckSettings reads them as the product
	// declares them.
	Settings []Setting `json:"settings,omitempty"`
	// SecureBoot is the secure-boot: policy; "" is SecureBootOff (see
	// SecureBootPolicy).
	SecureBoot string `json:"secureBoot,omitempty"`
	// OmitMicrosoftKeys is microsoft-keys: false. It is kept inverted so
	// that the zero Answers, like the file without the key, enrolls
	// Microsoft's CAs: leaving them out is what can leave a machine
	// without a picture.
	OmitMicrosoftKeys bool `json:"omitMicrosoftKeys,omitempty"`

	settingsLine int // of the settings: key, for a setting it lacks
}

// SecureBootPolicy is the secure-boot: policy in effect: SecureBootOff
// when the file does not say.
func (a *Answers) SecureBootPolicy() string {
	if a.SecureBoot == "" {
		return SecureBootOff
	}
	return a.SecureBoot
}

// MicrosoftKeys reports whether Microsoft's CAs are enrolled with ours.
func (a *Answers) MicrosoftKeys() bool { return !a.OmitMicrosoftKeys }

// Selector says which disk to install to.
type Selector struct {
	Kind  string `json:"kind"`            // SelectLargest, SelectSmallest, SelectSerial, SelectWWN, SelectByID
	Value string `json:"value,omitempty"` // serial, WWN, or by-id name (without /dev/disk/by-id/)
}

// String gives the selector back in install.yaml form.
func (s Selector) String() string {
	switch s.Kind {
	case SelectLargest, SelectSmallest:
		return s.Kind
	case SelectByID:
		return SelectByID + ":" + ByIDDir + s.Value
	}
	return s.Kind + ":" + s.Value
}

// Config is n as the installed config holds it.
func (n Network) Config() appconfig.Network {
	out := appconfig.Network{Mode: appconfig.ModeDHCP}
	if n.Mode == NetStatic {
		out.Mode = appconfig.ModeStatic
		out.Address = n.Address.String()
		if n.Gateway.IsValid() {
			out.Gateway = n.Gateway.String()
		}
	}
	for _, d := range n.DNS {
		out.DNS = append(out.DNS, d.String())
	}
	return out
}

// Network is the installed system's network configuration.
type Network struct {
	Mode    string       `json:"mode"` // NetDHCP or NetStatic
	Address netip.Prefix `json:"address,omitzero"`
	Gateway netip.Addr   `json:"gateway,omitzero"`
	DNS     []netip.Addr `json:"dns,omitempty"`
}

// Default is what an empty answer leaves in place (disk excepted: it
// has no default).
func Default() Answers {
	return Answers{After: AfterReboot}
}

// ParseError is every error Parse returns.
// Its File is always FileName.
type ParseError = fielderr.Error

func fieldErr(n node, field, format string, a ...any) *ParseError {
	return &ParseError{File: FileName, Line: n.line, Column: n.col, Field: field, Message: fmt.Sprintf(format, a...)}
}

// Parse reads and validates an install.yaml. It returns the first
// problem found, always as a *ParseError.
func Parse(data []byte) (*Answers, error) {
	root, err := parseYAML(data)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, pe
		}
		return nil, &ParseError{File: FileName, Message: err.Error()}
	}
	if root.kind == scalarNode && root.null {
		return nil, &ParseError{File: FileName, Field: "disk", Message: "required, but the file is empty"}
	}
	if root.kind != mapNode {
		return nil, &ParseError{File: FileName, Line: root.line, Column: root.col, Message: "want a mapping of keys (disk:, wipe:, ...) at the top level"}
	}
	a := Default()
	keys := map[string]node{}
	for i, k := range root.keys {
		if err := a.set(k, root.vals[i]); err != nil {
			return nil, err
		}
		keys[k.value] = k
	}
	if err := a.checkMode(keys); err != nil {
		return nil, err
	}
	if _, haveDisk := keys["disk"]; !haveDisk && !a.Upgrade() {
		return nil, &ParseError{File: FileName, Line: root.line, Field: "disk", Message: "required: largest, smallest, serial:<SERIAL>, wwn:<WWN> or by-id:/dev/disk/by-id/<name>"}
	}
	return &a, nil
}

// set reads the top-level key k with its value v into a.
func (a *Answers) set(k, v node) error {
	var err error
	switch k.value {
	case "mode":
		a.Mode, err = mode(v)
	case "disk":
		s, err := str(v, "disk")
		if err == nil {
			a.Disk, err = ParseSelector(s)
		}
		if err != nil {
			return asField(err, v, "disk")
		}
	case "wipe":
		a.Wipe, err = boolean(v, "wipe")
	case "data-size":
		s, err := str(v, "data-size")
		if err == nil {
			a.DataSize, err = ParseSize(s)
		}
		if err != nil {
			return asField(err, v, "data-size")
		}
	case "hostname":
		a.Hostname, err = hostname(v)
	case "network":
		a.Network, err = network(v)
	case "after":
		a.After, err = after(v)
	case "settings":
		a.Settings, err = settingsOf(v)
		a.settingsLine = k.line
	case "secure-boot":
		a.SecureBoot, err = secureBoot(v)
	case "microsoft-keys":
		var include bool
		include, err = boolean(v, "microsoft-keys")
		a.OmitMicrosoftKeys = !include
	default:
		return fieldErr(k, k.value, "unknown key (known: mode, disk, wipe, data-size, hostname, network, after, settings, secure-boot, microsoft-keys)")
	}
	return err
}

func hostname(v node) (string, error) {
	s, err := str(v, "hostname")
	if err != nil {
		return "", err
	}
	if msg := CheckHostname(s); msg != "" {
		return "", fieldErr(v, "hostname", "%s", msg)
	}
	return strings.ToLower(s), nil
}

func after(v node) (string, error) {
	s, err := str(v, "after")
	if err != nil {
		return "", err
	}
	if s != AfterReboot && s != AfterPoweroff {
		return "", fieldErr(v, "after", "want reboot or poweroff, got %q", s)
	}
	return s, nil
}

func secureBoot(v node) (string, error) {
	s, err := str(v, "secure-boot")
	if err != nil {
		return "", err
	}
	switch s {
	case SecureBootOff, SecureBootEnrollIfSetupMode, SecureBootRequire:
		return s, nil
	}
	return "", fieldErr(v, "secure-boot", "want off, enroll-if-setup-mode or require, got %q", s)
}

func asField(err error, v node, field string) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe
	}
	return fieldErr(v, field, "%s", err.Error())
}

func str(v node, field string) (string, error) {
	switch {
	case v.kind != scalarNode:
		return "", fieldErr(v, field, "want a single value, got a %s", kindName(v.kind))
	case v.null || (v.value == "" && !v.quoted):
		return "", fieldErr(v, field, "empty value")
	case !v.quoted && (v.value == "~" || v.value == "null" || v.value == "Null" || v.value == "NULL"):
		return "", fieldErr(v, field, "empty value (null)")
	}
	return v.value, nil
}

func kindName(k nodeKind) string {
	switch k {
	case mapNode:
		return "mapping"
	case seqNode:
		return "list"
	}
	return "value"
}

func boolean(v node, field string) (bool, error) {
	if v.kind == scalarNode && !v.null && !v.quoted {
		switch v.value {
		case "true", "True", "TRUE":
			return true, nil
		case "false", "False", "FALSE":
			return false, nil
		}
	}
	got := v.value
	if v.kind != scalarNode {
		got = kindName(v.kind)
	}
	return false, fieldErr(v, field, "want true or false, got %q", got)
}

// ParseSelector parses the value of disk:.
func ParseSelector(s string) (Selector, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Selector{}, errors.New("empty disk selector")
	}
	if strings.ContainsAny(s, " \t\n") {
		return Selector{}, fmt.Errorf("disk selector %q contains white space", s)
	}
	switch s {
	case SelectLargest, SelectSmallest:
		return Selector{Kind: s}, nil
	}
	if strings.HasPrefix(s, "/dev/disk/by-id/") {
		s = SelectByID + ":" + s
	} else if strings.HasPrefix(s, "/dev/") {
		return Selector{}, fmt.Errorf("%q is a kernel device name, which can change between boots; use serial:<SERIAL>, wwn:<WWN> or by-id:/dev/disk/by-id/<name>", s)
	}
	kind, val, ok := strings.Cut(s, ":")
	if !ok {
		return Selector{Kind: SelectSerial, Value: s}, nil
	}
	switch kind {
	case SelectSerial:
		if val == "" {
			return Selector{}, errors.New("serial: needs a serial number after it")
		}
		return Selector{Kind: SelectSerial, Value: val}, nil
	case SelectWWN:
		w := NormalizeWWN(val)
		if w == "" {
			return Selector{}, errors.New("wwn: needs a WWN after it, e.g. wwn:0x5000c500a1b2c3d4")
		}
		return Selector{Kind: SelectWWN, Value: w}, nil
	case SelectByID:
		name, ok := strings.CutPrefix(val, ByIDDir)
		if !ok {
			name = val
			if strings.HasPrefix(val, "/") {
				return Selector{}, fmt.Errorf("by-id: wants a path under %s, got %q", ByIDDir, val)
			}
		}
		if name == "" || strings.Contains(name, "/") || name == "." || name == ".." {
			return Selector{}, fmt.Errorf("by-id: wants %s<name>, got %q", ByIDDir, val)
		}
		if strings.Contains(name, "-part") && isPartName(name) {
			return Selector{}, fmt.Errorf("by-id name %q is a partition; name the whole disk", name)
		}
		return Selector{Kind: SelectByID, Value: name}, nil
	}
	return Selector{}, fmt.Errorf("unknown disk selector %q: want largest, smallest, serial:, wwn: or by-id:", kind+":")
}

// DataSizeRest is the data-size value for the rest of the disk.
const DataSizeRest = "rest"

// sizeUnits are the accepted data-size units; the short forms are
// binary too, as in most disk tools' size arguments.
var sizeUnits = []struct {
	name  string
	short string
	shift uint
}{{"TiB", "T", 40}, {"GiB", "G", 30}, {"MiB", "M", 20}}

// ParseSize parses a data-size value, as install.yaml or a user typing
// it gives it: "rest" is 0 (the rest of the disk), otherwise a whole
// number above zero with a unit, MiB, GiB or TiB (or M, G, T, the same
// binary units), white space allowed between them. The result is at
// least disklayout.MinDataSize.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == DataSizeRest {
		return 0, nil
	}
	if s == "" {
		return 0, errors.New("empty size: want e.g. 20GiB, or rest for the rest of the disk")
	}
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	num, unit := s[:digits], strings.TrimSpace(s[digits:])
	switch {
	case strings.HasPrefix(s, "-"):
		return 0, fmt.Errorf("%q is negative: want e.g. 20GiB, or rest for the rest of the disk", s)
	case num == "":
		return 0, fmt.Errorf("%q is not a size: want a whole number with a unit, e.g. 20GiB, or rest for the rest of the disk", s)
	case strings.HasPrefix(unit, "."):
		return 0, decimalSize(s, num, unit)
	case strings.Trim(num, "0") == "":
		return 0, fmt.Errorf("%q is zero: want a size above zero, or rest for the rest of the disk", s)
	case unit == "":
		return 0, fmt.Errorf("%q has no unit: write %sGiB or %sMiB", s, num, num)
	}
	shift := uint(0)
	for _, u := range sizeUnits {
		if unit == u.name || unit == u.short {
			shift = u.shift
		}
	}
	if shift == 0 {
		switch strings.ToUpper(unit) {
		case "MB", "GB", "TB":
			return 0, fmt.Errorf("%q: %s is a decimal unit, which disk tools disagree about; write %s%ciB for the binary unit", s, unit, num, unit[0]&^0x20)
		}
		return 0, fmt.Errorf("%q: unknown unit %q: want MiB, GiB or TiB (or M, G, T, the same binary units)", s, unit)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	size := n << shift
	if size < disklayout.MinDataSize {
		return 0, fmt.Errorf("%q is too small: the data partition needs at least %s", s, FormatSize(disklayout.MinDataSize))
	}
	return size, nil
}

// decimalSize explains the refusal of "1.5TiB", with the whole number
// in a smaller unit when there is one (1536GiB).
func decimalSize(s, num, rest string) error {
	frac := rest[1:]
	digits := len(frac) - len(strings.TrimLeft(frac, "0123456789"))
	unit := strings.TrimSpace(frac[digits:])
	if v, err := strconv.ParseFloat(num+"."+frac[:digits], 64); err == nil && digits > 0 && v > 0 {
		for i, u := range sizeUnits {
			if unit != u.name && unit != u.short {
				continue
			}
			for _, smaller := range sizeUnits[i+1:] {
				x := v * float64(int64(1)<<(u.shift-smaller.shift))
				if x == math.Trunc(x) && x < 1<<53 {
					return fmt.Errorf("%q: want a whole number, e.g. %d%s", s, int64(x), smaller.name)
				}
			}
		}
	}
	return fmt.Errorf("%q: want a whole number with a unit, e.g. 20GiB", s)
}

// FormatSize gives a data size back in the form ParseSize reads, in the
// largest unit that keeps it whole: FormatSize(20<<30) is "20GiB", 0 is
// "rest". Sizes that are not a MiB multiple are rounded up to one, as
// provision.Plan rounds them; a negative n gives a string ParseSize
// refuses.
func FormatSize(n int64) string {
	switch {
	case n == 0:
		return DataSizeRest
	case n < 0:
		return strconv.FormatInt(n, 10) + "B"
	}
	// Count in MiB so that rounding up cannot overflow.
	m := n >> 20
	if n&(1<<20-1) != 0 {
		m++
	}
	switch {
	case m%(1<<20) == 0:
		return strconv.FormatInt(m>>20, 10) + "TiB"
	case m%(1<<10) == 0:
		return strconv.FormatInt(m>>10, 10) + "GiB"
	}
	return strconv.FormatInt(m, 10) + "MiB"
}

// isPartName reports whether a by-id name ends in -part<N>.
func isPartName(name string) bool {
	i := strings.LastIndex(name, "-part")
	if i < 0 || i+5 == len(name) {
		return false
	}
	for _, c := range name[i+5:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// NormalizeWWN lower-cases a WWN; it keeps the form sysfs prints
// ("0x5000c500a1b2c3d4", "eui.0025388b91b2c3d4", "naa.…").
func NormalizeWWN(w string) string {
	return strings.ToLower(strings.TrimSpace(w))
}

// CheckHostname returns why s is not an RFC 1123 host name, or "".
func CheckHostname(s string) string {
	if len(s) > 253 {
		return fmt.Sprintf("too long: %d characters, at most 253", len(s))
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return fmt.Sprintf("%q has an empty label", s)
		}
		if len(label) > 63 {
			return fmt.Sprintf("label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("label %q starts or ends with '-'", label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Sprintf("%q: want letters, digits, '-' and '.', got %q", s, c)
			}
		}
	}
	return ""
}

func network(v node) (Network, error) {
	n := Network{Mode: NetDHCP}
	if v.kind != mapNode {
		if v.kind == scalarNode && !v.null && (v.value == NetDHCP) {
			return n, nil
		}
		return n, fieldErr(v, "network", "want a mapping (mode:, address:, gateway:, dns:)")
	}
	var addr, gw, dns *node
	for i, k := range v.keys {
		val := v.vals[i]
		f := "network." + k.value
		switch k.value {
		case "mode":
			s, err := str(val, f)
			if err != nil {
				return n, err
			}
			if s != NetDHCP && s != NetStatic {
				return n, fieldErr(val, f, "want dhcp or static, got %q", s)
			}
			n.Mode = s
		case "address":
			s, err := str(val, f)
			if err != nil {
				return n, err
			}
			p, perr := netip.ParsePrefix(s)
			if perr != nil || p.Addr().Zone() != "" {
				return n, fieldErr(val, f, "want address/prefix such as 192.0.2.10/24, got %q", s)
			}
			if p.Addr().IsUnspecified() || p.Addr().IsMulticast() || (p.Addr().Is4() && p.Bits() == 0) {
				return n, fieldErr(val, f, "%q is not a usable host address", s)
			}
			n.Address = p
			addr = &v.vals[i]
		case "gateway":
			s, err := str(val, f)
			if err != nil {
				return n, err
			}
			a, perr := netip.ParseAddr(s)
			if perr != nil || a.Zone() != "" {
				return n, fieldErr(val, f, "want an IP address, got %q", s)
			}
			n.Gateway = a
			gw = &v.vals[i]
		case "dns":
			dns = &v.vals[i]
			items := []node{val}
			if val.kind == seqNode {
				items = val.items
			}
			for _, it := range items {
				s, err := str(it, f)
				if err != nil {
					return n, err
				}
				a, perr := netip.ParseAddr(s)
				if perr != nil || a.Zone() != "" {
					return n, fieldErr(it, f, "want an IP address, got %q", s)
				}
				n.DNS = append(n.DNS, a)
			}
		default:
			return n, fieldErr(k, f, "unknown key (known: mode, address, gateway, dns)")
		}
	}
	if n.Mode == NetDHCP {
		for _, x := range []struct {
			n    *node
			name string
		}{{addr, "address"}, {gw, "gateway"}, {dns, "dns"}} {
			if x.n != nil {
				return n, fieldErr(*x.n, "network."+x.name, "only used with mode: static")
			}
		}
		return n, nil
	}
	if addr == nil {
		return n, fieldErr(v, "network.address", "required with mode: static")
	}
	if gw != nil {
		if n.Gateway.Is4() != n.Address.Addr().Is4() {
			return n, fieldErr(*gw, "network.gateway", "%s and address %s are not the same IP version", n.Gateway, n.Address)
		}
		if !n.Address.Masked().Contains(n.Gateway) && !n.Gateway.IsLinkLocalUnicast() {
			return n, fieldErr(*gw, "network.gateway", "%s is outside %s", n.Gateway, n.Address.Masked())
		}
		if n.Gateway == n.Address.Addr() {
			return n, fieldErr(*gw, "network.gateway", "%s is the address itself", n.Gateway)
		}
	}
	return n, nil
}
