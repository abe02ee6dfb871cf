package answers

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Answers
	}{
		{"install explicit", "mode: install\ndisk: largest\nwipe: true\nhostname: db-01\n",
			Answers{Mode: ModeInstall, Disk: Selector{Kind: "largest"}, Wipe: true, Hostname: "db-01", After: "reboot"}},
		{"upgrade without disk", "mode: upgrade\n", Answers{Mode: ModeUpgrade, After: "reboot"}},
		{"upgrade with disk and after", "disk: serial:S4EV\nmode: \"upgrade\"\nafter: poweroff\n",
			Answers{Mode: ModeUpgrade, Disk: Selector{Kind: "serial", Value: "S4EV"}, After: "poweroff"}},
		{"upgrade with secure-boot off", "mode: upgrade\nsecure-boot: off\n",
			Answers{Mode: ModeUpgrade, After: "reboot", SecureBoot: "off"}},
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
			if got.Upgrade() != (tc.want.Mode == ModeUpgrade) {
				t.Errorf("Upgrade() = %v", got.Upgrade())
			}
		})
	}
}

// TestParseModeRefuses: under mode: upgrade every key that describes a
// new installation is refused, naming the field and why, wherever mode:
// stands in the file; the first such key (by line) is the one reported.
func TestParseModeRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		field    string
		msg      string
	}{
		{"hostname", "mode: upgrade\nhostname: db-01\n", 2, "hostname", "mode: upgrade keeps the machine's own hostname; remove hostname:"},
		{"wipe before mode", "wipe: false\nmode: upgrade\n", 1, "wipe", "never erases the disk"},
		{"data-size", "mode: upgrade\ndisk: largest\ndata-size: 20GiB\n", 3, "data-size", "remove data-size:"},
		{"network", "mode: upgrade\nnetwork:\n  mode: dhcp\n", 2, "network", "own network configuration"},
		{"settings", "mode: upgrade\nsettings:\n  port: 2379\n", 2, "settings", "own settings"},
		{"secure-boot require", "mode: upgrade\nsecure-boot: require\n", 2, "secure-boot", "enrolls no Secure Boot keys"},
		{"microsoft-keys", "mode: upgrade\nmicrosoft-keys: true\n", 2, "microsoft-keys", "remove microsoft-keys:"},
		{"first of several", "settings:\n  a: 1\nhostname: x\nmode: upgrade\nwipe: true\n", 1, "settings", "own settings"},
		{"bad mode", "mode: update\n", 1, "mode", `want install or upgrade, got "update"`},
		{"mode list", "mode: [upgrade]\n", 1, "mode", "got a list"},
		{"install still needs disk", "mode: install\n", 1, "disk", "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: %v, want a *ParseError", err)
			}
			if pe.Line != tc.line || pe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got line %d field %q: %v\nwant line %d field %q with %q", pe.Line, pe.Field, err, tc.line, tc.field, tc.msg)
			}
		})
	}
}
