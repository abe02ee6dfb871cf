package secureboot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/efivar"
)

func TestParseLockdown(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"[none] integrity confidentiality\n", "none", ""},
		{"none [integrity] confidentiality\n", "integrity", ""},
		{"none integrity [confidentiality]", "confidentiality", ""},
		{"none integrity confidentiality\n", "", "no mode in brackets"},
		{"[]", "", "no mode in brackets"},
		{"", "", "no mode in brackets"},
	}
	for _, tt := range tests {
		got, err := ParseLockdown(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseLockdown(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// fakeVars is a variable store holding the given one-byte variables.
func fakeVars(t *testing.T, vals map[string]byte) efivar.Store {
	t.Helper()
	s := efivar.NewEfivarfs(t.TempDir())
	for name, v := range vals {
		if err := s.Set(name, efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, []byte{v}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	lockdown := filepath.Join(dir, "lockdown")
	os.WriteFile(lockdown, []byte("none [integrity] confidentiality\n"), 0o644)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("none integrity\n"), 0o644)

	tests := []struct {
		name     string
		vars     efivar.Store
		lockdown string
		summary  string
		want     Status
		err      string
	}{
		{"legacy boot", nil, filepath.Join(dir, "missing"), "unknown (not booted through UEFI)", Status{}, ""},
		{"no secure boot", fakeVars(t, nil), lockdown, "not supported by the firmware", Status{UEFI: true, Lockdown: "integrity"}, ""},
		{"setup mode", fakeVars(t, map[string]byte{"SecureBoot": 0, "SetupMode": 1}), lockdown, "off, Setup Mode",
			Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SetupMode: true}, Lockdown: "integrity"}, ""},
		{"audit mode", fakeVars(t, map[string]byte{"SecureBoot": 0, "SetupMode": 1, "AuditMode": 1}), lockdown, "off, Audit Mode",
			Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SetupMode: true, AuditMode: true}, Lockdown: "integrity"}, ""},
		{"user mode, off", fakeVars(t, map[string]byte{"SecureBoot": 0, "SetupMode": 0}), lockdown, "off",
			Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true}, Lockdown: "integrity"}, ""},
		{"on", fakeVars(t, map[string]byte{"SecureBoot": 1, "SetupMode": 0}), lockdown, "on",
			Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SecureBoot: true}, Lockdown: "integrity"}, ""},
		{"deployed", fakeVars(t, map[string]byte{"SecureBoot": 1, "DeployedMode": 1}), lockdown, "on, Deployed Mode",
			Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SecureBoot: true, DeployedMode: true}, Lockdown: "integrity"}, ""},
		{"bad variable and lockdown", fakeVars(t, map[string]byte{"SecureBoot": 7}), bad, "unknown (not booted through UEFI)",
			Status{}, "SecureBoot holds 07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(tt.vars, tt.lockdown)
			if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if got != tt.want || got.Summary() != tt.summary {
				t.Errorf("got %+v (%q), want %+v (%q)", got, got.Summary(), tt.want, tt.summary)
			}
		})
	}
}
