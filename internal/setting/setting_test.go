package setting

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestValueJSON(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		json string
	}{
		{StringValue("etcd-1"), `"etcd-1"`},
		{IntValue(-42), `-42`},
		{BoolValue(true), `true`},
		{ListValue("a:1", "b:2"), `["a:1","b:2"]`},
		{ListValue(), `[]`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.v, b, err, tc.json)
		}
		var back Value
		if err := json.Unmarshal([]byte(tc.json), &back); err != nil || !back.Equal(tc.v) {
			t.Errorf("Unmarshal(%s) = %#v, %v; want %#v", tc.json, back, err, tc.v)
		}
	}
	for _, bad := range []string{`1.5`, `{}`, `null`, `[1,2]`, `1e30`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) = %#v, want an error", bad, v)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		typ  Type
		in   string
		want Value
		err  string
	}{
		{TypeString, " x y ", StringValue(" x y "), ""},
		{TypeInt, " 2379 ", IntValue(2379), ""},
		{TypeInt, "23a", Value{}, "not a whole number"},
		{TypeBool, "true", BoolValue(true), ""},
		{TypeBool, "yes", Value{}, "true or false"},
		{TypeList, "a, b,,c ", ListValue("a", "b", "c"), ""},
		{TypeList, "", ListValue(), ""},
	} {
		got, err := Parse(tc.typ, tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%v, %q) error = %v, want %q", tc.typ, tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Parse(%v, %q) = %#v, %v; want %#v", tc.typ, tc.in, got, err, tc.want)
		}
	}
}

func TestDeclAndTemplateJSON(t *testing.T) {
	def := IntValue(2379)
	in := struct {
		Decls []Decl     `json:"decls"`
		Args  []Template `json:"args"`
	}{
		Decls: []Decl{{Name: "port", Type: TypeInt, Default: &def, Description: "client port"}, {Name: "name", Type: TypeString}},
		Args:  []Template{{{Text: "--listen=:"}, {Setting: "port"}}, {{Text: "literal ${x}"}}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"decls":[{"name":"port","type":"int","default":2379,"description":"client port"},{"name":"name","type":"string"}],"args":["--listen=:${port}","literal $${x}"]}`
	if string(b) != want {
		t.Fatalf("Marshal = %s\nwant      %s", b, want)
	}
	out := in
	out.Decls, out.Args = nil, nil
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("Unmarshal = %#v, %v; want %#v", out, err, in)
	}
}

func TestValidateAndExpand(t *testing.T) {
	def := ListValue()
	decls := []Decl{{Name: "name", Type: TypeString}, {Name: "peers", Type: TypeList, Default: &def}}
	if _, err := Validate(decls, nil); err == nil || !strings.Contains(err.Error(), `"name": has no default`) {
		t.Errorf("Validate without a required value: %v", err)
	}
	if _, err := Validate(decls, map[string]Value{"name": IntValue(1), "x": IntValue(1)}); err == nil ||
		!strings.Contains(err.Error(), "is of type string, got a value of type int") || !strings.Contains(err.Error(), `"x": is not declared`) {
		t.Errorf("Validate with wrong values: %v", err)
	}
	vals, err := Validate(decls, map[string]Value{"name": StringValue("n1"), "peers": ListValue("a", "b")})
	if err != nil {
		t.Fatal(err)
	}
	args := []Template{{{Text: "--name="}, {Setting: "name"}}, {{Setting: "peers"}}, {{Text: "--all="}, {Setting: "peers"}}}
	got, err := ExpandArgs(args, vals)
	if want := []string{"--name=n1", "a", "b", "--all=a,b"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ExpandArgs = %q, %v; want %q", got, err, want)
	}
}
