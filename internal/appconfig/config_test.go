package appconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/setting"
)

func validConfig() *Config {
	return &Config{
		Schema:    SchemaVersion,
		Product:   "Plinth",
		Version:   "1.0.0",
		MachineID: "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b",
		Hostname:  "plinth-3f2a9c",
		ESP:       ESP{PartUUID: guid.MustParse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")},
		Data:      Data{PartUUID: guid.MustParse("0fc63daf-8483-4772-8e79-3d69d8477de4"), Label: "plinth-data", FSType: FSExt4},
		Network:   Network{Mode: ModeDHCP},
		Settings:  map[string]setting.Value{"peers": setting.ListValue("a:1", "b:2"), "cluster": setting.StringValue("east")},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // substrings of the problems; nil means valid
	}{
		{"valid", func(c *Config) {}, nil},
		{"no settings", func(c *Config) { c.Settings = nil }, nil},
		{"label only", func(c *Config) { c.Data.PartUUID = guid.GUID{} }, nil},
		{"static", func(c *Config) {
			c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10/24", Gateway: "192.0.2.1", DNS: []string{"192.0.2.53"}, Interface: "52:54:00:12:34:56"}
		}, nil},
		{"static v6", func(c *Config) {
			c.Network = Network{Mode: ModeStatic, Address: "2001:db8::10/64", Gateway: "2001:db8::1"}
		}, nil},
		{"missing schema", func(c *Config) { c.Schema = 0 }, []string{"schema: missing"}},
		{"future schema", func(c *Config) { c.Schema = 2 }, []string{"schema: version 2 is not supported"}},
		{"missing product and version", func(c *Config) { c.Product, c.Version = "", " " }, []string{"product: missing", "version: missing"}},
		{"bad machine id", func(c *Config) { c.MachineID = "3F2A9C0E5B7D4E1F8A6B2C3D4E5F6A7B" }, []string{"machineID:", "hexadecimal"}},
		{"zero machine id", func(c *Config) { c.MachineID = strings.Repeat("0", 32) }, []string{"machineID: all zeros"}},
		{"hostname underscore", func(c *Config) { c.Hostname = "my_host" }, []string{"hostname:", "only letters"}},
		{"hostname dash", func(c *Config) { c.Hostname = "-host" }, []string{"hostname:", "start or end"}},
		{"hostname long", func(c *Config) { c.Hostname = strings.Repeat("a", 65) }, []string{"hostname:", "longer than 64"}},
		{"esp missing", func(c *Config) { c.ESP.PartUUID = guid.GUID{} }, []string{"esp.partUUID: missing"}},
		{"data none", func(c *Config) { c.Data.PartUUID, c.Data.Label = guid.GUID{}, "" }, []string{"data: needs partUUID or label"}},
		{"data fstype", func(c *Config) { c.Data.FSType = "xfs" }, []string{`data.fsType: "xfs" is not supported`}},
		{"data fstype missing", func(c *Config) { c.Data.FSType = "" }, []string{`data.fsType: "" is not supported`}},
		{"data label long", func(c *Config) { c.Data.Label = strings.Repeat("x", 37) }, []string{"data.label:", "at most 36"}},
		{"mode missing", func(c *Config) { c.Network.Mode = "" }, []string{"network.mode: missing"}},
		{"mode bad", func(c *Config) { c.Network.Mode = "auto" }, []string{`network.mode: "auto"`}},
		{"dhcp with address", func(c *Config) { c.Network.Address = "192.0.2.1/24" }, []string{"only allowed with mode \"static\""}},
		{"static no address", func(c *Config) { c.Network = Network{Mode: ModeStatic} }, []string{"network.address: missing"}},
		{"bad cidr", func(c *Config) { c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10"} }, []string{"network.address:", "CIDR"}},
		{"bad cidr prefix", func(c *Config) { c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10/33"} }, []string{"network.address:", "CIDR"}},
		{"gateway outside", func(c *Config) {
			c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10/24", Gateway: "198.51.100.1"}
		}, []string{"network.gateway:", "outside the network 192.0.2.0/24"}},
		{"gateway self", func(c *Config) {
			c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10/24", Gateway: "192.0.2.10"}
		}, []string{"own address"}},
		{"gateway family", func(c *Config) {
			c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10/24", Gateway: "2001:db8::1"}
		}, []string{"different IP versions"}},
		{"gateway bad", func(c *Config) { c.Network = Network{Mode: ModeStatic, Address: "192.0.2.10/24", Gateway: "router"} }, []string{`network.gateway: "router" is not an IP`}},
		{"dns bad", func(c *Config) { c.Network.DNS = []string{"8.8.8.8", "dns.example"} }, []string{`network.dns[1]: "dns.example"`}},
		{"interface bad", func(c *Config) { c.Network.Interface = "eth0/1" }, []string{"network.interface:"}},
		{"setting name", func(c *Config) { c.Settings["Port"] = setting.IntValue(1) }, []string{"settings.Port:", "lower-case letter"}},
		{"several at once", func(c *Config) { c.Product, c.Hostname = "", "" }, []string{"product: missing", "hostname: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.modify(c)
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if len(ve.Problems) != len(tt.want) && tt.name == "several at once" {
				t.Errorf("got %d problems, want %d: %v", len(ve.Problems), len(tt.want), ve.Problems)
			}
		})
	}
}

const golden = `{
  "schema": 1,
  "product": "Plinth",
  "version": "1.0.0",
  "machineID": "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b",
  "hostname": "plinth-3f2a9c",
  "esp": {
    "partUUID": "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
  },
  "data": {
    "partUUID": "0fc63daf-8483-4772-8e79-3d69d8477de4",
    "label": "plinth-data",
    "fsType": "ext4"
  },
  "network": {
    "mode": "dhcp"
  },
  "settings": {
    "cluster": "east",
    "peers": [
      "a:1",
      "b:2"
    ]
  }
}
`

func TestMarshalDeterministic(t *testing.T) {
	a, err := Marshal(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != golden {
		t.Errorf("Marshal =\n%s\nwant\n%s", a, golden)
	}
	for i := 0; i < 20; i++ { // map order is random per iteration; bytes must not be
		b, _ := Marshal(validConfig())
		if !bytes.Equal(a, b) {
			t.Fatalf("Marshal differs between runs:\n%s\n%s", a, b)
		}
	}
	c, err := Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Marshal(c)
	if !bytes.Equal(a, b) {
		t.Errorf("Marshal(Parse(x)) != x:\n%s", b)
	}
}

func TestMarshalNoSettingsAndInvalid(t *testing.T) {
	c := validConfig()
	c.Settings = nil
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"settings"`)) {
		t.Errorf("no settings written as a field:\n%s", b)
	}
	c.Hostname = ""
	if _, err := Marshal(c); err == nil {
		t.Error("Marshal of an invalid config succeeded")
	}
}

// TestOldServicesIgnored: configs written before services came with the
// runtime image still load (those machines must boot and take updates),
// and the list is not written again.
func TestOldServicesIgnored(t *testing.T) {
	old := strings.Replace(golden, `"schema": 1,`, `"schema": 1, "services": [{"name": "demo", "exec": "/bbin/plinth-demo"}],`, 1)
	c, err := Parse([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(c)
	if err != nil || strings.Contains(string(b), "services") {
		t.Errorf("Marshal (%v) kept the old services:\n%s", err, b)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "  \n", "file is empty"},
		{"syntax", "{\n  \"schema\": 1,\n  \"product\" \"x\"\n}", "not valid JSON at line 3"},
		{"truncated", `{"schema": 1, "product": "x"`, "truncated"},
		{"unknown field", strings.Replace(golden, `"schema": 1,`, `"schema": 1, "colour": "red",`, 1), `unknown field "colour"`},
		{"wrong type", strings.Replace(golden, `"schema": 1`, `"schema": "1"`, 1), `field "schema" at line 2`},
		{"setting value", strings.Replace(golden, `"east"`, `1.5`, 1), "not a whole number"},
		{"trailing", golden + "{}", "unexpected data after the JSON object"},
		{"invalid", strings.Replace(golden, `"ext4"`, `"btrfs"`, 1), `data.fsType: "btrfs"`},
		{"huge", strings.Repeat(" ", MaxSize+1), "more than"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{`"1m30s"`, 90 * time.Second, ""},
		{`"500ms"`, 500 * time.Millisecond, ""},
		{`"soon"`, 0, `bad duration "soon"`},
		{`1000`, 0, "duration must be a string"},
	} {
		var d Duration
		err := json.Unmarshal([]byte(tt.in), &d)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Unmarshal(%s) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || time.Duration(d) != tt.want):
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", tt.in, time.Duration(d), err, tt.want)
		}
	}
	if b, err := json.Marshal(Duration(90 * time.Second)); err != nil || string(b) != `"1m30s"` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir + "/missing.json"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestDerive(t *testing.T) {
	id := Identity{Product: "Acme Widget 3000", ProductUUID: "4C4C4544-0042-3510-8052-B4C04F4E4D32", DiskSerial: "S1234", DiskGUID: guid.Derive("disk", nil), ESPPartUUID: guid.Derive("esp", nil), DataPartUUID: guid.Derive("data", nil)}
	m1, h1 := Derive(id)
	m2, h2 := Derive(id)
	if m1 != m2 || h1 != h2 {
		t.Fatalf("Derive is not deterministic: %s %s / %s %s", m1, h1, m2, h2)
	}
	if checkMachineID(m1) != "" || m1[12] != '4' {
		t.Errorf("machine ID %q is not a valid v4-shaped ID", m1)
	}
	if want := "acme-widget-3000-" + m1[:6]; h1 != want {
		t.Errorf("hostname = %q, want %q", h1, want)
	}
	if checkHostname(h1) != "" {
		t.Errorf("hostname %q invalid: %s", h1, checkHostname(h1))
	}
	// Case and whitespace do not matter; content does.
	id2 := id
	id2.ProductUUID = strings.ToLower(id.ProductUUID) + "\n"
	if m, _ := Derive(id2); m != m1 {
		t.Errorf("case/whitespace changed the machine ID")
	}
	id3 := id
	id3.DiskSerial = "S1235"
	if m, _ := Derive(id3); m == m1 {
		t.Errorf("different serial gave the same machine ID")
	}
	// Field boundaries matter.
	a, _ := Derive(Identity{DiskSerial: "ab", ProductUUID: "c"})
	b, _ := Derive(Identity{DiskSerial: "a", ProductUUID: "bc"})
	if a == b {
		t.Error("field boundaries are not separated")
	}
}

func TestHostnamePrefix(t *testing.T) {
	tests := map[string]string{
		"Plinth":                 "plinth",
		"  Acme -- Box! ":        "acme-box",
		"日本":                     "plinth",
		"":                       "plinth",
		strings.Repeat("ab", 40): strings.Repeat("ab", 25),
	}
	for in, want := range tests {
		if got := HostnamePrefix(in); got != want {
			t.Errorf("HostnamePrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
