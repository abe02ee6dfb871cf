package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/sbenroll/sbenrolltest"
	"github.com/plinth-os/plinth/internal/setting"
)

// A payload that does not match the manifest stops the install before
// discovery: nothing is looked at, nothing written.
func TestCorruptPayloadStopsFirst(t *testing.T) {
	var events bytes.Buffer
	env := Env{SysRoot: "/nonexistent", DevRoot: "/nonexistent", ProcRoot: "/nonexistent",
		Events: event.New(&events), Log: func(string, ...any) {}}
	m := Manifest{Product: "P", Version: "1", RuntimeUKISHA256: "00", RuntimeUKISize: 3}
	_, err := Run(context.Background(), env, Request{Answers: &answers.Answers{}, Manifest: m, UKI: []byte("uki")})
	if Code(err) != "payload-corrupt" {
		t.Fatalf("err = %v (code %q), want payload-corrupt", err, Code(err))
	}
	if events.Len() != 0 {
		t.Errorf("events before the payload check: %s", events.String())
	}
}

// Settings the product does not declare, or of the wrong type, stop the
// install before discovery, with the line and field at fault.
func TestBadSettingsStopBeforeDiscovery(t *testing.T) {
	uki := []byte("uki")
	sum := sha256.Sum256(uki)
	m := Manifest{Product: "P", Version: "1", RuntimeUKISHA256: hex.EncodeToString(sum[:]), RuntimeUKISize: int64(len(uki))}
	port := setting.IntValue(2379)
	decls := []setting.Decl{{Name: "port", Type: setting.TypeInt, Default: &port}, {Name: "name", Type: setting.TypeString}}
	tests := []struct {
		name  string
		yaml  string
		field string
	}{
		{"quoted int", "disk: largest\nsettings:\n  name: n\n  port: \"1\"\n", "settings.port"},
		{"undeclared", "disk: largest\nsettings:\n  name: n\n  prot: 1\n", "settings.prot"},
		{"missing", "disk: largest\n", "settings.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := answers.Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var events bytes.Buffer
			progressed := false
			env := Env{SysRoot: "/nonexistent", DevRoot: "/nonexistent", ProcRoot: "/nonexistent",
				Events: event.New(&events), Log: func(string, ...any) {}, Progress: func(Progress) { progressed = true }}
			_, err = Run(context.Background(), env, Request{Answers: a, Manifest: m, UKI: uki, SettingDecls: decls})
			var pe *answers.ParseError
			if Code(err) != errcode.AnswersInvalid || !errors.As(err, &pe) || pe.Field != tt.field {
				t.Fatalf("err = %v (code %q), want answers-invalid at %s", err, Code(err), tt.field)
			}
			if progressed || events.Len() != 0 {
				t.Errorf("the install went on: progress %v, events %s", progressed, events.String())
			}
		})
	}
}

func TestManifestRequirements(t *testing.T) {
	def := installplan.DefaultRequirements()
	if got := (Manifest{}).Requirements(); got != def {
		t.Errorf("no minimums: %+v, want the defaults %+v", got, def)
	}
	got := Manifest{MinMemory: 2 << 30, MinDisk: 32 << 30}.Requirements()
	if got.MinRAM != 2<<30 || got.MinDiskSize != 32<<30 || got.MinCPUs != def.MinCPUs {
		t.Errorf("product minimums: %+v", got)
	}
}

// secure-boot: require is refused before any disk is looked at unless
// the firmware will verify the installed system; the other policies go
// on (and here fail at discovery, which has nothing to look at).
func TestSecureBootRequireStopsBeforeDiscovery(t *testing.T) {
	uki := []byte("uki")
	sum := sha256.Sum256(uki)
	m := Manifest{Product: "P", Version: "1", RuntimeUKISHA256: hex.EncodeToString(sum[:]), RuntimeUKISize: int64(len(uki))}
	keyDir := filepath.Join(t.TempDir(), "keys")
	certs := sbenrolltest.WriteKeys(t, keyDir)
	keys, err := sbenroll.LoadKeys(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		yaml       string
		secureBoot int // SecureBoot, SetupMode: 0/1
		setupMode  int
		ours       bool // db holds our certificate
		keys       bool
		want       errcode.Code
	}{
		{"require, user mode", "secure-boot: require\n", 1, 0, false, true, errcode.SecureBootRequired},
		{"require, unsigned image", "secure-boot: require\n", 0, 1, false, false, errcode.SecureBootRequired},
		{"require, secure boot off", "secure-boot: require\n", 0, 0, true, true, errcode.SecureBootRequired},
		{"require, already trusted", "secure-boot: require\n", 1, 0, true, true, errcode.Discover},
		{"require, setup mode", "secure-boot: require\n", 0, 1, false, true, errcode.Discover},
		{"enroll-if-setup-mode, user mode", "secure-boot: enroll-if-setup-mode\n", 1, 0, false, true, errcode.Discover},
		{"off", "", 1, 0, false, false, errcode.Discover},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := answers.Parse([]byte("disk: largest\n" + tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			vars := efivar.NewMemStore()
			sbenrolltest.NewFirmware(t, vars, tt.secureBoot, tt.setupMode)
			if tt.ours {
				vars.SetAuthenticated("db", efivar.ImageSecurityDatabase, efivar.AttrsAuthenticatedAppend, sbenrolltest.Auth(t, certs.DB))
			}
			var steps []string
			env := Env{SysRoot: "/nonexistent", DevRoot: "/nonexistent", ProcRoot: "/nonexistent", Vars: vars,
				Log: func(string, ...any) {}, Progress: func(p Progress) { steps = append(steps, string(p.Step)) }}
			if tt.keys {
				env.SecureBootKeys = keys
			}
			_, err = Run(context.Background(), env, Request{Answers: a, Manifest: m, UKI: uki})
			if Code(err) != tt.want {
				t.Fatalf("err = %v (code %q), want %q", err, Code(err), tt.want)
			}
			if tt.want == errcode.SecureBootRequired && len(steps) > 0 {
				t.Errorf("refused after steps %q", steps)
			}
			if refs, _ := vars.List(); tt.want == errcode.SecureBootRequired && len(refs) > 3 {
				t.Errorf("variables written: %v", refs)
			}
		})
	}
}
