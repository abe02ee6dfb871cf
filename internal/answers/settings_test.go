package answers

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/setting"
)

// decls are the settings of plinth.yaml's example product.
func decls() []setting.Decl {
	port, peers, debug := setting.IntValue(5432), setting.ListValue(), setting.BoolValue(false)
	return []setting.Decl{
		{Name: "port", Type: setting.TypeInt, Default: &port, Description: "TCP port clients connect to"},
		{Name: "peers", Type: setting.TypeList, Default: &peers},
		{Name: "cluster", Type: setting.TypeString, Description: "Name of the cluster this machine joins"},
		{Name: "debug", Type: setting.TypeBool, Default: &debug},
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Setting
	}{
		{"none", "disk: largest\n", nil},
		{"scalars keep their form", "disk: largest\nsettings:\n  port: 2379\n  cluster: \"007\"\n  debug: True\n", []Setting{
			{Name: "port", Text: "2379", Line: 3, Column: 3},
			{Name: "cluster", Text: "007", Quoted: true, Line: 4, Column: 3},
			{Name: "debug", Text: "True", Line: 5, Column: 3}}},
		{"lists", "settings:\n  peers: [a:1, 'b:2']\n  more:\n    - 3\n  none: []\ndisk: largest\n", []Setting{
			{Name: "peers", List: true, Items: []string{"a:1", "b:2"}, Line: 2, Column: 3},
			{Name: "more", List: true, Items: []string{"3"}, Line: 3, Column: 3},
			{Name: "none", List: true, Items: []string{}, Line: 5, Column: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Settings, tt.want) {
				t.Errorf("got  %+v\nwant %+v", a.Settings, tt.want)
			}
		})
	}
}

func TestParseSettingsBad(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		line  int
		field string
		msg   string
	}{
		{"scalar", "settings: 2379\n", 1, "settings", "want a mapping of setting names"},
		{"empty", "settings:\n", 1, "settings", "want a mapping"},
		{"flow mapping", "settings: {port: 1}\n", 1, "settings", "flow mappings"},
		{"bad name", "settings:\n  Port: 1\n", 2, "settings.Port", "not a setting name"},
		{"null value", "settings:\n  port:\n", 2, "settings.port", "empty value: give one, or leave port out"},
		{"tilde value", "settings:\n  port: ~\n", 2, "settings.port", "empty value"},
		{"mapping value", "settings:\n  port:\n    a: 1\n", 3, "settings.port", "got a mapping"},
		{"nested list", "settings:\n  peers: [[a]]\n", 2, "settings.peers", "single values only, got a list"},
		{"null item", "settings:\n  peers:\n    -\n", 3, "settings.peers", "got an empty value"},
		{"duplicate", "disk: largest\nsettings:\n  port: 1\n  port: 2\n", 4, "settings.port", `duplicate key "port" (first on line 3)`},
		{"anchor", "settings:\n  port: &p 1\n  other: *p\n", 2, "settings.port", "anchors and aliases"},
		{"tag", "settings:\n  port: !!str 1\n", 2, "settings.port", "explicit tags"},
		{"tag in list", "settings:\n  peers: [!!str 1]\n", 2, "settings.peers", "explicit tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			checkParseError(t, err, tt.line, tt.field, tt.msg)
		})
	}
}

func checkParseError(t *testing.T, err error, line int, field, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v, want a *ParseError", err, err)
	}
	if pe.Line != line || pe.Field != field || !strings.Contains(pe.Error(), msg) {
		t.Errorf("got line %d field %q: %v\nwant line %d field %q: ...%s...", pe.Line, pe.Field, err, line, field, msg)
	}
}

func TestCheckSettings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]setting.Value
	}{
		{"defaults filled", "settings:\n  cluster: prod\n", map[string]setting.Value{
			"port": setting.IntValue(5432), "peers": setting.ListValue(), "cluster": setting.StringValue("prod"), "debug": setting.BoolValue(false)}},
		{"every type", "settings:\n  port: -1\n  peers:\n    - a:1\n    - b:2\n  cluster: 2379\n  debug: TRUE\n", map[string]setting.Value{
			"port": setting.IntValue(-1), "peers": setting.ListValue("a:1", "b:2"), "cluster": setting.StringValue("2379"), "debug": setting.BoolValue(true)}},
		{"strings as written", "settings:\n  cluster: 0x1F\n", map[string]setting.Value{
			"port": setting.IntValue(5432), "peers": setting.ListValue(), "cluster": setting.StringValue("0x1F"), "debug": setting.BoolValue(false)}},
		{"quoted empty string", "settings:\n  cluster: ''\n  port: +80\n", map[string]setting.Value{
			"port": setting.IntValue(80), "peers": setting.ListValue(), "cluster": setting.StringValue(""), "debug": setting.BoolValue(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte("disk: largest\n" + tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.CheckSettings(decls())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
			// What CheckSettings accepts, the installed config's check accepts.
			if _, err := setting.Validate(decls(), got); err != nil {
				t.Errorf("setting.Validate refuses the result: %v", err)
			}
		})
	}
}

func TestCheckSettingsBad(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		decls []setting.Decl
		line  int
		field string
		msg   string
	}{
		{"quoted int", "settings:\n  cluster: c\n  port: \"2379\"\n", decls(), 4, "settings.port",
			`field "settings.port": want an int (setting port), got a string: write 2379 without quotes`},
		{"fraction", "settings:\n  cluster: c\n  port: 1.5\n", decls(), 4, "settings.port", `got "1.5": write a whole number in decimal`},
		{"hex int", "settings:\n  cluster: c\n  port: 0x50\n", decls(), 4, "settings.port", "in decimal"},
		{"int too large", "settings:\n  cluster: c\n  port: 99999999999999999999\n", decls(), 4, "settings.port", "out of range"},
		{"int list", "settings:\n  cluster: c\n  port: [1]\n", decls(), 4, "settings.port", "got a list: write a single whole number"},
		{"bool yes", "settings:\n  cluster: c\n  debug: yes\n", decls(), 4, "settings.debug", `want a bool (setting debug), got "yes": write true or false`},
		{"bool quoted", "settings:\n  cluster: c\n  debug: 'true'\n", decls(), 4, "settings.debug", "got a string: write true without quotes"},
		{"bool number", "settings:\n  cluster: c\n  debug: 1\n", decls(), 4, "settings.debug", "got an int: write true or false"},
		{"list scalar", "settings:\n  cluster: c\n  peers: a:1\n", decls(), 4, "settings.peers", `want a list (setting peers), got "a:1": write [a:1], or one "- item" per line`},
		{"string list", "settings:\n  cluster: [a]\n", decls(), 3, "settings.cluster", "got a list: write a single value"},
		{"string bool", "settings:\n  cluster: c\n  debug: \"false\"\n", decls(), 4, "settings.debug", "write false without quotes"},
		{"unknown near", "settings:\n  cluster: c\n  prot: 1\n", decls(), 4, "settings.prot",
			"unknown setting (declared: port, peers, cluster, debug); did you mean port?"},
		{"unknown contained", "settings:\n  cluster-name: c\n", decls(), 3, "settings.cluster-name", "did you mean cluster?"},
		{"unknown far", "settings:\n  cluster: c\n  zzzzzz: 1\n", decls(), 4, "settings.zzzzzz", "(declared: port, peers, cluster, debug)"},
		{"product declares none", "settings:\n  port: 1\n", nil, 3, "settings.port", "unknown setting (the product declares none)"},
		{"missing required", "settings:\n  port: 1\n", decls(), 2, "settings.cluster",
			"required: the product's setting cluster (string: Name of the cluster this machine joins) has no default"},
		{"missing required, no settings key", "", decls(), 0, "settings.cluster", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte("disk: largest\n" + tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.CheckSettings(tt.decls)
			if got != nil {
				t.Errorf("values %v returned with the error", got)
			}
			checkParseError(t, err, tt.line, tt.field, tt.msg)
		})
	}
}

func TestCheckSettingsNilAnswers(t *testing.T) {
	var a *Answers
	got, err := a.CheckSettings(decls()[:1])
	if err != nil || !reflect.DeepEqual(got, map[string]setting.Value{"port": setting.IntValue(5432)}) {
		t.Errorf("got %v, %v; want the default", got, err)
	}
	if _, err := a.CheckSettings(decls()); err == nil || !strings.Contains(err.Error(), "settings.cluster") {
		t.Errorf("a required setting without answers: %v", err)
	}
}

func TestNearest(t *testing.T) {
	known := []string{"port", "peers", "cluster", "debug", "cluster-name"}
	tests := []struct {
		in   string
		want string
	}{
		{"prot", "; did you mean port?"},
		{"peer", "; did you mean peers?"},
		{"clust", "; did you mean cluster or cluster-name?"},
		{"x", ""},
		{"verbose", ""},
	}
	for _, tt := range tests {
		if got := didYouMean(tt.in, known); got != tt.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
