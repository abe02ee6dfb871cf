package netanswers

import (
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/netup"
)

// NIC is a wired network interface.
type NIC struct {
	Name string `json:"name"` // kernel name, e.g. enp1s0
	MAC  string `json:"mac"`  // as ${mac} gives it: lower case, hyphenated: 52-54-00-12-34-56
}

// Identity is what identifies a machine to the provisioning server.
type Identity struct {
	// UUID is the SMBIOS system UUID in lower case; "" when the firmware
	// gives none or a placeholder (all zeros or all ones).
	UUID string `json:"uuid,omitempty"`
	// Serial is the system serial number; "" when the firmware gives
	// none or a placeholder ("To Be Filled By O.E.M.", "Default string"...).
	Serial string `json:"serial,omitempty"`
	// NICs are the wired interfaces, sorted by name.
	NICs []NIC `json:"nics,omitempty"`
}

// MACs returns the MAC addresses of id's NICs, in NIC order.
func (id Identity) MACs() []string {
	macs := make([]string, len(id.NICs))
	for i, n := range id.NICs {
		macs[i] = n.MAC
	}
	return macs
}

// ReadIdentity reads the machine's identity under sysRoot (normally
// "/sys"): the SMBIOS system UUID and serial from class/dmi/id
// (product_uuid, product_serial; both readable by root only) and the
// wired interfaces as netup.WiredInterfaces finds them (Ethernet, backed
// by a device, not wireless), each with its address.
// What cannot be read is left empty: only a template that uses it needs
// it, and Expand says so then.
func ReadIdentity(sysRoot string) Identity {
	dmi := filepath.Join(sysRoot, "class", "dmi", "id")
	id := Identity{
		UUID:   normUUID(readTrim(filepath.Join(dmi, "product_uuid"))),
		Serial: normSerial(readTrim(filepath.Join(dmi, "product_serial"))),
	}
	for _, name := range netup.WiredInterfaces(sysRoot) {
		mac, ok := formatMAC(readTrim(filepath.Join(sysRoot, "class", "net", name, "address")))
		if ok {
			id.NICs = append(id.NICs, NIC{Name: name, MAC: mac})
		}
	}
	return id
}

// formatMAC turns the kernel's 52:54:00:12:34:56 into 52-54-00-12-34-56.
// ok is false for anything but a 6-byte address, and for the all-zero
// address of an interface whose driver has not set one: such a MAC would
// name every such machine alike.
func formatMAC(s string) (string, bool) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || string(hw) == string(make([]byte, 6)) {
		return "", false
	}
	return strings.ReplaceAll(hw.String(), ":", "-"), true
}

// normUUID lower-cases u and drops the placeholders that firmware puts
// where it has no UUID (DSP0134 §7.2.1: all zeros means not present, all
// ones not set): a machine must not fetch another's answers by them.
func normUUID(u string) string {
	u = strings.ToLower(u)
	if strings.Trim(u, "0-") == "" || strings.Trim(u, "f-") == "" {
		return ""
	}
	return u
}

// normSerial drops the serials firmware reports when the vendor set
// none: many machines share them.
func normSerial(s string) string {
	switch strings.ToLower(s) {
	case "to be filled by o.e.m.", "default string", "system serial number",
		"chassis serial number", "not specified", "not applicable", "none",
		"n/a", "0", "0123456789", "123456789":
		return ""
	}
	return s
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}
