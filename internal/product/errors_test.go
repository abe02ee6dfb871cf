package product

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// y joins lines into a file: the n-th argument is line n.
func y(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// withService is a file whose line 4 starts the one service's keys
// (after name: and go: on lines 4 and 5), with a setting "port".
func withService(lines ...string) string {
	head := []string{"product:", "  name: Acme", "services:", "  - name: db", "    go: ./cmd/db"}
	tail := []string{"settings:", "  - name: port", "    type: int", "    default: 80"}
	return y(append(append(head, lines...), tail...)...)
}

type errCase struct {
	name  string
	yaml  string
	line  int
	field string
	msg   string // in the error text
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want an error", p)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %q is a %T, want *ParseError", err, err)
			}
			if pe.Line != tc.line || pe.Field != tc.field {
				t.Errorf("error at line %d field %q, want line %d field %q: %v", pe.Line, pe.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			prefix := FileName + ": "
			if tc.line > 0 {
				prefix = fmt.Sprintf("%s:%d: ", FileName, tc.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestParseYAMLErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"empty file", "", 0, "product", "required, but the file is empty"},
		{"only comments", "# nothing yet\n", 0, "product", "file is empty"},
		// yaml.v3 names the line of the mapping it was reading.
		{"syntax", y("product:", "  name: Acme", " version: 1"), 2, "", "did not find expected key"},
		{"unclosed quote", y("product:", "  name: \"Acme"), 2, "", "found unexpected end of stream"},
		{"two documents", y("product:", "  name: Acme", "---", "product:", "  name: B"), 3, "", "only one YAML document"},
		{"not a mapping", y("- product"), 1, "", "want a mapping (product:, cmdline:"},
		{"unknown top key", y("product:", "  name: Acme", "servces: []"), 3, "servces", "did you mean services?"},
		{"unknown nested key", y("product:", "  name: Acme", "  nmae: x"), 3, "product.nmae", "unknown key (known: name, version, brand)"},
		{"duplicate top key", y("product:", "  name: Acme", "product:", "  name: B"), 3, "product", "duplicate key (first on line 1)"},
		{"duplicate nested key", y("product:", "  name: Acme", "  name: B"), 3, "product.name", "duplicate key (first on line 2)"},
		{"duplicate env key", withService("    env:", "      A: x", "      A: y"), 8, "services[0].env.A", "duplicate key (first on line 7)"},
		{"anchor", y("product:", "  name: &n Acme"), 2, "product.name", "anchors and aliases"},
		{"alias", y("product: &p", "  name: Acme", "x: *p"), 1, "product", "anchors and aliases"},
		{"tag", y("product:", "  name: !!str Acme"), 2, "product.name", "explicit tags (!!str)"},
		{"custom tag", y("product:", "  name: !secret Acme"), 2, "product.name", "explicit tags (!secret)"},
		{"merge key", y("product:", "  name: Acme", "  <<: {version: 1}"), 3, "product", "merge keys"},
		{"list as key", y("product:", "  name: Acme", "  [a]: b"), 3, "product", "keys must be plain names"},
	})
}

func TestParseTypeErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"list for a value", y("product:", "  name: [Acme]"), 2, "product.name", "want a single value, got a list"},
		{"mapping for a value", y("product:", "  name: {a: b}"), 2, "product.name", "got a mapping"},
		{"null value", y("product:", "  name:"), 2, "product.name", "empty value"},
		{"tilde value", y("product:", "  name: ~"), 2, "product.name", "empty value"},
		{"scalar for a mapping", y("product: Acme"), 1, "product", "want a mapping (name:, version:, brand:), got a value"},
		{"scalar for a list", y("product:", "  name: Acme", "services: db"), 3, "services", "want a list, got a value"},
		{"mapping for a list", withService("    args: {a: b}"), 6, "services[0].args", "want a list, got a mapping"},
		{"quoted number", withService("    health:", "      tcp: {port: \"80\"}"), 7, "services[0].health.tcp.port", `want a whole number, got "80"`},
		{"float for int", withService("    health:", "      tcp: {port: 80.5}"), 7, "services[0].health.tcp.port", "want a whole number"},
		{"hex int", withService("    health:", "      tcp: {port: 0x50}"), 7, "services[0].health.tcp.port", "want a decimal whole number"},
		{"yes for bool", y("product:", "  name: Acme", "settings:", "  - name: x", "    type: bool", "    default: yes"), 6, "settings[0].default", `want true or false, got "yes"`},
		{"quoted bool", y("product:", "  name: Acme", "settings:", "  - name: x", "    type: bool", "    default: \"true\""), 6, "settings[0].default", "want true or false"},
		{"null list item", withService("    args: [a, ~]"), 6, "services[0].args[1]", "empty value"},
		{"env as list", withService("    env: [A=b]"), 6, "services[0].env", "want a mapping of NAME: value, got a list"},
		{"env value list", withService("    env:", "      A: [b]"), 7, "services[0].env.A", "got a list"},
	})
}

func TestParseProductErrors(t *testing.T) {
	long := strings.Repeat("x", MaxNameLen+1)
	runErrCases(t, []errCase{
		{"no product", y("services: []"), 1, "product", "required: product: with at least name:"},
		{"no name", y("product:", "  version: 1.0"), 2, "product.name", "required: the name users see"},
		{"long name", y("product:", "  name: "+long), 2, "product.name", "65 characters long; at most 64"},
		{"multi-line name", y("product:", "  name: |", "    Acme", "    DB"), 2, "product.name", "contains a line break"},
		{"tab in name", y("product:", `  name: "Acme\tDB"`), 2, "product.name", "contains the control character U+0009: remove it"},
		{"spaces around name", y("product:", `  name: " Acme"`), 2, "product.name", "starts or ends with spaces"},
		{"bad version", y("product:", "  name: Acme", "  version: latest"), 3, "product.version", `want git (git describe at build time) or a version such as 1.4.2`},
		{"version with space", y("product:", "  name: Acme", "  version: 1.0 beta"), 3, "product.version", "got \"1.0 beta\""},
		{"absolute brand", y("product:", "  name: Acme", "  brand: /srv/brand"), 3, "product.brand", "want a path relative to plinth.yaml's directory"},
		{"brand outside", y("product:", "  name: Acme", "  brand: a/../../brand"), 3, "product.brand", "outside plinth.yaml's directory"},
		{"cmdline newline", y("product:", "  name: Acme", "cmdline:", `  runtime: "quiet\nsplash"`), 4, "cmdline.runtime", "contains a line break"},
		{"cmdline NUL", y("product:", "  name: Acme", "cmdline:", `  installer: "quiet\0"`), 4, "cmdline.installer", "contains a NUL character"},
		{"cmdline too long", y("product:", "  name: Acme", "cmdline:", "  runtime: "+strings.Repeat("a", MaxCmdline+1)), 4, "cmdline.runtime", "1025 bytes long; at most 1024"},
		{"cmdline unknown", y("product:", "  name: Acme", "cmdline:", "  kernel: quiet"), 4, "cmdline.kernel", "unknown key (known: installer, runtime)"},
	})
}

func TestParseSettingErrors(t *testing.T) {
	setting := func(lines ...string) string {
		return y(append([]string{"product:", "  name: Acme", "settings:"}, lines...)...)
	}
	runErrCases(t, []errCase{
		{"no name", setting("  - type: int"), 4, "settings[0].name", "required"},
		{"no type", setting("  - name: port"), 4, "settings[0].type", "required: string, int, bool or list"},
		{"upper-case name", setting("  - name: Port", "    type: int"), 4, "settings[0].name", `"Port" must start with a lower-case letter`},
		{"underscore in name", setting("  - name: log_level", "    type: int"), 4, "settings[0].name", `got '_'`},
		{"long name", setting("  - name: "+strings.Repeat("a", 33), "    type: int"), 4, "settings[0].name", "at most 32"},
		{"twice", setting("  - name: port", "    type: int", "  - name: port", "    type: string"), 6, "settings[1].name", `setting "port" is declared twice (first on line 4)`},
		{"bad type", setting("  - name: port", "    type: integer"), 5, "settings[0].type", `want string, int, bool or list, got "integer"`},
		{"int default text", setting("  - name: port", "    type: int", "    default: eighty"), 6, "settings[0].default", `want a whole number, got "eighty"`},
		{"list default scalar", setting("  - name: peers", "    type: list", "    default: a"), 6, "settings[0].default", "want a list, got a value"},
		{"string default list", setting("  - name: host", "    type: string", "    default: [a]"), 6, "settings[0].default", "want a single value, got a list"},
		{"list of lists", setting("  - name: peers", "    type: list", "    default: [[a]]"), 6, "settings[0].default[0]", "want a single value, got a list"},
		{"two-line description", setting("  - name: port", "    type: int", "    description: \"a\\nb\""), 6, "settings[0].description", "line break"},
	})
}

func TestParseServiceErrors(t *testing.T) {
	svc := func(lines ...string) string {
		return y(append([]string{"product:", "  name: Acme", "services:"}, lines...)...)
	}
	runErrCases(t, []errCase{
		{"no name", svc("  - go: ./cmd/db"), 4, "services[0].name", "required"},
		{"upper-case name", svc("  - name: DB", "    go: ./cmd/db"), 4, "services[0].name", `got 'D'`},
		{"underscore name", svc("  - name: my_db", "    go: ./cmd/db"), 4, "services[0].name", `want a-z, 0-9 and '-', got '_'`},
		{"leading dash", svc("  - name: -db", "    go: ./cmd/db"), 4, "services[0].name", "starts or ends with '-'"},
		{"all digits", svc("  - name: \"123\"", "    go: ./cmd/db"), 4, "services[0].name", "all digits"},
		{"long name", svc("  - name: "+strings.Repeat("d", 33), "    go: ./cmd/db"), 4, "services[0].name", "at most 32"},
		{"twice", svc("  - name: db", "    go: ./cmd/db", "  - name: db", "    go: ./cmd/db2"), 6, "services[1].name", `service "db" is declared twice (first on line 4)`},
		{"no program", svc("  - name: db"), 4, "services[0]", "has no program: add go: <main package> or file: <static binary>"},
		{"go and file", svc("  - name: db", "    go: ./cmd/db", "    file: bin/db"), 6, "services[0].file", "has both go: (line 5) and file:; keep one"},
		{"bare go path", svc("  - name: db", "    go: cmd/db"), 5, "services[0].go", "neither ./<dir>"},
		{"go path leaves module", svc("  - name: db", "    go: ./../other/cmd"), 5, "services[0].go", "leaves the module's directory"},
		{"bad import path", svc("  - name: db", "    go: example.com//cmd"), 5, "services[0].go", "not a valid import path"},
		{"absolute file", svc("  - name: db", "    file: /usr/bin/db"), 5, "services[0].file", "want a path relative"},
		{"root by name", svc("  - name: root", "    go: ./cmd/root"), 4, "services[0].user", "would run as root: write user: root"},
		{"bad user", svc("  - name: db", "    go: ./cmd/db", "    user: Acme"), 6, "services[0].user", `user name "Acme"`},
		{"numeric group", svc("  - name: db", "    go: ./cmd/db", "    group: \"1000\""), 6, "services[0].group", "all digits"},
		{"relative workdir", svc("  - name: db", "    go: ./cmd/db", "    workdir: data/db"), 6, "services[0].workdir", "want an absolute path"},
		{"unclean workdir", svc("  - name: db", "    go: ./cmd/db", "    workdir: /data/db/"), 6, "services[0].workdir", "write it as /data/db"},
		{"workdir in proc", svc("  - name: db", "    go: ./cmd/db", "    workdir: /proc/1"), 6, "services[0].workdir", "in the kernel's /proc"},
	})
}

func TestParseCommandErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"env name digit", withService("    env:", "      1A: x"), 7, "services[0].env.1A", "not an environment variable name"},
		{"env name dash", withService("    env:", "      A-B: x"), 7, "services[0].env.A-B", "not an environment variable name"},
		{"undeclared in args", withService("    args: [--port, \"${prot}\"]"), 6, "services[0].args[1]", `service "db" uses ${prot}, which no setting declares (declared: port); did you mean port?`},
		{"undeclared in env", withService("    env:", "      ADDR: \":${listen}\""), 7, "services[0].env.ADDR", `service "db" uses ${listen}`},
		{"undeclared in health", withService("    health:", "      command: [/bin/check, \"${host}\"]"), 7, "services[0].health.command[1]", `uses ${host}, which no setting declares`},
		{"unclosed reference", withService("    args: [\"${port\"]"), 6, "services[0].args[0]", "without its closing }"},
		{"bad reference name", withService("    args: [\"${Port}\"]"), 6, "services[0].args[0]", `${Port} does not name a setting`},
		{"empty reference", withService("    args: [\"${}\"]"), 6, "services[0].args[0]", "${} does not name a setting: empty name"},
		{"unknown capability", withService("    capabilities: [CAP_NET_BIND]"), 6, "services[0].capabilities[0]", "did you mean CAP_NET_BIND_SERVICE?"},
		{"lower-case capability", withService("    capabilities: [cap_sys_admin]"), 6, "services[0].capabilities[0]", "did you mean CAP_SYS_ADMIN?"},
		{"misspelt capability", withService("    capabilities: [CAP_SYS_ADMN]"), 6, "services[0].capabilities[0]", `unknown capability "CAP_SYS_ADMN" (Linux 6.1 has CAP_CHOWN to CAP_CHECKPOINT_RESTORE); did you mean CAP_SYS_ADMIN?`},
		{"newer capability", withService("    capabilities: [CAP_FOO_BAR_BAZ]"), 6, "services[0].capabilities[0]", `unknown capability "CAP_FOO_BAR_BAZ"`},
		{"capability twice", withService("    capabilities: [CAP_KILL, CAP_KILL]"), 6, "services[0].capabilities[1]", "CAP_KILL is listed twice"},
		{"capabilities of root", withService("    user: root", "    capabilities: [CAP_KILL]"), 4, "services[0].capabilities", "runs as root, which has every capability"},
	})
}

func TestParseLifecycleErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"bad restart", withService("    restart: on-error"), 6, "services[0].restart", `want always, on-failure or never, got "on-error"`},
		{"zero backoff", withService("    backoff: {initial: 0s}"), 6, "services[0].backoff.initial", "want a duration above zero, got 0s"},
		{"negative backoff", withService("    backoff: {max: -1s}"), 6, "services[0].backoff.max", "-1s is negative"},
		{"duration without unit", withService("    backoff: {initial: 5}"), 6, "services[0].backoff.initial", `want a duration such as 500ms, 10s, 2m or 1h30m, got "5"`},
		{"initial above max", withService("    backoff:", "      initial: 1m", "      max: 10s"), 7, "services[0].backoff.initial", "initial 1m0s is longer than max 10s"},
		{"initial above default max", withService("    backoff:", "      initial: 2m"), 7, "services[0].backoff.initial", "longer than the default max 1m0s: set max too"},
		{"max below default initial", withService("    backoff:", "      max: 500ms"), 7, "services[0].backoff.max", "shorter than the default initial 1s: set initial too"},
		{"backoff with never", withService("    restart: never", "    backoff: {max: 1m}"), 7, "services[0].backoff", "no effect with restart: never"},
		{"bad signal", withService("    stop: {signal: SIGTERN}"), 6, "services[0].stop.signal", "did you mean SIGTERM?"},
		{"signal without SIG", withService("    stop: {signal: term}"), 6, "services[0].stop.signal", "did you mean SIGTERM?"},
		{"signal number", withService("    stop: {signal: 15}"), 6, "services[0].stop.signal", `unknown stop signal "15"`},
		{"zero stop timeout", withService("    stop: {timeout: 0s}"), 6, "services[0].stop.timeout", "above zero"},
		{"after unknown", withService("    after: [dbb]"), 6, "services[0].after[0]", `service "db" starts after "dbb", which is not a service (services: db)`},
		{"after itself", withService("    after: [db]"), 6, "services[0].after[0]", "cannot start after itself"},
		{"after twice", y("product:", "  name: Acme", "services:", "  - name: a", "    go: ./a", "    after: [b, b]", "  - name: b", "    go: ./b"), 6, "services[0].after[1]", `"b" is listed twice`},
		{"after cycle of two", y("product:", "  name: Acme", "services:", "  - name: a", "    go: ./a", "    after: [b]", "  - name: b", "    go: ./b", "    after: [a]"),
			9, "services[1].after[0]", "services wait for each other in a cycle: a -> b -> a"},
		{"after cycle of three", y("product:", "  name: Acme", "services:",
			"  - name: a", "    go: ./a", "    after: [c]",
			"  - name: b", "    go: ./b", "    after: [a]",
			"  - name: c", "    go: ./c", "    after: [x, b]",
			"  - name: x", "    go: ./x"),
			9, "services[1].after[0]", "cycle: a -> c -> b -> a"},
	})
}

func TestParseHealthErrors(t *testing.T) {
	health := func(lines ...string) string { return withService(append([]string{"    health:"}, lines...)...) }
	runErrCases(t, []errCase{
		{"no probe", health("      interval: 5s"), 7, "services[0].health", "want one of http:, tcp: or command:"},
		{"two probes", health("      tcp: {port: 1}", "      http: {port: 1}"), 8, "services[0].health.http", "not both tcp: and http:"},
		{"unknown key", health("      tcp: {port: 1}", "      timout: 1s"), 8, "services[0].health.timout", "did you mean timeout?"},
		{"no port", health("      http: {path: /}"), 7, "services[0].health.http.port", "required"},
		{"port zero", health("      http: {port: 0}"), 7, "services[0].health.http.port", "0 is out of range: want 1 to 65535"},
		{"port too high", health("      tcp:", "        port: 65536"), 8, "services[0].health.tcp.port", "65536 is out of range"},
		{"path without slash", health("      http: {port: 80, path: healthz}"), 7, "services[0].health.http.path", "starting with /"},
		{"status too high", health("      http: {port: 80, status: 600}"), 7, "services[0].health.http.status", "600 is out of range: want 100 to 599"},
		{"status too low", health("      http: {port: 80, status: 99}"), 7, "services[0].health.http.status", "want 100 to 599"},
		{"tcp extra key", health("      tcp: {port: 80, path: /}"), 7, "services[0].health.tcp.path", "unknown key (known: port)"},
		{"empty command", health("      command: []"), 7, "services[0].health.command", "want the program and its arguments"},
		{"relative command", health("      command: [acmectl, ping]"), 7, "services[0].health.command[0]", "absolute path"},
		{"setting as program", health("      command: [\"${port}\"]"), 7, "services[0].health.command[0]", "absolute path"},
		{"retries zero", health("      tcp: {port: 80}", "      retries: 0"), 8, "services[0].health.retries", "0 is out of range: want 1"},
		{"negative start period", health("      tcp: {port: 80}", "      start-period: -5s"), 8, "services[0].health.start-period", "negative"},
		{"timeout above interval", health("      tcp: {port: 80}", "      interval: 2s", "      timeout: 3s"), 9, "services[0].health.timeout", "timeout 3s is longer than interval 2s"},
	})
}

func TestParseFileErrors(t *testing.T) {
	files := func(lines ...string) string { return withService(append([]string{"files:"}, lines...)...) }
	runErrCases(t, []errCase{
		{"no path", files("  - from: a"), 7, "files[0].path", "required"},
		{"no from", files("  - path: /etc/a"), 7, "files[0].from", "required"},
		{"relative path", files("  - path: etc/a", "    from: a"), 7, "files[0].path", "want an absolute path"},
		{"root path", files("  - path: /", "    from: a"), 7, "files[0].path", "want a path below /"},
		{"unclean path", files("  - path: /etc//a", "    from: a"), 7, "files[0].path", "write it as /etc/a"},
		{"under data", files("  - path: /data/x", "    from: a"), 7, "files[0].path", "/data/x is under /data"},
		{"under proc", files("  - path: /proc/x", "    from: a"), 7, "files[0].path", "under /proc"},
		{"under sys", files("  - path: /sys/x", "    from: a"), 7, "files[0].path", "under /sys"},
		{"under dev", files("  - path: /dev/x", "    from: a"), 7, "files[0].path", "under /dev"},
		{"plinth's own", files("  - path: /etc/plinth/brand.json", "    from: a"), 7, "files[0].path", "under /etc/plinth"},
		{"from outside", files("  - path: /etc/a", "    from: ../a"), 8, "files[0].from", "outside plinth.yaml's directory"},
		{"twice", files("  - path: /etc/a", "    from: a", "  - path: /etc/a", "    from: b"), 9, "files[1].path", "/etc/a is listed twice (first on line 7)"},
		{"mode without 0", files("  - path: /etc/a", "    from: a", "    mode: \"644\""), 9, "files[0].mode", `want an octal mode with a leading 0, e.g. "0644"`},
		{"mode not octal", files("  - path: /etc/a", "    from: a", "    mode: \"0689\""), 9, "files[0].mode", "want an octal mode"},
		{"mode 0o", files("  - path: /etc/a", "    from: a", "    mode: 0o644"), 9, "files[0].mode", "want an octal mode"},
		{"mode too large", files("  - path: /etc/a", "    from: a", "    mode: \"010000\""), 9, "files[0].mode", "010000 is above 07777"},
		{"unknown owner", files("  - path: /etc/a", "    from: a", "    owner: dbb"), 9, "files[0].owner", `user "dbb" is neither root nor a service's user (known: root, db); did you mean db?`},
		{"unknown group", files("  - path: /etc/a", "    from: a", "    owner: db:wheel"), 9, "files[0].owner", `group "wheel" is neither root nor a service's group`},
		{"bad owner", files("  - path: /etc/a", "    from: a", "    owner: \"db:\""), 9, "files[0].owner", "empty group name"},
	})
}

func TestParseDataDirErrors(t *testing.T) {
	dirs := func(lines ...string) string { return withService(append([]string{"data-dirs:"}, lines...)...) }
	runErrCases(t, []errCase{
		{"no path", dirs("  - mode: \"0700\""), 7, "data-dirs[0].path", "required"},
		{"data itself", dirs("  - path: /data"), 7, "data-dirs[0].path", "/data is not below /data"},
		{"outside data", dirs("  - path: /srv/db"), 7, "data-dirs[0].path", "/srv/db is not below /data"},
		{"log dir", dirs("  - path: /data/log/db"), 7, "data-dirs[0].path", "the services' log directory"},
		{"twice", dirs("  - path: /data/a", "  - path: /data/a"), 8, "data-dirs[1].path", "listed twice (first on line 7)"},
		{"bad mode", dirs("  - path: /data/a", "    mode: rwx"), 8, "data-dirs[0].mode", "want an octal mode"},
		{"unknown owner", dirs("  - path: /data/a", "    owner: postgres"), 8, "data-dirs[0].owner", `user "postgres" is neither root nor a service's user`},
		{"unknown key", dirs("  - path: /data/a", "    from: x"), 8, "data-dirs[0].from", "unknown key (known: path, mode, owner)"},
	})
}

func TestParseInstallerErrors(t *testing.T) {
	inst := func(lines ...string) string {
		return y(append([]string{"product:", "  name: Acme", "installer:"}, lines...)...)
	}
	runErrCases(t, []errCase{
		{"rest", inst("  min-disk: rest"), 4, "installer.min-disk", "want a size such as 2GiB"},
		{"too small", inst("  min-memory: 128MiB"), 4, "installer.min-memory", `"128MiB" is too small: at least 256MiB`},
		{"decimal unit", inst("  min-memory: 2GB"), 4, "installer.min-memory", "decimal unit"},
		{"no unit", inst("  min-disk: 20"), 4, "installer.min-disk", "has no unit"},
		{"fraction", inst("  min-disk: 1.5TiB"), 4, "installer.min-disk", "1536GiB"},
		{"answers flow", inst("  answers: {disk: largest}"), 4, "installer.answers", "want a block mapping"},
		{"answers scalar", inst("  answers: largest"), 4, "installer.answers", "want a block mapping"},
		{"answers no disk", inst("  answers:", "    wipe: true"), 5, "installer.answers.disk", "required"},
		{"answers bad disk", inst("  min-disk: 8GiB", "  answers:", "    # unattended", "    disk: /dev/sda", "    wipe: true"), 7, "installer.answers.disk", "kernel device name"},
		{"answers unknown key", inst("  answers:", "    disk: largest", "    wiep: true"), 6, "installer.answers.wiep", "unknown key"},
		{"answers wrong type", inst("  answers:", "    disk: largest", "    wipe: yes"), 6, "installer.answers.wipe", "want true or false"},
		{"answers nested", inst("  answers:", "    disk: largest", "    network:", "      mode: static"), 7, "installer.answers.network.address", "required with mode: static"},
	})
}

func TestParseNetworkErrors(t *testing.T) {
	net := func(lines ...string) string {
		return y(append([]string{"product:", "  name: Acme", "network:"}, lines...)...)
	}
	runErrCases(t, []errCase{
		{"bad mode", net("  mode: dhcp6"), 4, "network.mode", `want dhcp or static, got "dhcp6"`},
		{"static without address", net("  mode: static"), 4, "network.address", "required with mode: static"},
		{"gateway outside", net("  mode: static", "  address: 192.0.2.10/24", "  gateway: 198.51.100.1"), 6, "network.gateway", "is outside 192.0.2.0/24"},
		{"address with dhcp", net("  address: 192.0.2.10/24"), 4, "network.address", "only used with mode: static"},
		{"bad dns", net("  mode: static", "  address: 192.0.2.10/24", "  dns:", "    - 192.0.2.53", "    - dns.example"), 8, "network.dns", `want an IP address, got "dns.example"`},
		{"unknown key", net("  mode: dhcp", "  gw: 192.0.2.1"), 5, "network.gw", "unknown key"},
		{"flow", net("  {mode: dhcp}"), 4, "network", "want a block mapping"},
		{"scalar", y("product:", "  name: Acme", "network: dhcp"), 3, "network", "want a block mapping"},
	})
}

// TestParseErrorColumns checks that errors found by package answers in
// an indented block point at plinth.yaml's column, not the block's.
func TestParseErrorColumns(t *testing.T) {
	for _, tc := range []struct {
		yaml      string
		line, col int
	}{
		{y("product:", "  name: Acme", "installer:", "  answers:", "    disk: largest", "    after: halt"), 6, 12},
		{y("product:", "  name: Acme", "network:", "    mode: dhcp6"), 4, 11},
		{y("product:", "  name: Acme", "services:", "  - name: db", "    go: ./db", "    restart: sometimes"), 6, 14},
	} {
		_, err := Parse([]byte(tc.yaml))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) = %v, want a *ParseError", tc.yaml, err)
		}
		if pe.Line != tc.line || pe.Column != tc.col {
			t.Errorf("Parse(%q): error at %d:%d, want %d:%d: %v", tc.yaml, pe.Line, pe.Column, tc.line, tc.col, err)
		}
	}
}
