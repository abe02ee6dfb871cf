package wizard

import (
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/view"
)

// settingsMachine declares the settings of plinth.yaml's example
// product; the advanced screen's fields are then: 0 data size,
// 1 hostname, 2 port, 3 peers, 4 cluster, 5 debug.
func settingsMachine() Machine {
	port, peers, debug := setting.IntValue(2379), setting.ListValue(), setting.BoolValue(false)
	return Machine{Product: "Acme", Version: "1", Settings: []setting.Decl{
		{Name: "port", Type: setting.TypeInt, Default: &port, Description: "TCP port clients connect to"},
		{Name: "peers", Type: setting.TypeList, Default: &peers},
		{Name: "cluster", Type: setting.TypeString, Description: "Name of the cluster this machine joins"},
		{Name: "debug", Type: setting.TypeBool, Default: &debug},
	}}
}

func defaults(extra map[string]setting.Value) map[string]setting.Value {
	m := map[string]setting.Value{"port": setting.IntValue(2379), "peers": setting.ListValue(), "debug": setting.BoolValue(false)}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestAdvancedSettings(t *testing.T) {
	tests := []struct {
		name      string
		keys      string
		screen    string
		note      string                   // substring
		field     int                      // active field on the advanced screen
		errs      map[int]string           // field -> substring of its error; others must have none
		settings  map[string]setting.Value // in effect afterwards
		wantStart bool                     // the last key started the install
	}{
		{"a setting without default blocks the confirmation", "\n\n", ScreenDisks, "Setting cluster needs a value: press a", 0, nil, defaults(nil), false},
		{"advanced opens on the missing setting", "\na", ScreenAdvanced, "", 4, nil, defaults(nil), false},
		{"saving without it marks it", "\na^^\n", ScreenAdvanced, "Setting cluster: needs a value", 4,
			map[int]string{4: "needs a value"}, defaults(nil), false},
		{"filled, the install goes on", "\naprod\n\n345678\n", ScreenProgress, "", 0, nil,
			defaults(map[string]setting.Value{"cluster": setting.StringValue("prod")}), true},
		{"every type typed", "\na^^<<<<80v a:1 , b:2vmy clusterv<<<<<true\n", ScreenDisks, "saved", 0, nil,
			map[string]setting.Value{"port": setting.IntValue(80), "peers": setting.ListValue("a:1", "b:2"),
				"cluster": setting.StringValue("my cluster"), "debug": setting.BoolValue(true)}, false},
		{"every wrong field is marked, the first gets the cursor", "\na^^<<<<23a^nope_vvvv<<<<<yes\n", ScreenAdvanced,
			`Hostname: "nope_": want letters`, 1,
			map[int]string{2: "not a whole number", 4: "needs a value", 5: "write true or false", 1: "want letters"}, defaults(nil), false},
		{"an emptied int is a mistake", "\naprod^^<<<<\n", ScreenAdvanced, "empty: type a whole number (the default is 2379)", 2,
			map[int]string{2: "empty"}, defaults(nil), false},
		{"an emptied bool too", "\naprodv<<<<<\n", ScreenAdvanced, "empty: type true or false (the default is false)", 5,
			map[int]string{5: "empty"}, defaults(nil), false},
		{"editing a field clears its error", "\na\nx", ScreenAdvanced, "Setting cluster", 4, nil, defaults(nil), false},
		{"esc discards", "\naprod^^<<<<1~", ScreenDisks, "", 0, nil, defaults(nil), false},
		{"data size still checked first", "\na^^^^600GiB\n", ScreenAdvanced, "Data partition size: A data partition of 600GiB does not fit", 0,
			map[int]string{0: "does not fit", 4: "needs a value"}, defaults(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(settingsMachine(), cands(), maxData)
			a := press(w, tt.keys)
			if w.Screen() != tt.screen || !strings.Contains(w.note, tt.note) {
				t.Fatalf("screen %s note %q, want %s and %q", w.Screen(), w.note, tt.screen, tt.note)
			}
			if _, ok := a.(StartInstall); ok != tt.wantStart {
				t.Errorf("last action %#v, want an install started: %v", a, tt.wantStart)
			}
			if s, ok := a.(StartInstall); ok && !reflect.DeepEqual(s.Options.Settings, tt.settings) {
				t.Errorf("install with settings %v, want %v", s.Options.Settings, tt.settings)
			}
			if got := w.Options().Settings; !reflect.DeepEqual(got, tt.settings) {
				t.Errorf("settings %v, want %v", got, tt.settings)
			}
			if w.Screen() != ScreenAdvanced {
				return
			}
			v := w.View()
			if len(v.Fields) != 6 || !v.Fields[tt.field].Active {
				t.Fatalf("fields %+v, want 6 with %d active", v.Fields, tt.field)
			}
			for i, f := range v.Fields {
				if want, ok := tt.errs[i]; ok != (f.Error != "") || !strings.Contains(f.Error, want) {
					t.Errorf("field %d (%s) error %q, want %q", i, f.Label, f.Error, want)
				}
			}
		})
	}
}

// The advanced screen shows each setting with its description, type
// and the value in effect; a saved value shows when it is opened again.
func TestAdvancedSettingsView(t *testing.T) {
	w := New(settingsMachine(), cands(), maxData)
	press(w, "\na")
	v := w.View()
	want := []view.Field{
		{Label: "Data partition size", Help: `empty or "rest" for the rest of the disk, or e.g. 20GiB`},
		{Label: "Hostname", Help: "empty derives one from the machine"},
		{Label: "port", Value: "2379", Help: "TCP port clients connect to (a whole number, default 2379)"},
		{Label: "peers", Help: "a list, comma-separated, default []"},
		{Label: "cluster *", Help: "Name of the cluster this machine joins (text, no default)", Active: true},
		{Label: "debug", Value: "false", Help: "true or false, default false"},
	}
	if !reflect.DeepEqual(v.Fields, want) {
		t.Errorf("fields\n%+v\nwant\n%+v", v.Fields, want)
	}
	if body := strings.Join(bodyText(v), "\n"); !strings.Contains(body, "Settings marked * have no default") {
		t.Errorf("body %q does not explain the *", body)
	}
	press(w, "c1^<a, b ,c\n")
	disks := w.View()
	if last := disks.Body[len(disks.Body)-1]; last.Text != "Settings: port 2379, peers [a, b, c], cluster c1, debug false" || last.Style != view.Dim {
		t.Errorf("disks screen settings line %+v", last)
	}
	press(w, "a")
	if got := w.View().Fields[3].Value; got != "a, b, c" {
		t.Errorf("peers reopened as %q, want the saved list", got)
	}
	press(w, "~\n")
	if w.Screen() != ScreenConfirm || !strings.Contains(strings.Join(bodyText(w.View()), "\n"), "Settings: port 2379, peers [a, b, c], cluster c1") {
		t.Errorf("confirm screen %s body %q", w.Screen(), bodyText(w.View()))
	}
}

func TestDisksScreenWarnsOfMissingSettings(t *testing.T) {
	w := New(settingsMachine(), cands(), maxData)
	press(w, "\n")
	last := w.View().Body[len(w.View().Body)-1]
	if !strings.Contains(last.Text, "cluster (needs a value)") || last.Style != view.Warn {
		t.Errorf("settings line %+v, want a warning naming cluster", last)
	}
	// Without settings the screens are as they were.
	w = New(Machine{}, cands(), maxData)
	press(w, "\na")
	if v := w.View(); len(v.Fields) != 2 || strings.Contains(strings.Join(bodyText(v), ""), "Settings") {
		t.Errorf("advanced screen without settings: %+v", v)
	}
}

func TestSettingsTakeLongText(t *testing.T) {
	w := New(settingsMachine(), cands(), maxData)
	press(w, "\na")
	long := strings.Repeat("n1:2380, ", 40)
	press(w, long)
	if got := len(w.View().Fields[4].Value); got != maxSettingInput {
		t.Errorf("typed %d characters, kept %d; want %d", len(long), got, maxSettingInput)
	}
	press(w, "^^^") // to the hostname: no spaces there, and 63 at most
	press(w, "a b"+strings.Repeat("x", 80))
	if got := w.View().Fields[1].Value; got != "ab"+strings.Repeat("x", maxInput-2) {
		t.Errorf("hostname field %q", got)
	}
}

// Automation follows the advanced screen through the screen event: a
// refused save names the setting at fault in its note.
func TestAdvancedSettingsEvent(t *testing.T) {
	w := New(settingsMachine(), cands(), maxData)
	press(w, "\na\n")
	ev := screenEvent(t, w)
	if ev["screen"] != ScreenAdvanced || ev["note"] != "Setting cluster: needs a value: the product has no default for it" {
		t.Errorf("event %v", ev)
	}
	press(w, "~\n")
	if ev := screenEvent(t, w); ev["screen"] != ScreenDisks || !strings.Contains(ev["note"].(string), "Setting cluster needs a value") {
		t.Errorf("event %v", ev)
	}
}

// The screen event carries the settings as typed, which one is active
// and why a save refused one, so automation can drive the screen.
func TestAdvancedSettingsEventFields(t *testing.T) {
	w := New(settingsMachine(), cands(), maxData)
	press(w, "\na\n")
	ev := w.Event().AdvancedScreen
	if ev == nil || ev.Field != 4 || len(ev.Settings) != 4 {
		t.Fatalf("advanced screen event %+v, want 4 settings and field 4 active", ev)
	}
	want := event.ScreenSetting{Name: "cluster", Type: "string", Required: true, Error: "needs a value"}
	if got := ev.Settings[2]; got.Name != want.Name || got.Type != want.Type || !got.Required || !strings.Contains(got.Error, want.Error) {
		t.Errorf("cluster in the event: %+v, want %+v", got, want)
	}
	if got := ev.Settings[0]; got.Value != "2379" || got.Required || got.Error != "" {
		t.Errorf("port in the event: %+v", got)
	}
}
