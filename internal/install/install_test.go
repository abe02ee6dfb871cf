package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/installplan"
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
