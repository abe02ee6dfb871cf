package product

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestExpandDocExample(t *testing.T) {
	p, err := Parse(docExample(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		given  map[string]Value
		dbArgs []string
		dbEnv  []string
		health []string
	}{{
		name:   "defaults",
		given:  map[string]Value{"cluster": StringValue("eu-1")},
		dbArgs: []string{"--listen", ":5432", "--cluster", "eu-1"},
		dbEnv:  []string{"ACME_DEBUG=false", "ACME_PROMPT=${cluster}>"},
		health: []string{"/usr/bin/acmectl", "ping", "--port", "5432"},
	}, {
		name: "every setting",
		given: map[string]Value{"cluster": StringValue("a b"), "port": IntValue(6000),
			"peers": ListValue("10.0.0.2:6000", "10.0.0.3:6000"), "debug": BoolValue(true)},
		dbArgs: []string{"--listen", ":6000", "--cluster", "a b", "10.0.0.2:6000", "10.0.0.3:6000"},
		dbEnv:  []string{"ACME_DEBUG=true", "ACME_PROMPT=${cluster}>"},
		health: []string{"/usr/bin/acmectl", "ping", "--port", "6000"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cmds, err := p.Expand(tc.given)
			if err != nil {
				t.Fatal(err)
			}
			if len(cmds) != 2 || cmds[0].Service != "db" || cmds[1].Service != "backup" {
				t.Fatalf("Expand = %+v, want db's and backup's commands", cmds)
			}
			db, backup := cmds[0], cmds[1]
			if !reflect.DeepEqual(db.Args, tc.dbArgs) || !reflect.DeepEqual(db.Env, tc.dbEnv) || db.Health != nil {
				t.Errorf("db = %q %q %q, want args %q env %q and no health command", db.Args, db.Env, db.Health, tc.dbArgs, tc.dbEnv)
			}
			if want := []string{"--to", "/data/backups"}; !reflect.DeepEqual(backup.Args, want) || !reflect.DeepEqual(backup.Health, tc.health) || backup.Env != nil {
				t.Errorf("backup = %q %q %q, want args %q health %q", backup.Args, backup.Env, backup.Health, want, tc.health)
			}
		})
	}
}

// TestExpandLists checks that a list is spliced only as a whole
// argument, and joined with commas elsewhere.
func TestExpandLists(t *testing.T) {
	src := y("product:", "  name: Acme",
		"settings:", "  - {name: peers, type: list, default: [a, b]}", "  - {name: tag, type: string, default: x}",
		"services:", "  - name: db", "    go: ./db",
		`    args: ["${peers}", "--peers=${peers}", "${tag}${tag}", "$${peers}", "$$x", "${peers}"]`,
		"    env: {PEERS: \"${peers}\"}")
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := p.Expand(map[string]Value{})
	if err != nil {
		t.Fatal(err)
	}
	want := Command{Service: "db",
		Args: []string{"a", "b", "--peers=a,b", "xx", "${peers}", "$$x", "a", "b"},
		Env:  []string{"PEERS=a,b"}}
	if !reflect.DeepEqual(cmds[0], want) {
		t.Errorf("Expand = %#v, want %#v", cmds[0], want)
	}
	cmds, err = p.Expand(map[string]Value{"peers": ListValue()})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--peers=", "xx", "${peers}", "$$x"}; !reflect.DeepEqual(cmds[0].Args, want) {
		t.Errorf("Expand with no peers: args %q, want %q", cmds[0].Args, want)
	}
}

func TestValidateSettings(t *testing.T) {
	port, debug := IntValue(80), BoolValue(false)
	decl := []Setting{
		{Name: "port", Type: TypeInt, Default: &port},
		{Name: "cluster", Type: TypeString},
		{Name: "debug", Type: TypeBool, Default: &debug},
	}
	for _, tc := range []struct {
		name  string
		given map[string]Value
		want  map[string]Value
		errs  []string // one per problem, in order
	}{
		{"defaults", map[string]Value{"cluster": StringValue("c")},
			map[string]Value{"port": port, "cluster": StringValue("c"), "debug": debug}, nil},
		{"all given", map[string]Value{"cluster": StringValue(""), "port": IntValue(-1), "debug": BoolValue(true)},
			map[string]Value{"port": IntValue(-1), "cluster": StringValue(""), "debug": BoolValue(true)}, nil},
		{"required missing", map[string]Value{}, nil,
			[]string{`setting "cluster": has no default: this machine needs a value`}},
		{"wrong types", map[string]Value{"port": StringValue("80"), "cluster": ListValue("a"), "debug": IntValue(1)}, nil,
			[]string{`setting "port": is of type int, got a value of type string`, `setting "cluster": is of type string, got a value of type list`, `setting "debug": is of type bool, got a value of type int`}},
		{"unknown", map[string]Value{"cluster": StringValue("c"), "prot": IntValue(1), "zzz": IntValue(2)}, nil,
			[]string{`setting "prot": is not declared by the product (declared: port, cluster, debug)`, `setting "zzz": is not declared`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValidateSettings(decl, tc.given)
			if tc.errs == nil {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("ValidateSettings = %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateSettings = %v, want errors %q", got, tc.errs)
			}
			errs := err.(interface{ Unwrap() []error }).Unwrap()
			if len(errs) != len(tc.errs) {
				t.Fatalf("ValidateSettings: %d problems, want %d: %v", len(errs), len(tc.errs), err)
			}
			for i, e := range errs {
				var se *SettingError
				if !errors.As(e, &se) || !strings.Contains(e.Error(), tc.errs[i]) {
					t.Errorf("problem %d = %v (%T), want a *SettingError saying %q", i, e, e, tc.errs[i])
				}
			}
		})
	}
}

func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{StringValue("a b"), "a b"}, {IntValue(-42), "-42"}, {BoolValue(true), "true"},
		{ListValue("a", "b"), "a,b"}, {ListValue(), ""},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestTemplate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Template
	}{
		{"", nil},
		{"plain", lit("plain")},
		{"${a}", ref("a")},
		{"x${a}y${b-2}", Template{{Text: "x"}, {Setting: "a"}, {Text: "y"}, {Setting: "b-2"}}},
		{"$${a}", lit("${a}")},
		{"$$${a}", lit("$${a}")},
		{"$x $ {a} }", lit("$x $ {a} }")},
		{"a$${b}${c}", Template{{Text: "a${b}"}, {Setting: "c"}}},
	} {
		got, err := parseTemplate(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseTemplate(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
			continue
		}
		again, err := parseTemplate(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("parseTemplate(%q.String() = %q) = %#v, %v; want it unchanged", tc.in, got.String(), again, err)
		}
	}
}
