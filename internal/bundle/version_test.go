package bundle

import (
	"strings"
	"testing"
)

func TestCompareVersions(t *testing.T) {
	// Each pair is a < b; the test checks both orders and that each
	// equals itself.
	older := []struct{ a, b string }{
		{"1.2.3", "1.2.4"},
		{"v1.2.3", "1.2.4"},
		{"1.9", "1.10"},
		{"1.4", "1.4.1"},
		{"0.9.99", "1"},
		{"1.2.3-rc1", "1.2.3"},
		{"1.2.3-alpha", "1.2.3-alpha.1"},
		{"1.2.3-alpha.1", "1.2.3-alpha.beta"},
		{"1.2.3-beta", "1.2.3-rc.1"},
		{"1.2.3-rc2", "1.2.3-rc10"},
		{"1.2.3-rc.2", "1.2.3-rc.10"},
		{"1.2.3", "1.2.3-1"},
		{"3.7.3-1", "3.7.3-2"},
		{"3.7.3-9", "3.7.3-10"},
		{"3.7.3-1", "3.7.4"},
		{"3.7.3-rc1", "3.7.3-1"},
		{"1.0.0-1ubuntu2", "1.0.0-1ubuntu10"},
		{"v1.4.2", "v1.4.2-3-g1a2b3c4"},
		{"v1.4.2-3-gffffff0", "v1.4.2-12-g0000001"},
		{"v1.4.2-3-g1a2b3c4", "v1.4.3-rc1"},
		{"v1.4.2-dirty", "v1.4.3"},
		{"99999999999999999999998", "99999999999999999999999"},
	}
	for _, tt := range older {
		for _, c := range []struct {
			a, b string
			want int
		}{{tt.a, tt.b, -1}, {tt.b, tt.a, 1}, {tt.a, tt.a, 0}} {
			if strings.HasSuffix(c.a, "-dirty") && c.want == 0 {
				continue
			}
			got, err := CompareVersions(c.a, c.b)
			if err != nil || got != c.want {
				t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", c.a, c.b, got, err, c.want)
			}
		}
	}
	same := []struct{ a, b string }{
		{"1.4", "1.4.0"}, {"v1.4.0", "1.4"}, {"1.02", "1.2"}, {"1.2.3+build.5", "1.2.3+build.6"}, {"1.2.3-3-gabcdef0", "1.2.3-3-gabcdef0"},
	}
	for _, tt := range same {
		if got, err := CompareVersions(tt.a, tt.b); err != nil || got != 0 {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want 0", tt.a, tt.b, got, err)
		}
	}
}

func TestCompareVersionsErrors(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"", "1", `"" is not a version like 1.2.3, v1.2.3, 1.2.3-rc1 or 1.2.3-1: want 1 to 128 characters`},
		{strings.Repeat("1", 129), "1", "want 1 to 128 characters"},
		{"latest", "1", `"latest" is not a version`},
		{"1", "1a2b3c4", `release "1a2b3c4" must be numbers separated by '.'`},
		{"v", "1", `release ""`},
		{"1..2", "1", `release "1..2"`},
		{"1.2~rc1", "1", `release "1.2~rc1"`},
		{"1.2-", "1", `suffix "" must be letters and digits`},
		{"1.2-rc..1", "1", `suffix "rc..1"`},
		{"1.2-rc_1", "1", `suffix "rc_1"`},
		{"1.2+", "1", "build metadata after '+'"},
		{"1.2+a_b", "1", "build metadata after '+'"},
		{"v1.4.2-3-g1a2b3c4", "v1.4.2-3-g5d6e7f8", "v1.4.2-3-g1a2b3c4 and v1.4.2-3-g5d6e7f8: commits 1a2b3c4 and 5d6e7f8 are both 3 commits after the tag, on different branches: they cannot be ordered"},
		{"v1.4.2-dirty", "v1.4.2", "v1.4.2-dirty and v1.4.2: a build from uncommitted changes (-dirty) cannot be ordered against the same version"},
		{"v1.4.2-dirty", "v1.4.2-dirty", "(-dirty)"},
		{"1.2.3-3-gabcdef0-dirty", "1.2.3-3-gabcdef0", "(-dirty)"},
	}
	for _, tt := range tests {
		_, err := CompareVersions(tt.a, tt.b)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CompareVersions(%q, %q): %v, want an error containing %q", tt.a, tt.b, err, tt.want)
		}
	}
}

func TestCheckUpdate(t *testing.T) {
	m := &Manifest{Product: "Acme DB", Version: "v2.0.0", MinVersion: "v1.5.0"}
	tests := []struct {
		product, installed string
		minVersion         string
		want               string // "" for no error
	}{
		{"Acme DB", "v1.5.0", "v1.5.0", ""},
		{"Acme DB", "v1.9.3-2", "v1.5.0", ""},
		{"Acme DB", "v2.0.0", "v1.5.0", ""},
		{"Acme DB", "v3.0.0", "v1.5.0", ""}, // going back is the caller's decision
		{"Acme DB", "not-a-version", "", ""},
		{"Other DB", "v1.6.0", "v1.5.0", "bundle: this is an update for Acme DB, not for Other DB"},
		{"Acme DB", "v1.4.9", "v1.5.0", "bundle: Acme DB v2.0.0 updates only v1.5.0 or later; this appliance runs v1.4.9: install an update to v1.5.0 or later first"},
		{"Acme DB", "v1.5.0-rc1", "v1.5.0", "this appliance runs v1.5.0-rc1"},
		{"Acme DB", "abc1234", "v1.5.0", `bundle: Acme DB v2.0.0 updates only v1.5.0 or later, and the installed version cannot be compared with that ("abc1234" is not a version`},
	}
	for _, tt := range tests {
		m.MinVersion = tt.minVersion
		err := m.CheckUpdate(tt.product, tt.installed)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckUpdate(%q, %q) with minVersion %q: %v, want %q", tt.product, tt.installed, tt.minVersion, err, tt.want)
		}
	}
}
