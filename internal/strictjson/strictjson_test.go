package strictjson

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type doc struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	for _, tc := range []struct{ in, err string }{
		{`{"a": 1, "b": "x"}`, ""},
		{"{\"a\": 1,\n \"c\": 2}", `unknown field "c"`},
		{"{\"a\": 1}\n{}", "unexpected data after the JSON object (at line 2"},
		{"{\n\"a\": \"1\"}", `field "a" at line 2`},
		{"{\n\"a\" 1}", "not valid JSON at line 2"},
		{`{"a": 1`, "truncated"},
	} {
		var d doc
		err := Decode([]byte(tc.in), &d)
		if tc.err == "" && (err != nil || d.A != 1 || d.B != "x") {
			t.Errorf("Decode(%q) = %+v, %v", tc.in, d, err)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Decode(%q) error %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestEncode(t *testing.T) {
	b, err := Encode(map[string]any{"z": "<&>", "a": []int{1}})
	want := "{\n  \"a\": [\n    1\n  ],\n  \"z\": \"<&>\"\n}\n"
	if err != nil || string(b) != want {
		t.Errorf("Encode = %q, %v; want %q", b, err, want)
	}
}
