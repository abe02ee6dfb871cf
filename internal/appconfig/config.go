package appconfig

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/setting"
)

// SchemaVersion is the version of the format this package reads and writes.
const SchemaVersion = 1

// Where the file lives on the ESP: ESPPath as firmware and people write
// it, RelPath relative to the ESP's mount point.
const (
	ESPPath = `\EFI\plinth\plinth.json`
	RelPath = "EFI/plinth/plinth.json"
)

// FSExt4 is the only data filesystem supported.
const FSExt4 = "ext4"

// Network modes.
const (
	ModeDHCP   = "dhcp"
	ModeStatic = "static"
)

// Config is the content of plinth.json.
type Config struct {
	Schema    int     `json:"schema"`    // SchemaVersion
	Product   string  `json:"product"`   // product name shown to people
	Version   string  `json:"version"`   // version installed
	MachineID string  `json:"machineID"` // 32 lower-case hex digits, as /etc/machine-id
	Hostname  string  `json:"hostname"`  // RFC 1123 host name, at most 64 bytes
	ESP       ESP     `json:"esp"`
	Data      Data    `json:"data"`
	Network   Network `json:"network"`
	// Settings are this machine's values of the product's per-machine
	// settings (productspec.Spec.Settings), defaults filled in at
	// install time. The appliance checks them against the running
	// version's declarations at every boot.
	Settings map[string]setting.Value `json:"settings,omitempty"`
	// OldServices is the services list configs of earlier versions
	// carried. It is read so that those machines still boot and can be
	// updated, and never used: services come with the runtime image
	// (productspec). Marshal drops it.
	OldServices json.RawMessage `json:"services,omitempty"`
}

// ESP identifies the EFI system partition the appliance boots from.
type ESP struct {
	PartUUID guid.GUID `json:"partUUID"` // GPT unique partition GUID
}

// Data identifies the data partition. PartUUID is preferred; Label (the
// GPT partition name, PARTLABEL) is used when PartUUID is empty or
// matches nothing, and must then match exactly one partition.
type Data struct {
	PartUUID guid.GUID `json:"partUUID,omitzero"`
	Label    string    `json:"label,omitempty"`
	FSType   string    `json:"fsType"` // "ext4"
}

// Network configures the wired interfaces.
type Network struct {
	Mode string `json:"mode"` // ModeDHCP or ModeStatic
	// Interface limits the configuration to one interface, by kernel name
	// or MAC address. Empty means: every wired interface for DHCP, the
	// first wired interface (by name) for static.
	Interface string   `json:"interface,omitempty"`
	Address   string   `json:"address,omitempty"` // static: CIDR, e.g. 192.0.2.10/24
	Gateway   string   `json:"gateway,omitempty"` // static: default gateway
	DNS       []string `json:"dns,omitempty"`     // name servers; with DHCP they replace the leased ones
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("1s", "1m30s"), which people can read and edit.
type Duration time.Duration

// MarshalJSON writes d as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"1s\" or \"2m\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}
