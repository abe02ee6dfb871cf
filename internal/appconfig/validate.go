package appconfig

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/plinth-os/plinth/internal/setting"
)

// ValidationError lists every problem found in a Config, one per entry,
// each naming the field it concerns.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "appconfig: " + e.Problems[0]
	}
	return fmt.Sprintf("appconfig: %d problems: %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

// Validate checks c and returns a *ValidationError listing every problem,
// or nil.
func (c *Config) Validate() error {
	var p problems
	switch {
	case c.Schema == 0:
		p.add("schema", "missing (want %d)", SchemaVersion)
	case c.Schema != SchemaVersion:
		p.add("schema", "version %d is not supported by this runtime (it reads version %d)", c.Schema, SchemaVersion)
	}
	if strings.TrimSpace(c.Product) == "" {
		p.add("product", "missing")
	}
	if strings.TrimSpace(c.Version) == "" {
		p.add("version", "missing")
	}
	if err := checkMachineID(c.MachineID); err != "" {
		p.add("machineID", "%s", err)
	}
	if err := checkHostname(c.Hostname); err != "" {
		p.add("hostname", "%s", err)
	}
	if c.ESP.PartUUID.IsZero() {
		p.add("esp.partUUID", "missing")
	}
	c.Data.validate(&p)
	c.Network.validate(&p)
	for _, name := range slices.Sorted(maps.Keys(c.Settings)) {
		if msg := setting.CheckName(name); msg != "" {
			p.add("settings."+name, "%s", msg)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func (d Data) validate(p *problems) {
	if d.PartUUID.IsZero() && d.Label == "" {
		p.add("data", "needs partUUID or label to find the data partition")
	}
	// GPT partition names hold 36 UTF-16 code units.
	if n := len([]rune(d.Label)); n > 36 {
		p.add("data.label", "%d characters, a GPT partition name holds at most 36", n)
	}
	if d.FSType != FSExt4 {
		p.add("data.fsType", "%q is not supported (want %q)", d.FSType, FSExt4)
	}
}

func (n Network) validate(p *problems) {
	if n.Interface != "" {
		if _, err := net.ParseMAC(n.Interface); err != nil && !validIfName(n.Interface) {
			p.add("network.interface", "%q is neither an interface name nor a MAC address", n.Interface)
		}
	}
	for i, s := range n.DNS {
		if _, err := netip.ParseAddr(s); err != nil {
			p.add(fmt.Sprintf("network.dns[%d]", i), "%q is not an IP address", s)
		}
	}
	switch n.Mode {
	case ModeDHCP:
		if n.Address != "" || n.Gateway != "" {
			p.add("network", "address and gateway are only allowed with mode %q", ModeStatic)
		}
	case ModeStatic:
		n.validateStatic(p)
	case "":
		p.add("network.mode", "missing (want %q or %q)", ModeDHCP, ModeStatic)
	default:
		p.add("network.mode", "%q is not %q or %q", n.Mode, ModeDHCP, ModeStatic)
	}
}

func (n Network) validateStatic(p *problems) {
	if n.Address == "" {
		p.add("network.address", "missing (mode static needs an address such as 192.0.2.10/24)")
		return
	}
	pfx, err := netip.ParsePrefix(n.Address)
	if err != nil {
		p.add("network.address", "%q is not an address in CIDR form such as 192.0.2.10/24", n.Address)
		return
	}
	if n.Gateway == "" {
		return
	}
	gw, err := netip.ParseAddr(n.Gateway)
	switch {
	case err != nil:
		p.add("network.gateway", "%q is not an IP address", n.Gateway)
	case gw.Is4() != pfx.Addr().Is4():
		p.add("network.gateway", "%s and address %s are of different IP versions", gw, pfx)
	case !pfx.Masked().Contains(gw):
		p.add("network.gateway", "%s is outside the network %s, so it cannot be reached", gw, pfx.Masked())
	case gw == pfx.Addr():
		p.add("network.gateway", "%s is the appliance's own address", gw)
	}
}

func checkMachineID(s string) string {
	if s == "" {
		return "missing"
	}
	if len(s) != 32 || strings.Trim(s, "0123456789abcdef") != "" {
		return fmt.Sprintf("%q is not 32 lower-case hexadecimal digits", s)
	}
	if strings.Trim(s, "0") == "" {
		return "all zeros"
	}
	return ""
}

// checkHostname follows RFC 1123 within Linux's 64-byte limit.
func checkHostname(s string) string {
	if s == "" {
		return "missing"
	}
	if len(s) > 64 {
		return fmt.Sprintf("%q is longer than 64 characters", s)
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return fmt.Sprintf("%q: each dot-separated part must have 1 to 63 characters", s)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Sprintf("%q: a part may not start or end with '-'", s)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Sprintf("%q: only letters, digits, '-' and '.' are allowed", s)
			}
		}
	}
	return ""
}

func validIfName(s string) bool {
	// IFNAMSIZ is 16 including the NUL.
	return s != "" && len(s) < 16 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n\x00")
}
