package answers

import (
	"errors"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/setting"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Answers
	}{
		{"minimal", "disk: largest\n", Answers{Disk: Selector{Kind: "largest"}, After: "reboot"}},
		{"full static", `# install.yaml
---
disk: serial:S4EVNF0M123456   # the NVMe
wipe: true
hostname: DB-01.example.com
network:
  mode: static
  address: 192.0.2.10/24
  gateway: 192.0.2.1
  dns: [192.0.2.53, "2001:db8::53"]
after: poweroff
`, Answers{
			Disk: Selector{Kind: "serial", Value: "S4EVNF0M123456"}, Wipe: true, Hostname: "db-01.example.com",
			Network: Network{Mode: "static", Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1"),
				DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("2001:db8::53")}},
			After: "poweroff"}},
		{"block dns list, quoted values", "disk: \"wwn:0x5000C500A1B2C3D4\"\nwipe: False\nnetwork:\n    mode: 'static'\n    address: 10.0.0.5/8\n    dns:\n    - 10.0.0.1\n    - 10.0.0.2 # second\n",
			Answers{Disk: Selector{Kind: "wwn", Value: "0x5000c500a1b2c3d4"}, Network: Network{Mode: "static", Address: netip.MustParsePrefix("10.0.0.5/8"),
				DNS: []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}}, After: "reboot"}},
		{"by-id", "disk: by-id:/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_plinth01\r\n", Answers{Disk: Selector{Kind: "by-id", Value: "nvme-QEMU_NVMe_Ctrl_plinth01"}, After: "reboot"}},
		{"bare by-id path", "disk: /dev/disk/by-id/virtio-abc\n", Answers{Disk: Selector{Kind: "by-id", Value: "virtio-abc"}, After: "reboot"}},
		{"bare serial", "disk: plinth01\nafter: reboot\n...\n", Answers{Disk: Selector{Kind: "serial", Value: "plinth01"}, After: "reboot"}},
		{"dhcp explicit", "network:\n  mode: dhcp\ndisk: smallest\n", Answers{Disk: Selector{Kind: "smallest"}, Network: Network{Mode: "dhcp"}, After: "reboot"}},
		{"data-size", "disk: largest\ndata-size: 20GiB\n", Answers{Disk: Selector{Kind: "largest"}, DataSize: 20 << 30, After: "reboot"}},
		{"data-size short unit", "disk: largest\ndata-size: 2T # binary\n", Answers{Disk: Selector{Kind: "largest"}, DataSize: 2 << 40, After: "reboot"}},
		{"data-size rest", "disk: largest\ndata-size: \"rest\"\n", Answers{Disk: Selector{Kind: "largest"}, After: "reboot"}},
		{"secure-boot require", "disk: largest\nsecure-boot: require\n", Answers{Disk: Selector{Kind: "largest"}, After: "reboot", SecureBoot: "require"}},
		{"secure-boot quoted", "disk: largest\nsecure-boot: \"enroll-if-setup-mode\"\nmicrosoft-keys: true\n",
			Answers{Disk: Selector{Kind: "largest"}, After: "reboot", SecureBoot: "enroll-if-setup-mode"}},
		{"secure-boot off, no Microsoft keys", "disk: largest\nsecure-boot: off\nmicrosoft-keys: false\n",
			Answers{Disk: Selector{Kind: "largest"}, After: "reboot", SecureBoot: "off", OmitMicrosoftKeys: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		line  int
		field string
		msg   string // substring of Error()
	}{
		{"wipe yes please", "disk: largest\n\nwipe: yes please\n", 3, "wipe", `install.yaml:3: field "wipe": want true or false, got "yes please"`},
		{"wipe quoted", "disk: largest\nwipe: \"true\"\n", 2, "wipe", "want true or false"},
		{"wipe yes", "disk: largest\nwipe: yes\n", 2, "wipe", "want true or false"},
		{"unknown key", "disk: largest\nwiep: true\n", 2, "wiep", "unknown key (known: mode, disk, wipe, data-size, hostname, network, after, settings, secure-boot, microsoft-keys)"},
		{"secure-boot unknown", "disk: largest\nsecure-boot: on\n", 2, "secure-boot", `want off, enroll-if-setup-mode or require, got "on"`},
		{"secure-boot bool", "disk: largest\nsecure-boot: true\n", 2, "secure-boot", "want off, enroll-if-setup-mode or require"},
		{"secure-boot empty", "disk: largest\nsecure-boot:\n", 2, "secure-boot", "empty value"},
		{"secure-boot list", "disk: largest\nsecure-boot: [require]\n", 2, "secure-boot", "got a list"},
		{"secure-boot case", "disk: largest\nsecure-boot: Require\n", 2, "secure-boot", `got "Require"`},
		{"microsoft-keys yes", "disk: largest\nmicrosoft-keys: yes\n", 2, "microsoft-keys", "want true or false"},
		{"microsoft-keys quoted", "disk: largest\nmicrosoft-keys: \"false\"\n", 2, "microsoft-keys", "want true or false"},
		{"data-size bare number", "disk: largest\ndata-size: 20\n", 2, "data-size", `install.yaml:2: field "data-size": "20" has no unit: write 20GiB or 20MiB`},
		{"data-size decimal unit", "disk: largest\ndata-size: 20GB\n", 2, "data-size", "GB is a decimal unit"},
		{"data-size zero", "disk: largest\n\ndata-size: 0G\n", 3, "data-size", "is zero"},
		{"data-size too small", "disk: largest\ndata-size: 100MiB\n", 2, "data-size", "at least 256MiB"},
		{"data-size empty", "disk: largest\ndata-size:\n", 2, "data-size", "empty value"},
		{"data-size list", "disk: largest\ndata-size: [20GiB]\n", 2, "data-size", "got a list"},
		{"data-size all", "disk: largest\ndata-size: all\n", 2, "data-size", "not a size"},
		{"unknown network key", "disk: largest\nnetwork:\n  mode: static\n  adress: 1.2.3.4/24\n", 4, "network.adress", "unknown key"},
		{"missing disk", "wipe: true\n", 1, "disk", "required"},
		{"empty file", "# nothing\n", 0, "disk", "file is empty"},
		{"dev name", "disk: /dev/sda\n", 1, "disk", "can change between boots"},
		{"bad selector kind", "disk: path:/x\n", 1, "disk", "unknown disk selector"},
		{"empty serial", "disk: 'serial:'\n", 1, "disk", "needs a serial"},
		{"by-id outside dir", "disk: by-id:/dev/sda\n", 1, "disk", "wants a path under"},
		{"by-id partition", "disk: by-id:/dev/disk/by-id/ata-X_Y-part1\n", 1, "disk", "is a partition"},
		{"empty disk", "disk:\n", 1, "disk", "empty value"},
		{"null disk", "disk: ~\n", 1, "disk", "empty value"},
		{"bad hostname", "disk: largest\nhostname: db_01\n", 2, "hostname", "want letters"},
		{"hostname dash", "disk: largest\nhostname: -db\n", 2, "hostname", "starts or ends"},
		{"bad after", "disk: largest\nafter: halt\n", 2, "after", `want reboot or poweroff, got "halt"`},
		{"bad mode", "disk: largest\nnetwork:\n  mode: manual\n", 3, "network.mode", "want dhcp or static"},
		{"bad cidr", "disk: largest\nnetwork:\n  mode: static\n  address: 192.0.2.10\n", 4, "network.address", "address/prefix"},
		{"static no address", "disk: largest\nnetwork:\n  mode: static\n", 3, "network.address", "required with mode: static"},
		{"dhcp with address", "disk: largest\nnetwork:\n  address: 192.0.2.10/24\n", 3, "network.address", "only used with mode: static"},
		{"gateway outside", "disk: largest\nnetwork:\n  mode: static\n  address: 192.0.2.10/24\n  gateway: 198.51.100.1\n", 5, "network.gateway", "outside"},
		{"gateway family", "disk: largest\nnetwork:\n  mode: static\n  address: 192.0.2.10/24\n  gateway: 2001:db8::1\n", 5, "network.gateway", "IP version"},
		{"bad dns", "disk: largest\nnetwork:\n  mode: static\n  address: 192.0.2.10/24\n  dns: [192.0.2.53, nope]\n", 5, "network.dns", `got "nope"`},
		{"duplicate key", "disk: largest\nwipe: false\nwipe: true\n", 3, "wipe", "duplicate key \"wipe\" (first on line 2)"},
		{"duplicate nested key", "disk: largest\nnetwork:\n  mode: dhcp\n  mode: static\n", 4, "network.mode", "duplicate key"},
		{"tab indent", "disk: largest\nnetwork:\n\tmode: dhcp\n", 3, "", "cannot start any token"},
		{"bad indentation", "disk: largest\n  wipe: true\n", 2, "", "mapping values are not allowed"},
		{"anchor", "disk: &a largest\n", 1, "disk", "anchors and aliases are not allowed"},
		{"block scalar", "disk: |\n  largest\n", 1, "disk", "multi-line text is not allowed"},
		{"tag", "disk: largest\nwipe: !!bool true\n", 2, "wipe", "explicit tags"},
		{"list top", "- disk\n", 1, "", "mapping"},
		{"two docs", "disk: largest\n---\ndisk: smallest\n", 2, "", "only one YAML document"},
		{"unterminated quote", "disk: \"largest\n", 2, "", "unexpected end of stream"},
		{"network scalar", "disk: largest\nnetwork: static\n", 2, "network", "want a mapping"},
		{"disk list", "disk: [a, b]\n", 1, "disk", "got a list"},
		{"not key value", "disk largest\n", 1, "", "want a mapping of keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if pe.Line != tc.line || pe.Field != tc.field {
				t.Errorf("line %d field %q, want line %d field %q (%v)", pe.Line, pe.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestSelectorString(t *testing.T) {
	for _, s := range []string{"largest", "smallest", "serial:ABC", "wwn:0x5000c500a1b2c3d4", "by-id:/dev/disk/by-id/ata-M_S"} {
		sel, err := ParseSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		if sel.String() != s {
			t.Errorf("%q -> %q", s, sel.String())
		}
	}
}

func TestParseSize(t *testing.T) {
	const mib, gib, tib = int64(1) << 20, int64(1) << 30, int64(1) << 40
	tests := []struct {
		in      string
		want    int64
		wantErr string // substring; "" for success
	}{
		{"rest", 0, ""},
		{" rest ", 0, ""},
		{"20GiB", 20 * gib, ""},
		{"20G", 20 * gib, ""},
		{"20 GiB", 20 * gib, ""},
		{"256MiB", 256 * mib, ""},
		{"256M", 256 * mib, ""},
		{"3TiB", 3 * tib, ""},
		{"3T", 3 * tib, ""},
		{"1536GiB", 1536 * gib, ""},
		{"8388607TiB", 8388607 * tib, ""},
		{"", 0, "empty size"},
		{"20", 0, `"20" has no unit: write 20GiB or 20MiB`},
		{"0", 0, `"0" is zero`},
		{"000G", 0, "is zero"},
		{"0x", 0, "is zero"},
		{"-20GiB", 0, "negative"},
		{"+20GiB", 0, "not a size"},
		{"GiB", 0, "not a size"},
		{"Rest", 0, "not a size"},
		{"0GiB", 0, "is zero"},
		{"255MiB", 0, `"255MiB" is too small: the data partition needs at least 256MiB`},
		{"20GB", 0, `"20GB": GB is a decimal unit, which disk tools disagree about; write 20GiB for the binary unit`},
		{"20gb", 0, "write 20GiB"},
		{"1TB", 0, "write 1TiB"},
		{"20g", 0, `unknown unit "g": want MiB, GiB or TiB (or M, G, T, the same binary units)`},
		{"20KiB", 0, "unknown unit"},
		{"20B", 0, "unknown unit"},
		{"20GiBs", 0, "unknown unit"},
		{"1.5TiB", 0, `"1.5TiB": want a whole number, e.g. 1536GiB`},
		{"2.5G", 0, `"2.5G": want a whole number, e.g. 2560MiB`},
		{"1.1TiB", 0, "want a whole number with a unit, e.g. 20GiB"},
		{"1.5M", 0, "want a whole number with a unit"},
		{"0.5GiB", 0, "e.g. 512MiB"},
		{"0.0GiB", 0, "want a whole number with a unit"},
		{"1.GiB", 0, "want a whole number with a unit"},
		{"8388608TiB", 0, "too large"},
		{"99999999999999999999MiB", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseSize(%q) = %d, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "rest"},
		{20 << 30, "20GiB"},
		{256 << 20, "256MiB"},
		{1536 << 30, "1536GiB"},
		{2 << 40, "2TiB"},
		{7116 << 20, "7116MiB"},
		{1<<30 + 1, "1025MiB"}, // rounded up, as provision.Plan rounds
		{1, "1MiB"},
		{math.MaxInt64, "8388608TiB"},
		{-1, "-1B"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.n); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// FuzzParseSize checks that every accepted size is a whole number of MiB
// at or above the minimum, and survives FormatSize and back.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"rest", "20GiB", "20G", "256 MiB", "3T", "1.5TiB", "20GB", "-1G", "0M", "99999999999T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n != 0 && (n < 256<<20 || n%(1<<20) != 0) {
			t.Fatalf("ParseSize(%q) = %d: not a MiB multiple of at least 256 MiB", s, n)
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, FormatSize gives %q, which parses as %d, %v", s, n, FormatSize(n), back, err)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"disk: largest\n",
		"disk: serial:X\nwipe: true\nhostname: a\nnetwork:\n  mode: static\n  address: 10.0.0.1/8\n  gateway: 10.0.0.254\n  dns: [1.1.1.1, '8.8.8.8']\nafter: poweroff\n",
		"network:\n  dns:\n  - 1.2.3.4\n",
		"---\ndisk: \"a\\\"b\" # c\n...\n",
		"disk: 'it''s'\n",
		"disk: largest\ndata-size: 20GiB\n",
		"disk: largest\ndata-size: rest\n",
		"disk: largest\nsettings:\n  port: 1\n  peers: [a, 'b']\n  debug: true\n  name: \"x\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *ParseError: %T %v", err, err)
			}
			return
		}
		if a.Disk.Kind == "" || (a.After != AfterReboot && a.After != AfterPoweroff) || a.DataSize < 0 || a.DataSize%(1<<20) != 0 {
			t.Fatalf("accepted but incomplete: %+v", a)
		}
		for _, s := range a.Settings {
			if msg := setting.CheckName(s.Name); msg != "" || s.Line <= 0 {
				t.Fatalf("accepted setting %+v: %s", s, msg)
			}
		}
	})
}

func TestNetworkConfig(t *testing.T) {
	static := Network{Mode: "static", Address: netip.MustParsePrefix("192.0.2.10/24"),
		Gateway: netip.MustParseAddr("192.0.2.1"), DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}}.Config()
	if static.Mode != "static" || static.Address != "192.0.2.10/24" || static.Gateway != "192.0.2.1" || len(static.DNS) != 1 {
		t.Errorf("static = %+v", static)
	}
	if dhcp := (Network{}).Config(); dhcp.Mode != "dhcp" || dhcp.Address != "" {
		t.Errorf("default = %+v", dhcp)
	}
}

func TestSecureBootDefaults(t *testing.T) {
	tests := []struct {
		yaml      string
		policy    string
		microsoft bool
	}{
		{"disk: largest\n", SecureBootOff, true},
		{"disk: largest\nsecure-boot: enroll-if-setup-mode\n", SecureBootEnrollIfSetupMode, true},
		{"disk: largest\nsecure-boot: require\nmicrosoft-keys: false\n", SecureBootRequire, false},
		{"disk: largest\nmicrosoft-keys: FALSE\n", SecureBootOff, false},
	}
	for _, tt := range tests {
		a, err := Parse([]byte(tt.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if a.SecureBootPolicy() != tt.policy || a.MicrosoftKeys() != tt.microsoft {
			t.Errorf("%q: policy %q, Microsoft keys %v; want %q, %v", tt.yaml, a.SecureBootPolicy(), a.MicrosoftKeys(), tt.policy, tt.microsoft)
		}
	}
	// The zero Answers, as code builds them, enrolls nothing and would
	// include Microsoft's CAs.
	if z := (&Answers{}); z.SecureBootPolicy() != SecureBootOff || !z.MicrosoftKeys() {
		t.Errorf("zero answers: %q, %v", z.SecureBootPolicy(), z.MicrosoftKeys())
	}
	if d := Default(); d.SecureBootPolicy() != SecureBootOff || !d.MicrosoftKeys() {
		t.Errorf("defaults: %q, %v", d.SecureBootPolicy(), d.MicrosoftKeys())
	}
}
