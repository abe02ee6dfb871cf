package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

func TestEmitParseRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	e := New(&buf)
	if err := e.Emit(LogsExported{Path: "two\nlines"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, Prefix) {
		t.Fatalf("event is not one line with the prefix: %q", out)
	}
	obj, ok := Parse("\x1b[0m" + out)
	if !ok {
		t.Fatalf("Parse(%q) failed", out)
	}
	if obj["event"] != "logs-exported" || obj["path"] != "two\nlines" {
		t.Errorf("round trip gave %v", obj)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		ev   Event
		want string
	}{
		{E2EDone{}, `{"event":"e2e-done"}`},
		{Shutdown{Action: "reboot", Reason: "hangup"}, `{"event":"shutdown","action":"reboot","reason":"hangup"}`},
		{Progress{Step: "plan", Percent: 5}, `{"event":"progress","step":"plan","percent":5}`},
		{Progress{Step: "format-esp", Percent: 10, Seconds: 1.5, Written: &Written{Total: 100}},
			`{"event":"progress","step":"format-esp","percent":10,"seconds":1.5,"bytes":0,"total":100}`},
		{Error{Code: "answers-invalid", Message: "m", AnswersPosition: &AnswersPosition{Line: 0, Field: ""}},
			`{"event":"error","code":"answers-invalid","message":"m","line":0,"field":""}`},
		{Network{Interface: "eth0", Mode: "dhcp", Address: "10.0.2.15/24", Lease: &Lease{}},
			`{"event":"network","interface":"eth0","mode":"dhcp","address":"10.0.2.15/24","leaseTime":0}`},
		{Screen{Screen: "status", StatusScreen: &StatusScreen{}}, `{"event":"screen","screen":"status","addresses":null,"services":0,"health":null,"secureBoot":false,"setupMode":false,"lockdown":""}`},
	}
	for _, tt := range tests {
		b, err := Format(tt.ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); got != Prefix+tt.want+"\n" {
			t.Errorf("Format(%#v) = %s, want %s", tt.ev, got, tt.want)
		}
		if err := Validate(string(b)); err != nil {
			t.Errorf("Validate(%s): %v", b, err)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
	}{
		{`@plinth {"event":"ready"}`, true},
		{`garbage @plinth {"event":"error","code":"x"}` + "\r", true},
		{`@plinth {"event":1}`, false},
		{`@plinth {"event":"ready"`, false},
		{`plinth {"event":"ready"}`, false},
		{``, false},
	}
	for _, tt := range tests {
		if _, ok := Parse(tt.line); ok != tt.ok {
			t.Errorf("Parse(%q) ok = %v, want %v", tt.line, ok, tt.ok)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		line string
		err  string // substring; "" for a valid line
	}{
		{`@plinth {"event":"e2e-done"}`, ""},
		{"\x1b[0mnoise @plinth {\"event\":\"shutdown\",\"action\":\"power-off\",\"reason\":\"power button\"}\r\n", ""},
		{`@plinth {"action":"reboot","event":"shutdown","reason":"x"}`, ""},
		{`@plinth {"event":"progress","step":"verify","percent":90,"seconds":12.5,"bytes":5,"total":5}`, ""},
		{`@plinth {"event":"error","code":"service-failing","message":"m","service":"demo"}`, ""},
		{`@plinth {"event":"screen","screen":"disks","disks":[{"shortId":"a","name":"vda","serial":"","eligible":true,"hasData":false,"selected":true}]}`, ""},
		{`@plinth {"event":"runtime-ready","product":"P","version":"1","hostname":"h","machineID":"m","data":"/data",` +
			`"dataPartUUID":"0fc63daf-8483-4772-8e79-3d69d8477de4","espPartUUID":"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",` +
			`"bootCurrent":"0003","addresses":["10.0.2.15"],"services":[{"name":"demo","state":"running","health":"healthy","pid":7,"restarts":0}],` +
			`"secureBoot":true,"setupMode":false,"lockdown":"integrity","uptime":9.5,"initStarted":2.1}`, ""},
		{`@plinth {"event":"screen","screen":"secure-boot","writes":["db","KEK","PK"],"microsoftKeys":true,"enroll":false}`, ""},
		{`@plinth {"event":"progress","step":"secure-boot","percent":95,"seconds":30}`, ""},
		{`@plinth {"event":"error","code":"secure-boot-not-setup-mode","message":"m"}`, ""},
		{`@plinth {"event":"screen","screen":"secure-boot","writes":["db","KEK","PK"]}`, `member "microsoftKeys" missing`},
		{`@plinth {"event":"runtime-degraded","product":"P","version":"1","services":[{"name":"db","health":"unhealthy","reason":"GET /health: 503"}]}`, ""},
		{`@plinth {"event":"service-health","service":"db","health":"starting","previous":"unhealthy","reason":"exit status 1; restarting in 1s"}`, ""},
		{`@plinth {"event":"service-health","service":"db","health":"running","previous":"starting","reason":""}`, `unknown health "running"`},
		{`@plinth {"event":"runtime-ready","product":"P","version":"1","hostname":"h","machineID":"m","data":"/data",` +
			`"dataPartUUID":"0fc63daf-8483-4772-8e79-3d69d8477de4","espPartUUID":"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",` +
			`"bootCurrent":"0003","addresses":[],"services":[{"name":"demo","state":"running","pid":7,"restarts":0}]}`, `member "health" missing`},

		{`no event here`, "no \"@plinth\""},
		{`@plinth {"event":"ready"`, "not one JSON object"},
		{`@plinth ["event"]`, "not one JSON object"},
		{`@plinth {"step":"plan"}`, `no string "event"`},
		{`@plinth {"event":7}`, `no string "event"`},
		{`@plinth {"event":"reboot"}`, `unknown event "reboot"`},
		{`@plinth {"event":"shutdown","action":"reboot","reason":"x","why":"y"}`, `unknown field "why"`},
		{`@plinth {"event":"shutdown","action":"reboot"}`, `member "reason" missing`},
		{`@plinth {"event":"progress","step":"plan","percent":5,"Seconds":1}`, `unknown field "Seconds"`},
		{`@plinth {"event":"shutdown","action":1,"reason":"x"}`, "cannot unmarshal number"},
		{`@plinth {"event":"progress","step":"unpack","percent":1}`, `unknown step "unpack"`},
		{`@plinth {"event":"progress","step":"plan","percent":5.5}`, "cannot unmarshal number 5.5"},
		{`@plinth {"event":"progress","step":"sync","percent":74,"bytes":5}`, `member "total" missing`},
		{`@plinth {"event":"error","code":"oops","message":"m"}`, `unknown code "oops"`},
		{`@plinth {"event":"error","code":"internal","message":"m","line":3}`, `member "field" missing`},
		{`@plinth {"event":"screen","screen":"disks","disks":[{"shortId":"a","name":"vda","serial":"","eligible":true,"hasData":false,"selected":true,"size":1}]}`, `unknown field "size"`},
		{`@plinth {"event":"screen","screen":"disks","disks":[{"shortId":"a","name":"vda"}]}`, `disks: [0]: member "serial" missing`},
		{`@plinth {"event":"runtime-ready","product":"P","version":"1","hostname":"h","machineID":"m","data":"/data",` +
			`"dataPartUUID":"0fc63daf-8483-4772-8e79-3d69d8477de4","espPartUUID":"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",` +
			`"bootCurrent":"0003","addresses":[],"services":[{"name":"demo","state":"sleeping","health":"healthy","pid":7,"restarts":0}]}`, `unknown state "sleeping"`},
	}
	for _, tt := range tests {
		err := Validate(tt.line)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Validate(%s): %v", tt.line, err)
		case tt.err != "" && err == nil:
			t.Errorf("Validate(%s) accepted it, want an error with %q", tt.line, tt.err)
		case tt.err != "" && !strings.Contains(err.Error(), tt.err):
			t.Errorf("Validate(%s) = %v, want an error with %q", tt.line, err, tt.err)
		}
	}
}

// TestEvents checks the vocabulary itself: names unique and matching
// their constants, no struct field called "event", every field tagged,
// and every event as emitted with all its groups set passes Validate.
func TestEvents(t *testing.T) {
	seen := map[Name]bool{}
	for _, ev := range All() {
		n := ev.EventName()
		if n == "" || seen[n] {
			t.Errorf("%T: name %q empty or repeated", ev, n)
		}
		seen[n] = true
		if got, ok := Lookup(n); !ok || reflect.TypeOf(got) != reflect.TypeOf(ev) {
			t.Errorf("Lookup(%q) = %T", n, got)
		}
		typ := reflect.TypeOf(ev)
		keys := map[string]bool{}
		for _, f := range Fields(typ) {
			if f.Key == "event" || f.Key == f.GoName || keys[f.Key] {
				t.Errorf("%T.%s: JSON name %q is reserved, untagged or repeated", ev, f.GoName, f.Key)
			}
			keys[f.Key] = true
		}
		full := filled(typ)
		line, err := Format(full.Interface().(Event))
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(string(line)); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		var obj map[string]any
		json.Unmarshal(line[len(Prefix):], &obj)
		if len(obj) != len(keys)+1 {
			t.Errorf("%s: %d members, want %d fields and event", line, len(obj), len(keys))
		}
	}
}

// filled returns a value of t with every field set to something valid
// and non-zero, groups included.
func filled(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch {
	case t == reflect.TypeFor[guid.GUID]():
		v.Set(reflect.ValueOf(guid.MustParse("0fc63daf-8483-4772-8e79-3d69d8477de4")))
		return v
	case t.Kind() == reflect.String:
		// Steps, codes and states: a known value of each.
		for _, s := range []string{"plan", "internal", "running", "healthy"} {
			p := reflect.New(t)
			if u, ok := p.Interface().(interface{ UnmarshalText([]byte) error }); ok {
				if u.UnmarshalText([]byte(s)) == nil {
					return p.Elem()
				}
				continue
			}
			v.SetString("x")
			return v
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Slice:
		v.Set(reflect.Append(reflect.MakeSlice(t, 0, 1), filled(t.Elem())))
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		p.Elem().Set(filled(t.Elem()))
		v.Set(p)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"any": "value"}))
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			v.Field(i).Set(filled(t.Field(i).Type))
		}
	}
	return v
}
