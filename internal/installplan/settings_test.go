package installplan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/setting"
)

// The machine's settings reach the installed config and the plan's
// JSON, defaults filled in; values the declarations refuse stop the
// plan.
func TestMakePlanSettings(t *testing.T) {
	port := setting.IntValue(2379)
	decls := []setting.Decl{
		{Name: "port", Type: setting.TypeInt, Default: &port},
		{Name: "name", Type: setting.TypeString},
	}
	tests := []struct {
		name     string
		decls    []setting.Decl
		values   map[string]setting.Value
		want     map[string]setting.Value // nil: none in the config
		wantJSON string                   // in the plan's JSON
		wantErr  string
	}{
		{"no settings", nil, nil, nil, `"networkMode":"dhcp"}`, ""},
		{"defaults filled", decls, map[string]setting.Value{"name": setting.StringValue("etcd-1")},
			map[string]setting.Value{"port": port, "name": setting.StringValue("etcd-1")}, `"settings":{"name":"etcd-1","port":2379}`, ""},
		{"given values win", decls, map[string]setting.Value{"name": setting.StringValue("n"), "port": setting.IntValue(1)},
			map[string]setting.Value{"port": setting.IntValue(1), "name": setting.StringValue("n")}, `"settings":{"name":"n","port":1}`, ""},
		{"missing required", decls, nil, nil, "", `setting "name": has no default`},
		{"wrong type", decls, map[string]setting.Value{"name": setting.IntValue(1)}, nil, "", "is of type string"},
		{"undeclared", nil, map[string]setting.Value{"x": setting.IntValue(1)}, nil, "", `setting "x": is not declared`},
	}
	c := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answers.Default()
			p, err := MakePlan(Request{Target: c, Answers: &a, Product: "Plinth", Version: "1", RuntimeUKISize: 40 << 20,
				Seed: []byte("seed"), SettingDecls: tt.decls, Settings: tt.values})
			if tt.wantErr != "" {
				if Code(err) != errcode.AnswersInvalid || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v (code %s), want %s with %q", err, Code(err), errcode.AnswersInvalid, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Installed.Settings, tt.want) || !reflect.DeepEqual(p.Config.Settings, tt.want) {
				t.Errorf("installed %v, plan %v; want %v", p.Installed.Settings, p.Config.Settings, tt.want)
			}
			b, err := p.JSON()
			if err != nil || !strings.Contains(string(b), tt.wantJSON) {
				t.Errorf("plan JSON (%v) lacks %s:\n%s", err, tt.wantJSON, b)
			}
			// The file on the ESP carries them, and the appliance's
			// reader takes it.
			cfg, err := appconfig.Marshal(p.Installed)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				Settings map[string]setting.Value `json:"settings"`
			}
			if err := json.Unmarshal(cfg, &back); err != nil || !reflect.DeepEqual(back.Settings, tt.want) {
				t.Errorf("plinth.json settings %v (%v), want %v", back.Settings, err, tt.want)
			}
			if _, err := appconfig.Parse(cfg); err != nil {
				t.Errorf("appconfig.Parse: %v", err)
			}
		})
	}
}

// The product's network (in the manifest's base config) is installed
// unless the answers give a network of their own.
func TestMakePlanNetworkDefaults(t *testing.T) {
	product := appconfig.Network{Mode: appconfig.ModeStatic, Address: "192.0.2.10/24", Gateway: "192.0.2.1"}
	own := answers.Network{Mode: answers.NetDHCP}
	c := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0]
	for _, tt := range []struct {
		name    string
		base    appconfig.Network
		answers answers.Network
		want    appconfig.Network
	}{
		{"product's", product, answers.Network{}, product},
		{"answers win", product, own, appconfig.Network{Mode: appconfig.ModeDHCP}},
		{"neither: dhcp", appconfig.Network{}, answers.Network{}, appconfig.Network{Mode: appconfig.ModeDHCP}},
	} {
		a := answers.Default()
		a.Network = tt.answers
		p, err := MakePlan(Request{Target: c, Answers: &a, Product: "Plinth", Version: "1", RuntimeUKISize: 40 << 20,
			Seed: []byte("seed"), Config: appconfig.Config{Network: tt.base}})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(p.Installed.Network, tt.want) || p.Config.NetworkMode != tt.want.Mode {
			t.Errorf("%s: installed %+v (plan says %s), want %+v", tt.name, p.Installed.Network, p.Config.NetworkMode, tt.want)
		}
	}
}
