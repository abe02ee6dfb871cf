package productspec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/setting"
)

func tmpl(t *testing.T, s string) setting.Template {
	t.Helper()
	v, err := setting.ParseTemplate(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tmpls(t *testing.T, ss ...string) []setting.Template {
	var out []setting.Template
	for _, s := range ss {
		out = append(out, tmpl(t, s))
	}
	return out
}

// validSpec is a product with a database, a one-shot migration before
// it and a backup job after it.
func validSpec(t *testing.T) *Spec {
	port, peers := setting.IntValue(5432), setting.ListValue()
	sec := Duration(time.Second)
	return &Spec{
		Schema: SchemaVersion, Product: "Acme DB", Version: "1.4.2",
		Settings: []setting.Decl{
			{Name: "port", Type: setting.TypeInt, Default: &port},
			{Name: "peers", Type: setting.TypeList, Default: &peers},
			{Name: "cluster", Type: setting.TypeString},
		},
		Users:  []User{{Name: "acme", UID: 1000, GID: 1000}, {Name: "backup", UID: 1001, GID: 1000}},
		Groups: []Group{{Name: "acme", GID: 1000}},
		DataDirs: []DataDir{
			{Path: "/data/db", UID: 1000, GID: 1000, Mode: 0o750},
			{Path: "/data/backups", UID: 1001, GID: 1000, Mode: 0o2750},
		},
		Services: []Service{
			{Name: "migrate", Exec: "/payload/migrate", User: "root", WorkDir: "/", Restart: RestartNever},
			{
				Name: "db", Exec: "/bbin/acmedb", Args: tmpls(t, "--listen=:${port}", "--cluster", "${cluster}", "${peers}"),
				Env:  []EnvVar{{Name: "ACME_PEERS", Value: tmpl(t, "${peers}")}, {Name: "ACME_PROMPT", Value: tmpl(t, "$${cluster}>")}},
				User: "acme", UID: 1000, GID: 1000, WorkDir: "/data/db", Capabilities: []int{10},
				Restart: RestartAlways, Backoff: Backoff{Initial: sec, Max: 30 * sec}, Stop: Stop{Signal: 2, Timeout: 60 * sec},
				After:  []string{"migrate"},
				Health: &Health{Kind: HealthHTTP, Port: 8080, Path: "/healthz", Status: 204, Interval: 5 * sec, Timeout: 2 * sec, StartPeriod: 60 * sec, Retries: 5},
			},
			{
				Name: "backup", Exec: "/payload/backup", User: "backup", UID: 1001, GID: 1000, WorkDir: "/data/backups",
				Restart: RestartOnFailure, After: []string{"db"},
				Health: &Health{Kind: HealthCommand, Command: tmpls(t, "/usr/bin/acmectl", "ping", "--port", "${port}"), Interval: 10 * sec, Timeout: 5 * sec, Retries: 3},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(s *Spec)
		want   []string // substrings of the problems; nil means valid
	}{
		{"valid", func(s *Spec) {}, nil},
		{"empty product", func(s *Spec) { *s = Spec{Schema: SchemaVersion, Product: "P", Version: "1"} }, nil},
		{"tcp check", func(s *Spec) {
			s.Services[1].Health = &Health{Kind: HealthTCP, Port: 2379, Interval: 1, Timeout: 1, Retries: 1}
		}, nil},
		{"schema", func(s *Spec) { s.Schema = 2 }, []string{"schema: 2, this build reads 1"}},
		{"product", func(s *Spec) { s.Product, s.Version = " ", "" }, []string{"product: missing", "version: missing"}},
		{"setting name", func(s *Spec) { s.Settings[0].Name = "Port" }, []string{"settings[0].name:", "services[1] (db).args[0]: ${port} is not a declared setting"}},
		{"setting twice", func(s *Spec) { s.Settings[1].Name = "port" }, []string{`settings[1].name: setting "port" is declared twice`, "services[1] (db).args[3]: ${peers}", "services[1] (db).env[0].value: ${peers}"}},
		{"setting default type", func(s *Spec) { d := setting.StringValue("x"); s.Settings[0].Default = &d }, []string{"settings[0].default: a string value for a setting of type int"}},
		{"setting type", func(s *Spec) { s.Settings[2].Type = 9 }, []string{"settings[2].type: Type(9)"}},
		{"service name", func(s *Spec) { s.Services[0].Name = "../etc"; s.Services[1].After = nil }, []string{"services[0] (../etc).name:"}},
		{"service name missing", func(s *Spec) { s.Services[0].Name = ""; s.Services[1].After = nil }, []string{"services[0].name: missing"}},
		{"duplicate service", func(s *Spec) { s.Services[2].Name = "db"; s.Services[2].After = nil }, []string{`services[2] (db).name: duplicate service name "db"`}},
		{"exec relative", func(s *Spec) { s.Services[1].Exec = "bbin/acmedb" }, []string{"services[1] (db).exec:", "absolute"}},
		{"exec missing", func(s *Spec) { s.Services[1].Exec = "" }, []string{"services[1] (db).exec: missing"}},
		{"env reserved", func(s *Spec) { s.Services[1].Env[0].Name = "PLINTH_DATA" }, []string{"services[1] (db).env[0].name: PLINTH_DATA: PLINTH_ variables"}},
		{"env bad", func(s *Spec) { s.Services[1].Env[0].Name = "A=B" }, []string{`services[1] (db).env[0].name: "A=B" is not a variable name`}},
		{"env twice", func(s *Spec) { s.Services[1].Env[1].Name = "ACME_PEERS" }, []string{"services[1] (db).env[1].name: ACME_PEERS is set twice"}},
		{"arg NUL", func(s *Spec) { s.Services[1].Args[1] = tmpl(t, "a\x00b") }, []string{"services[1] (db).args[1]:", "contains NUL"}},
		{"restart", func(s *Spec) { s.Services[1].Restart = "sometimes" }, []string{`services[1] (db).restart: "sometimes" is not`}},
		{"restart missing", func(s *Spec) { s.Services[1].Restart = "" }, []string{`services[1] (db).restart: "" is not`}},
		{"backoff order", func(s *Spec) { s.Services[1].Backoff.Max = Duration(time.Millisecond) }, []string{"services[1] (db).backoff.max: 1ms is shorter than initial 1s"}},
		{"backoff negative", func(s *Spec) { s.Services[1].Backoff.Initial = -1 }, []string{"services[1] (db).backoff: negative"}},
		{"stop signal", func(s *Spec) { s.Services[1].Stop.Signal = 19 }, []string{"services[1] (db).stop.signal: 19 is not SIGTERM"}},
		{"stop timeout", func(s *Spec) { s.Services[1].Stop.Timeout = -1 }, []string{"services[1] (db).stop.timeout: negative"}},
		{"health kind", func(s *Spec) { s.Services[1].Health.Kind = "ping" }, []string{`services[1] (db).health.kind: "ping" is not`, "path and status are for kind http only"}},
		{"health port", func(s *Spec) { s.Services[1].Health.Port = 65536 }, []string{"services[1] (db).health.port: 65536 is not a TCP port"}},
		{"health port zero", func(s *Spec) { s.Services[1].Health.Port = 0 }, []string{"services[1] (db).health.port: 0 is not a TCP port"}},
		{"health path", func(s *Spec) { s.Services[1].Health.Path = "healthz" }, []string{`services[1] (db).health.path: "healthz"`}},
		{"health status", func(s *Spec) { s.Services[1].Health.Status = 99 }, []string{"services[1] (db).health.status: 99"}},
		{"health command empty", func(s *Spec) { s.Services[2].Health.Command = nil }, []string{"services[2] (backup).health.command: missing"}},
		{"health command relative", func(s *Spec) { s.Services[2].Health.Command[0] = tmpl(t, "acmectl") }, []string{`services[2] (backup).health.command[0]: "acmectl" must be an absolute path`}},
		{"health command setting", func(s *Spec) { s.Services[2].Health.Command[3] = tmpl(t, "${nope}") }, []string{"services[2] (backup).health.command[3]: ${nope} is not a declared setting"}},
		{"health port for command", func(s *Spec) { s.Services[2].Health.Port = 80 }, []string{"services[2] (backup).health.port: not for kind command"}},
		{"health timing", func(s *Spec) {
			h := s.Services[1].Health
			h.Timeout, h.StartPeriod, h.Retries = h.Interval*2, -1, 0
		}, []string{"services[1] (db).health.timeout: 10s must be above zero and at most interval 5s", "health.startPeriod: negative", "health.retries: 0, want at least 1"}},
		{"health interval", func(s *Spec) { s.Services[1].Health.Interval = 0 }, []string{"services[1] (db).health.interval: must be above zero"}},
		{"after unknown", func(s *Spec) { s.Services[2].After = []string{"web"} }, []string{`services[2] (backup).after: "web" is not a service`}},
		{"after self", func(s *Spec) { s.Services[2].After = []string{"backup"} }, []string{"services[2] (backup).after: a service cannot start after itself"}},
		{"after twice", func(s *Spec) { s.Services[2].After = []string{"db", "db"} }, []string{`services[2] (backup).after: "db" is listed twice`}},
		{"after out of order", func(s *Spec) { s.Services[0].After = []string{"backup"}; s.Services[2].After = nil }, []string{`services[0] (migrate).after: "backup" is listed after "migrate": services must be in start order`}},
		{"after cycle", func(s *Spec) { s.Services[0].After = []string{"backup"} }, []string{"services[0] (migrate).after: services wait for each other in a cycle: migrate -> backup -> db -> migrate"}},
		{"user unknown", func(s *Spec) { s.Services[1].User = "acmedb" }, []string{`services[1] (db).user: "acmedb" is neither root nor one of users`}},
		{"user missing", func(s *Spec) { s.Services[1].User = "" }, []string{"services[1] (db).user: missing"}},
		{"uid mismatch", func(s *Spec) { s.Services[1].UID = 1001 }, []string{`services[1] (db).uid: 1001, but user "acme" has uid 1000`}},
		{"uid 0 not root", func(s *Spec) { s.Services[1].UID = 0 }, []string{"services[1] (db).uid: 0 is root's", "services[1] (db).capabilities: a service running as root"}},
		{"root with uid", func(s *Spec) { s.Services[0].UID = 1000 }, []string{`services[0] (migrate).uid: 1000, but user "root" has uid 0`}},
		{"gid unknown", func(s *Spec) { s.Services[1].GID = 7 }, []string{"services[1] (db).gid: 7 is not the gid of root or of one of groups"}},
		{"capability range", func(s *Spec) { s.Services[1].Capabilities = []int{41, -1} }, []string{"services[1] (db).capabilities[0]: 41 is not a capability number", "capabilities[1]: -1"}},
		{"capability twice", func(s *Spec) { s.Services[1].Capabilities = []int{10, 10} }, []string{"services[1] (db).capabilities[1]: 10 is listed twice"}},
		{"workdir not a data dir", func(s *Spec) { s.Services[1].WorkDir = "/data/other" }, []string{`services[1] (db).workdir: "/data/other" is below /data but not one of dataDirs`}},
		{"workdir relative", func(s *Spec) { s.Services[1].WorkDir = "db" }, []string{`services[1] (db).workdir: "db" must be a clean absolute path`}},
		{"workdir missing", func(s *Spec) { s.Services[1].WorkDir = "" }, []string{"services[1] (db).workdir: missing"}},
		{"datadir outside", func(s *Spec) { s.DataDirs[1].Path = "/var/backups"; s.Services[2].WorkDir = "/" }, []string{`dataDirs[1].path: "/var/backups" must be a clean absolute path below /data`}},
		{"datadir data", func(s *Spec) { s.DataDirs[1].Path = "/data"; s.Services[2].WorkDir = "/" }, []string{`dataDirs[1].path: "/data" must be`}},
		{"datadir log", func(s *Spec) { s.DataDirs[1].Path = "/data/log/x"; s.Services[2].WorkDir = "/" }, []string{`dataDirs[1].path: "/data/log/x": /data/log holds the services' logs`}},
		{"datadir twice", func(s *Spec) { s.DataDirs[1].Path = "/data/db"; s.Services[2].WorkDir = "/data/db" }, []string{`dataDirs[1].path: "/data/db" is listed twice`}},
		{"datadir owner", func(s *Spec) { s.DataDirs[0].UID, s.DataDirs[0].GID = 5, 6 }, []string{"dataDirs[0].uid: 5", "dataDirs[0].gid: 6"}},
		{"datadir mode", func(s *Spec) { s.DataDirs[0].Mode = 0o10000 }, []string{"dataDirs[0].mode: 010000 has bits beyond 07777"}},
		{"datadir mode none", func(s *Spec) { s.DataDirs[0].Mode = 0o070 }, []string{"dataDirs[0].mode: 070 gives its owner no access"}},
		{"user root", func(s *Spec) { s.Users[0].Name = "root" }, []string{`users[0].name: user "root" is listed twice`}},
		{"user uid 0", func(s *Spec) { s.Users[1].UID = 0 }, []string{"users[1].uid: uid 0 is used twice"}},
		{"user uid twice", func(s *Spec) { s.Users[1].UID = 1000 }, []string{"users[1].uid: uid 1000 is used twice"}},
		{"user gid", func(s *Spec) { s.Users[1].GID = 1001 }, []string{"users[1].gid: primary group 1001 is not one of groups"}},
		{"user name", func(s *Spec) { s.Users[1].Name = "123" }, []string{`users[1].name: "123" is all digits`}},
		{"group name", func(s *Spec) { s.Groups[0].Name = "Acme" }, []string{`groups[0].name: "Acme": use lower-case`}},
		{"group gid 0", func(s *Spec) { s.Groups[0].GID = 0 }, []string{"groups[0].gid: gid 0 is used twice", "users[0].gid: primary group 1000", "dataDirs[0].gid: 1000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec(t)
			tt.modify(s)
			err := s.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestExpand(t *testing.T) {
	s := validSpec(t)
	got, err := s.Expand(map[string]setting.Value{"cluster": setting.StringValue("east"), "peers": setting.ListValue("a:1", "b:2")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{Service: "migrate", Args: []string{}},
		{Service: "db", Args: []string{"--listen=:5432", "--cluster", "east", "a:1", "b:2"}, Env: []string{"ACME_PEERS=a:1,b:2", "ACME_PROMPT=${cluster}>"}},
		{Service: "backup", Args: []string{}, Health: []string{"/usr/bin/acmectl", "ping", "--port", "5432"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expand =\n%#v\nwant\n%#v", got, want)
	}
	// An empty list as a whole argument is no argument at all.
	got, err = s.Expand(map[string]setting.Value{"cluster": setting.StringValue("c"), "port": setting.IntValue(1)})
	if err != nil || strings.Join(got[1].Args, " ") != "--listen=:1 --cluster c" {
		t.Errorf("Expand with defaults = %q, %v", got[1].Args, err)
	}
}

func TestExpandErrors(t *testing.T) {
	s := validSpec(t)
	tests := []struct {
		name   string
		values map[string]setting.Value
		want   []string
	}{
		{"missing", nil, []string{`setting "cluster": has no default`}},
		{"wrong type", map[string]setting.Value{"cluster": setting.StringValue("c"), "port": setting.StringValue("80")}, []string{`setting "port": is of type int, got a value of type string`}},
		{"undeclared", map[string]setting.Value{"cluster": setting.StringValue("c"), "debug": setting.BoolValue(true)}, []string{`setting "debug": is not declared by the product (declared: port, peers, cluster)`}},
	}
	for _, tt := range tests {
		_, err := s.Expand(tt.values)
		var se *setting.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: Expand error = %v, want a *setting.Error", tt.name, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestMarshalParse(t *testing.T) {
	s := validSpec(t)
	b, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(Marshal(s)): %v\n%s", err, b)
	}
	if again, err := Marshal(back); err != nil || string(again) != string(b) {
		t.Errorf("Marshal(Parse(Marshal(s))) differs: %v\n%s\n%s", err, again, b)
	}
	if !reflect.DeepEqual(back.Services, s.Services) || !back.Settings[0].Default.Equal(*s.Settings[0].Default) {
		t.Errorf("round trip changed the services:\n%#v\n%#v", back.Services, s.Services)
	}
	for _, w := range []string{`"args": [` + "\n" + `        "--listen=:${port}"`, `"ACME_PROMPT"`, `"value": "$${cluster}>"`, `"startPeriod": "1m0s"`, `"capabilities": [` + "\n" + `        10`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("encoding lacks %q:\n%s", w, b)
		}
	}
	s.Services[1].Restart = "sometimes"
	if _, err := Marshal(s); err == nil {
		t.Error("Marshal of an invalid spec succeeded")
	}
	bad := strings.Replace(string(b), `"restart": "always"`, `"restart": "sometimes"`, 1)
	if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "services[1] (db).restart") {
		t.Errorf("Parse of an invalid spec: %v", err)
	}
	if _, err := Parse([]byte(strings.Replace(string(b), `"schema": 1,`, `"schema": 1, "x": 1,`, 1))); err == nil || !strings.Contains(err.Error(), `unknown field "x"`) {
		t.Errorf("Parse with an unknown field: %v", err)
	}
}
