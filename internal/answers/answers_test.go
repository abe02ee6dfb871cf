package answers

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Answers
	}{
		{"minimal", "disk: largest\n", Answers{Disk: Selector{Kind: "largest"}, Network: Network{Mode: "dhcp"}, After: "reboot"}},
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
		{"by-id", "disk: by-id:/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_plinth01\r\n", Answers{Disk: Selector{Kind: "by-id", Value: "nvme-QEMU_NVMe_Ctrl_plinth01"}, Network: Network{Mode: "dhcp"}, After: "reboot"}},
		{"bare by-id path", "disk: /dev/disk/by-id/virtio-abc\n", Answers{Disk: Selector{Kind: "by-id", Value: "virtio-abc"}, Network: Network{Mode: "dhcp"}, After: "reboot"}},
		{"bare serial", "disk: plinth01\nafter: reboot\n...\n", Answers{Disk: Selector{Kind: "serial", Value: "plinth01"}, Network: Network{Mode: "dhcp"}, After: "reboot"}},
		{"dhcp explicit", "network:\n  mode: dhcp\ndisk: smallest\n", Answers{Disk: Selector{Kind: "smallest"}, Network: Network{Mode: "dhcp"}, After: "reboot"}},
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
		{"unknown key", "disk: largest\nwiep: true\n", 2, "wiep", "unknown key"},
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
		{"duplicate key", "disk: largest\nwipe: false\nwipe: true\n", 3, "", "duplicate key \"wipe\" (first on line 2)"},
		{"tab indent", "disk: largest\nnetwork:\n\tmode: dhcp\n", 3, "", "cannot start any token"},
		{"bad indentation", "disk: largest\n  wipe: true\n", 2, "", "mapping values are not allowed"},
		{"anchor", "disk: &a largest\n", 1, "", "anchors and aliases are not allowed"},
		{"block scalar", "disk: |\n  largest\n", 1, "", "multi-line text is not allowed"},
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

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"disk: largest\n",
		"disk: serial:X\nwipe: true\nhostname: a\nnetwork:\n  mode: static\n  address: 10.0.0.1/8\n  gateway: 10.0.0.254\n  dns: [1.1.1.1, '8.8.8.8']\nafter: poweroff\n",
		"network:\n  dns:\n  - 1.2.3.4\n",
		"---\ndisk: \"a\\\"b\" # c\n...\n",
		"disk: 'it''s'\n",
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
		if a.Disk.Kind == "" || (a.After != AfterReboot && a.After != AfterPoweroff) {
			t.Fatalf("accepted but incomplete: %+v", a)
		}
	})
}
