package product

import (
	"net/netip"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
)

// docExample returns the complete example of the package doc, so that
// the doc cannot drift from what Parse accepts.
func docExample(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(src), "// A complete plinth.yaml")
	if !ok {
		t.Fatal("doc.go has no complete example")
	}
	var b strings.Builder
	for _, l := range strings.Split(after, "\n")[2:] {
		y, ok := strings.CutPrefix(l, "//\t")
		if !ok {
			break
		}
		b.WriteString(y + "\n")
	}
	if b.Len() == 0 {
		t.Fatal("doc.go's complete example is empty")
	}
	return []byte(b.String())
}

func lit(s string) Template    { return Template{{Text: s}} }
func ref(name string) Template { return Template{{Setting: name}} }
func lits(s ...string) []Template {
	out := make([]Template, len(s))
	for i, x := range s {
		out[i] = lit(x)
	}
	return out
}

func exampleProduct() *Product {
	port, peers, debug := IntValue(5432), ListValue([]string{}...), BoolValue(false)
	ans := answers.Default()
	ans.Disk, ans.Wipe, ans.After = answers.Selector{Kind: answers.SelectLargest}, true, answers.AfterPoweroff
	return &Product{
		Name:    "Acme DB",
		Version: Version{Text: "v1.4.2"},
		Brand:   "brand",
		Cmdline: Cmdline{Installer: "console=ttyS1,115200", Runtime: "console=ttyS1,115200 mitigations=auto"},
		Settings: []Setting{
			{Name: "port", Type: TypeInt, Default: &port, Description: "TCP port clients connect to"},
			{Name: "peers", Type: TypeList, Default: &peers, Description: "Other members of the cluster, as host:port"},
			{Name: "cluster", Type: TypeString, Description: "Name of the cluster this machine joins"},
			{Name: "debug", Type: TypeBool, Default: &debug},
		},
		Services: []Service{{
			Name:    "db",
			Program: Program{GoPackage, "./cmd/acmedb"},
			Args:    []Template{lit("--listen"), {{Text: ":"}, {Setting: "port"}}, lit("--cluster"), ref("cluster"), ref("peers")},
			Env:     []EnvVar{{"ACME_DEBUG", ref("debug")}, {"ACME_PROMPT", lit("${cluster}>")}},
			User:    "acme", Group: "acme", WorkDir: "/data/db",
			Capabilities: []Capability{10, 14},
			Restart:      RestartAlways,
			Backoff:      Backoff{500 * time.Millisecond, 30 * time.Second},
			Stop:         Stop{syscall.SIGINT, time.Minute},
			Health: &HealthCheck{Kind: HealthHTTP, Port: 8080, Path: "/healthz", Status: 204,
				Interval: 5 * time.Second, Timeout: 2 * time.Second, StartPeriod: time.Minute, Retries: 5},
		}, {
			Name:    "backup",
			Program: Program{StaticFile, "bin/acme-backup"},
			Args:    lits("--to", "/data/backups"),
			User:    "backup", Group: "acme", WorkDir: "/data/backup",
			Restart: RestartOnFailure,
			Backoff: Backoff{time.Second, time.Minute},
			Stop:    Stop{syscall.SIGTERM, 10 * time.Second},
			After:   []string{"db"},
			Health: &HealthCheck{Kind: HealthCommand, Command: append(lits("/usr/bin/acmectl", "ping", "--port"), ref("port")),
				Interval: 10 * time.Second, Timeout: 5 * time.Second, Retries: 3},
		}},
		Files: []File{
			{Path: "/usr/bin/acmectl", From: "bin/acmectl", Mode: 0o755, Owner: Owner{"root", "root"}},
			{Path: "/etc/acme/acme.conf", From: "config/acme.conf", Mode: 0o640, Owner: Owner{"root", "acme"}},
		},
		DataDirs: []DataDir{{Path: "/data/backups", Mode: 0o750, Owner: Owner{"backup", "acme"}}},
		Installer: Installer{
			MinMemory: 2 << 30, MinDisk: 32 << 30,
			Answers:     &ans,
			AnswersYAML: []byte("disk: largest\nwipe: true\nafter: poweroff\n"),
		},
		Network: answers.Network{
			Mode:    answers.NetStatic,
			Address: netip.MustParsePrefix("192.0.2.10/24"),
			Gateway: netip.MustParseAddr("192.0.2.1"),
			DNS:     []netip.Addr{netip.MustParseAddr("192.0.2.53")},
		},
		Updates: Updates{
			Key: "/secure/acme-update", Channel: "https://updates.acme.example/db/channel.json",
			CheckInterval: 30 * time.Minute, CA: "certs/updates-ca.pem",
			CommitAfter: 2 * time.Minute, TrialTimeout: 15 * time.Minute, MinVersion: "v1.2.0",
		},
	}
}

func TestParseDocExample(t *testing.T) {
	got, err := Parse(docExample(t))
	if err != nil {
		t.Fatal(err)
	}
	want := exampleProduct()
	wantLines := map[string]position{"product.brand": {4, 10}, "services[0].go": {25, 9}, "services[1].file": {46, 11}, "files[0].from": {54, 11}, "files[1].from": {57, 11}, "updates.ca": {80, 7}}
	if !reflect.DeepEqual(got.lines, wantLines) {
		t.Errorf("field positions = %v, want %v", got.lines, wantLines)
	}
	got.lines, want.lines = nil, nil
	for i := range max(len(got.Services), len(want.Services)) {
		if i < len(got.Services) && i < len(want.Services) && !reflect.DeepEqual(got.Services[i], want.Services[i]) {
			t.Errorf("services[%d] =\n%#v\nwant\n%#v", i, got.Services[i], want.Services[i])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(doc example) =\n%#v\nwant\n%#v", got, want)
	}
}

func TestParseDefaults(t *testing.T) {
	p, err := Parse([]byte(y("product:", "  name: Acme")))
	if err != nil {
		t.Fatal(err)
	}
	want := &Product{Name: "Acme", Version: Version{FromGit: true}, Network: answers.Network{Mode: answers.NetDHCP}, lines: map[string]position{},
		Updates: Updates{CheckInterval: time.Hour, CommitAfter: time.Minute, TrialTimeout: 10 * time.Minute}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse(minimal) = %#v, want %#v", p, want)
	}

	p, err = Parse([]byte(y("product:", "  name: Acme", "  version: git",
		"services:",
		"  - name: web", "    go: example.com/acme/cmd/web", "    health: {http: {port: 80}}",
		"  - name: cache", "    go: .", "    user: acme", "    group: store", "    health: {tcp: {port: 6379}}",
		"  - name: admin", "    file: ./bin/admin", "    user: root",
		"files:",
		"  - {path: /etc/a, from: a, owner: acme}",
		"  - {path: /etc/b, from: b, owner: root}",
		"  - {path: /etc/c, from: c, owner: \"web:root\", mode: 04755}")))
	if err != nil {
		t.Fatal(err)
	}
	web, cache, admin := p.Services[0], p.Services[1], p.Services[2]
	if h := web.Health; !reflect.DeepEqual(h, &HealthCheck{Kind: HealthHTTP, Port: 80, Path: "/", Status: 200, Interval: 10 * time.Second, Timeout: 5 * time.Second, Retries: 3}) {
		t.Errorf("web's health = %+v, want the http defaults", h)
	}
	if web.User != "web" || web.Group != "web" || web.WorkDir != "/data/web" || web.Program != (Program{GoPackage, "example.com/acme/cmd/web"}) || web.Program.IsLocal() {
		t.Errorf("web = %+v, want user and group web, workdir /data/web, a remote package", web)
	}
	if cache.User != "acme" || cache.Group != "store" || cache.Health.Kind != HealthTCP || cache.Health.Port != 6379 || !cache.Program.IsLocal() {
		t.Errorf("cache = %+v, want user acme, group store, tcp health on 6379, a local package", cache)
	}
	if admin.User != "root" || admin.Group != "root" || admin.Program.Path != "bin/admin" {
		t.Errorf("admin = %+v, want user and group root, file bin/admin", admin)
	}
	wantOwners := []Owner{{"acme", "store"}, {"root", "root"}, {"web", "root"}}
	for i, f := range p.Files {
		if f.Owner != wantOwners[i] {
			t.Errorf("files[%d].owner = %v, want %v", i, f.Owner, wantOwners[i])
		}
	}
	if p.Files[0].Mode != DefaultFileMode || p.Files[2].Mode != 0o4755 {
		t.Errorf("file modes %v, %v; want %v and 04755", p.Files[0].Mode, p.Files[2].Mode, DefaultFileMode)
	}
}

// TestAnswersYAML checks that the embedded answers are kept as an
// install.yaml of their own, inner comments included.
func TestAnswersYAML(t *testing.T) {
	p, err := Parse([]byte(y("product:", "  name: Acme", "installer:", "  answers:",
		"    # the biggest disk", "    disk: largest", "", "    network:", "      mode: static",
		"      address: 192.0.2.10/24  # lab", "      dns:", "        - 192.0.2.53", "",
		"# the appliance's own network", "network:", "  mode: dhcp")))
	if err != nil {
		t.Fatal(err)
	}
	want := y("disk: largest", "", "network:", "  mode: static", "  address: 192.0.2.10/24  # lab", "  dns:", "    - 192.0.2.53")
	if got := string(p.Installer.AnswersYAML); got != want {
		t.Errorf("AnswersYAML = %q, want %q", got, want)
	}
	a, err := answers.Parse(p.Installer.AnswersYAML)
	if err != nil || !reflect.DeepEqual(a, p.Installer.Answers) {
		t.Errorf("answers.Parse(AnswersYAML) = %+v, %v; want %+v", a, err, p.Installer.Answers)
	}
	if a.Network.Mode != answers.NetStatic || p.Network.Mode != answers.NetDHCP {
		t.Errorf("network modes: answers %s, product %s; want static and dhcp", a.Network.Mode, p.Network.Mode)
	}
}
