package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/setting"
)

// writeProduct puts a product file declaring decls where mkiso puts it.
func writeProduct(t *testing.T, r roots, decls []setting.Decl) {
	t.Helper()
	b, err := productspec.Marshal(&productspec.Spec{Schema: productspec.SchemaVersion, Product: "Plinth", Version: "1.2.3", Settings: decls})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.Product, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// installer --plan checks install.yaml's settings against the product
// file's declarations before it looks at a disk, and shows the values,
// defaults filled in.
func TestPlanSettings(t *testing.T) {
	port := setting.IntValue(2379)
	decls := []setting.Decl{{Name: "port", Type: setting.TypeInt, Default: &port}, {Name: "name", Type: setting.TypeString}}
	tests := []struct {
		name    string
		product []setting.Decl // nil: no product file
		corrupt bool           // a product file that does not parse
		yaml    string
		want    map[string]setting.Value
		wantErr []string // on stderr
	}{
		{"no product file, no settings", nil, false, "disk: smallest\n", nil, nil},
		{"no product file, settings refused", nil, false, "disk: smallest\nsettings:\n  port: 1\n", nil,
			[]string{"answers-invalid", `install.yaml:3: field "settings.port": unknown setting (the product declares none)`}},
		{"defaults filled", decls, false, "disk: smallest\nsettings:\n  name: etcd-1\n",
			map[string]setting.Value{"port": port, "name": setting.StringValue("etcd-1")}, nil},
		{"quoted int", decls, false, "disk: smallest\nsettings:\n  name: n\n  port: \"2380\"\n", nil,
			[]string{"answers-invalid", `install.yaml:4: field "settings.port": want an int (setting port), got a string: write 2380 without quotes`}},
		{"missing required", decls, false, "disk: smallest\n", nil, []string{"answers-invalid", `field "settings.name": required`}},
		{"damaged product file", nil, true, "disk: smallest\n", nil, []string{"payload-corrupt", "product file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := planSystem(t)
			if tt.product != nil {
				writeProduct(t, r, tt.product)
			}
			if tt.corrupt {
				os.WriteFile(r.Product, []byte(`{"schema":1,"product":"P","settings":[{"name":"x","type":"float"}]}`), 0o644)
			}
			var out, errb bytes.Buffer
			status := planMain([]string{"--plan", "--answers", writeAnswers(t, tt.yaml)}, r, &out, &errb)
			if tt.wantErr != nil {
				for _, s := range tt.wantErr {
					if status != 1 || !strings.Contains(errb.String(), s) {
						t.Errorf("status %d stderr %q, want 1 and %q", status, errb.String(), s)
					}
				}
				return
			}
			if status != 0 {
				t.Fatalf("status %d: %s", status, errb.String())
			}
			var p installplan.Plan
			if err := json.Unmarshal(out.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Config.Settings, tt.want) {
				t.Errorf("plan settings %v, want %v\n%s", p.Config.Settings, tt.want, out.String())
			}
		})
	}
}
