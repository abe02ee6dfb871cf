package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/supervise"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestMain lets the test binary act as a payload service, and as a
// health check command ("absent PATH": passes while PATH does not exist).
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "absent" {
		if _, err := os.Stat(os.Args[2]); err == nil {
			fmt.Println("sick")
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("APPLIANCE_TEST_SERVICE") == "sleep" {
		fmt.Println("service up, data at", os.Getenv("PLINTH_DATA"), "home", os.Getenv("HOME"), "mode", os.Getenv("MODE"))
		time.Sleep(time.Hour)
		return
	}
	os.Exit(m.Run())
}

const (
	espUUID  = "11111111-2222-4333-8444-555555555555"
	dataUUID = "66666666-7777-4888-8999-aaaaaaaaaaaa"
)

func testConfig() *appconfig.Config {
	return &appconfig.Config{
		Schema: 1, Product: "Plinth", Version: "1.0.0",
		MachineID: "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b", Hostname: "plinth-3f2a9c",
		ESP:      appconfig.ESP{PartUUID: guid.MustParse(espUUID)},
		Data:     appconfig.Data{PartUUID: guid.MustParse(dataUUID), Label: "plinth-data", FSType: "ext4"},
		Network:  appconfig.Network{Mode: "dhcp"},
		Settings: map[string]setting.Value{"mode": setting.StringValue("fast")},
	}
}

func tmpl(t *testing.T, s string) setting.Template {
	t.Helper()
	v, err := setting.ParseTemplate(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testSpec is a product of one service, demo, run by the test binary
// as root in its data directory /data/demo, with a command health check
// that fails while the file sick exists; and a data directory of
// nobody's.
func testSpec(t *testing.T, sick string) *productspec.Spec {
	def := setting.StringValue("slow")
	sec := productspec.Duration(time.Second)
	return &productspec.Spec{
		Schema: productspec.SchemaVersion, Product: "Plinth", Version: "1.0.0",
		Settings: []setting.Decl{{Name: "mode", Type: setting.TypeString, Default: &def}, {Name: "port", Type: setting.TypeInt}},
		Users:    []productspec.User{{Name: "nobody", UID: 65534, GID: 65534}},
		Groups:   []productspec.Group{{Name: "nogroup", GID: 65534}},
		DataDirs: []productspec.DataDir{
			{Path: "/data/demo", Mode: 0o700},
			{Path: "/data/spool/nobody", UID: 65534, GID: 65534, Mode: 0o2750},
		},
		Services: []productspec.Service{{
			Name: "demo", Exec: os.Args[0], User: "root", WorkDir: "/data/demo",
			Env: []productspec.EnvVar{
				{Name: "APPLIANCE_TEST_SERVICE", Value: tmpl(t, "sleep")},
				{Name: "MODE", Value: tmpl(t, "${mode}:${port}")},
				// Built with -race, the check command would wait 1 s at exit.
				{Name: "GORACE", Value: tmpl(t, "atexit_sleep_ms=0")},
			},
			Restart: productspec.RestartAlways, Backoff: productspec.Backoff{Initial: sec, Max: sec},
			Health: &productspec.Health{Kind: productspec.HealthCommand, Command: []setting.Template{tmpl(t, os.Args[0]), tmpl(t, "absent"), tmpl(t, sick)},
				Interval: sec, Timeout: sec, StartPeriod: 5 * sec, Retries: 2},
		}},
	}
}

func TestServiceSpecs(t *testing.T) {
	spec := testSpec(t, "/nonexistent")
	spec.Services[0].Env = append(spec.Services[0].Env, productspec.EnvVar{Name: "HOME", Value: tmpl(t, "/data/home")})
	cmds, err := spec.Expand(map[string]setting.Value{"port": setting.IntValue(80)})
	if err != nil {
		t.Fatal(err)
	}
	specs := serviceSpecs(spec, cmds, systemPaths(), "0.9.0")
	if len(specs) != 1 {
		t.Fatal(specs)
	}
	s := specs[0]
	wantEnv := "PATH=/bbin HOME=/data/home PLINTH_PRODUCT=Plinth PLINTH_VERSION=1.0.0 PLINTH_PREVIOUS_VERSION=0.9.0 PLINTH_DATA=/data PLINTH_CONFIG=/boot/efi/EFI/plinth/plinth.json PLINTH_SERVICE=demo APPLIANCE_TEST_SERVICE=sleep MODE=slow:80 GORACE=atexit_sleep_ms=0"
	if got := strings.Join(s.Env, " "); got != wantEnv {
		t.Errorf("env =\n%s\nwant\n%s", got, wantEnv)
	}
	if s.Path != os.Args[0] || s.Dir != "/data/demo" || s.Restart != supervise.RestartAlways || s.BackoffInitial != time.Second ||
		s.Health == nil || strings.Join(s.Health.Command, " ") != os.Args[0]+" absent /nonexistent" || s.Health.Interval != time.Second {
		t.Errorf("spec = %+v", s)
	}
	p := systemPaths()
	p.Data = "/mnt/data"
	if d := serviceSpecs(spec, cmds, p, "")[0]; d.Dir != "/mnt/data/demo" || !slices.Contains(d.Env, "PLINTH_DATA=/mnt/data") {
		t.Errorf("with data at /mnt/data: %+v", d)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		f    *failure
		code errcode.Code
	}{
		{configFailure("/boot/efi/x", fmt.Errorf("appconfig: %w", os.ErrNotExist)), "config-missing"},
		{configFailure("/boot/efi/x", errors.New("appconfig: hostname: missing")), "config-invalid"},
		{dataFailure(testConfig().Data, fmt.Errorf("x: %w", errDataNotFound())), "data-partition-missing"},
		{espFailure(errors.New("no ESP")), "esp-not-found"},
		{productFailure(errors.New("productspec: schema 2")), "services"},
		{settingsFailure(testSpec(t, ""), &setting.Error{Setting: "port", Message: "has no default"}), "config-invalid"},
	}
	for _, tt := range tests {
		if tt.f.code != tt.code {
			t.Errorf("code %s, want %s", tt.f.code, tt.code)
		}
		txt := tt.f.text()
		if !strings.Contains(txt, "What to do: ") || !strings.Contains(txt, tt.f.err.Error()) || !strings.Contains(txt, "power button") {
			t.Errorf("text lacks parts:\n%s", txt)
		}
	}
	var buf bytes.Buffer
	a := &appliance{out: &buf, events: event.New(&buf)}
	a.report(configFailure("p", errors.New("appconfig: product: missing")))
	eventtest.CheckOutput(t, buf.String())
	obj, ok := event.Parse(lastLine(buf.String()))
	if !ok || obj["event"] != "error" || obj["code"] != "config-invalid" || !strings.Contains(obj["message"].(string), "product: missing") {
		t.Errorf("error event = %v (%q)", obj, buf.String())
	}
}

func TestDetailsListsProblems(t *testing.T) {
	_, err := appconfig.Parse([]byte(`{"schema": 1, "product": "P"}`))
	got := details(fmt.Errorf("/boot/efi/EFI/plinth/plinth.json: %w", err))
	if !strings.HasPrefix(got, "/boot/efi/EFI/plinth/plinth.json: 7 problems:\r\n  - version: missing\r\n  - machineID: missing") {
		t.Errorf("details =\n%s", got)
	}
	if got := details(errors.New("plain")); got != "plain" {
		t.Errorf("details(plain) = %q", got)
	}
}

func TestDetailsListsSettingErrors(t *testing.T) {
	_, err := testSpec(t, "").Expand(map[string]setting.Value{"mode": setting.IntValue(1)})
	f := settingsFailure(testSpec(t, ""), err)
	txt := f.text()
	for _, w := range []string{
		"the settings in \\EFI\\plinth\\plinth.json do not fit Plinth 1.0.0",
		"2 problems:\r\n  - setting \"mode\": is of type string, got a value of type int\r\n  - setting \"port\": has no default",
		"Settings of this version: mode (string), port (int).",
	} {
		if !strings.Contains(txt, w) {
			t.Errorf("failure text lacks %q:\n%s", w, txt)
		}
	}
}

func TestReadyLine(t *testing.T) {
	tests := []struct {
		ips  []string
		want string
	}{
		{[]string{"10.0.2.15", "192.0.2.1"}, "Plinth 1.0.0 ready at 10.0.2.15, 192.0.2.1"},
		{[]string{"2001:db8::1"}, "Plinth 1.0.0 ready at 2001:db8::1"},
		{nil, "Plinth 1.0.0 ready — " + readyFallback},
	}
	for _, tt := range tests {
		if got := readyLine("Plinth", "1.0.0", tt.ips); got != tt.want {
			t.Errorf("readyLine(%v) = %q, want %q", tt.ips, got, tt.want)
		}
	}
}

func TestReadRelease(t *testing.T) {
	p := filepath.Join(t.TempDir(), "release.json")
	if r := readRelease(p); r.Version != "unknown" || r.Product != "Plinth" {
		t.Errorf("default release = %+v", r)
	}
	os.WriteFile(p, []byte(`{"product":"Acme","version":"2.0"}`), 0o644)
	if r := readRelease(p); r.Version != "2.0" || r.Product != "Acme" {
		t.Errorf("release = %+v", r)
	}
}

// --- boot with a fake machine ---

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type nopOps struct{}

func (nopOps) LinkUp(string) error                                   { return nil }
func (nopOps) AddrReplace(string, netip.Prefix, time.Duration) error { return nil }
func (nopOps) AddrDel(string, netip.Prefix) error                    { return nil }
func (nopOps) RouteReplace(string, netupRoute, int) error            { return nil }
func (nopOps) RouteDel(string, netupRoute, int) error                { return nil }

type machine struct {
	a      *appliance
	out    *syncBuf
	mounts *[]string
	host   *string
}

// fakeMachine: a disk with an ESP (holding espFiles when mounted) and an
// ext4 data partition; efivars with LoaderDevicePartUUID and BootCurrent;
// the runtime image's product file product ("": none).
func fakeMachine(t *testing.T, espFiles map[string]string, product string) machine {
	mkfs, truncate := testdisk.Tool(t, "mkfs.ext4"), testdisk.Tool(t, "truncate")
	s := partfindtest.Build(t, partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{
		{TypeCode: "EF00", UUID: espUUID, SizeMiB: 8},
		{TypeCode: "8300", UUID: dataUUID, Label: "plinth-data"},
	}})
	testdisk.Run(t, truncate, "-s", "16M", s.Device("vda2"))
	testdisk.Run(t, mkfs, "-q", "-F", s.Device("vda2"))
	root := t.TempDir()
	p := paths{Root: root, Sys: s.Sys, Dev: s.Dev, Etc: filepath.Join(root, "etc"), Tmp: filepath.Join(root, "tmp"), Efivars: filepath.Join(root, "efivars"),
		ESP: filepath.Join(root, "boot/efi"), Data: filepath.Join(root, "data"), Release: filepath.Join(root, "release.json"),
		Product: filepath.Join(root, "etc/plinth/product.json"), Lockdown: filepath.Join(root, "lockdown")}
	os.MkdirAll(p.Efivars, 0o755)
	os.WriteFile(p.Lockdown, []byte("none [integrity] confidentiality\n"), 0o644)
	os.WriteFile(filepath.Join(p.Efivars, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"), []byte{6, 0, 0, 0, 1}, 0o644)
	os.WriteFile(filepath.Join(p.Efivars, "SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c"), []byte{6, 0, 0, 0, 0}, 0o644)
	os.MkdirAll(filepath.Dir(p.Product), 0o755)
	os.MkdirAll(p.Tmp, 0o755)
	if product != "" {
		os.WriteFile(p.Product, []byte(product), 0o644)
	}
	var loader []byte
	for _, u := range utf16.Encode([]rune(strings.ToUpper(espUUID) + "\x00")) {
		loader = append(loader, byte(u), byte(u>>8))
	}
	os.WriteFile(filepath.Join(p.Efivars, "LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"), append([]byte{6, 0, 0, 0}, loader...), 0o644)
	os.WriteFile(filepath.Join(p.Efivars, "BootCurrent-8be4df61-93ca-11d2-aa0d-00e098032b8c"), []byte{6, 0, 0, 0, 3, 0}, 0o644)

	var mounts []string
	host := ""
	out := &syncBuf{}
	sys := system{
		mount: func(source, target, fstype string, flags uintptr, data string) error {
			mounts = append(mounts, filepath.Base(source)+" "+fstype)
			if source == s.Device("vda1") {
				for name, c := range espFiles {
					f := filepath.Join(target, name)
					os.MkdirAll(filepath.Dir(f), 0o755)
					os.WriteFile(f, []byte(c), 0o644)
				}
			}
			return nil
		},
		unmount:     func(string, int) error { return nil },
		sethostname: func(b []byte) error { host = string(b); return nil },
		netOps:      nopOps{},
		diskWait:    300 * time.Millisecond,
		addressWait: 100 * time.Millisecond,
		minUp:       200 * time.Millisecond,
		serviceWait: 5 * time.Second,
	}
	a := &appliance{out: out, events: event.New(out), paths: p, sys: sys, reaper: supervise.NewReaper()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.reaper.Run(ctx); close(done) }()
	t.Cleanup(func() {
		if sup := a.supervisor(); sup != nil {
			sup.Stop()
		}
		cancel()
		<-done
		eventtest.CheckOutput(t, out.String())
	})
	return machine{a: a, out: out, mounts: &mounts, host: &host}
}

func configJSON(t *testing.T, mod func(*appconfig.Config)) string {
	c := testConfig()
	if mod != nil {
		mod(c)
	}
	b, err := appconfig.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func productJSON(t *testing.T, s *productspec.Spec) string {
	b, err := productspec.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bootMachine boots a fake machine whose product is testSpec, with the
// config's settings port 8080 and mode fast; the service is unhealthy
// while the file sick exists.
func bootMachine(t *testing.T, sick string) machine {
	m := fakeMachine(t, map[string]string{appconfig.RelPath: configJSON(t, func(c *appconfig.Config) {
		c.Settings["port"] = setting.IntValue(8080)
	})}, productJSON(t, testSpec(t, sick)))
	if f := m.a.boot(context.Background(), release{Product: "Plinth", Version: "1.0.0"}); f != nil {
		t.Fatalf("boot failed: %s", f.text())
	}
	return m
}

// waitEvent waits for the first event called name in out.
func waitEvent(t *testing.T, out *syncBuf, name string) map[string]any {
	t.Helper()
	var found map[string]any
	defer func() {
		if found == nil {
			t.Logf("output:\n%s", out.String())
		}
	}()
	testdisk.Eventually(t, "a "+name+" event", 15*time.Second, func() bool {
		found = firstEvent(out.String(), name)
		return found != nil
	})
	return found
}

// firstEvent returns the first event called name in the lines of out.
func firstEvent(out, name string) map[string]any {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if obj, ok := event.Parse(sc.Text()); ok && obj["event"] == name {
			return obj
		}
	}
	return nil
}

func TestBoot(t *testing.T) {
	testdisk.RequireRoot(t, "give the data directories their owners")
	m := bootMachine(t, filepath.Join(t.TempDir(), "sick"))
	ev := waitEvent(t, m.out, "runtime-ready")
	for k, want := range map[string]any{"product": "Plinth", "version": "1.0.0", "data": m.a.paths.Data, "dataPartUUID": dataUUID, "bootCurrent": "0003", "hostname": "plinth-3f2a9c",
		"secureBoot": true, "setupMode": false, "lockdown": "integrity"} {
		if ev[k] != want {
			t.Errorf("runtime-ready %s = %v, want %v", k, ev[k], want)
		}
	}
	if svcs, _ := ev["services"].([]any); len(svcs) != 1 || svcs[0].(map[string]any)["state"] != "running" || svcs[0].(map[string]any)["health"] != "healthy" {
		t.Errorf("services = %v", ev["services"])
	}
	if h := firstEvent(m.out.String(), "service-health"); h == nil || h["service"] != "demo" || h["health"] != "healthy" {
		t.Errorf("service-health = %v", h)
	}
	if got := strings.Join(*m.mounts, ","); got != "vda1 vfat,vda2 ext4" {
		t.Errorf("mounts = %s", got)
	}
	if *m.host != "plinth-3f2a9c" {
		t.Errorf("hostname = %q", *m.host)
	}
	if id, _ := os.ReadFile(filepath.Join(m.a.paths.Etc, "machine-id")); string(id) != "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b\n" {
		t.Errorf("machine-id = %q", id)
	}
	data := m.a.paths.Data
	for _, d := range []struct {
		path     string
		uid, gid uint32
		mode     os.FileMode
	}{
		{data, 0, 0, 0o755},
		{data + "/log", 0, 0, 0o750},
		{data + "/demo", 0, 0, 0o700},
		{data + "/spool", 0, 0, 0o755},
		{data + "/spool/nobody", 65534, 65534, 0o750 | os.ModeSetgid},
	} {
		checkDir(t, d.path, d.uid, d.gid, d.mode)
	}
	out := m.out.String()
	for _, w := range []string{"[demo] service up, data at " + data + " home " + data + "/demo mode fast:8080", "Plinth 1.0.0 ready — " + readyFallback, "chosen by PARTUUID " + espUUID + " from LoaderDevicePartUUID"} {
		if !strings.Contains(out, w) {
			t.Errorf("console lacks %q:\n%s", w, out)
		}
	}
	m.a.supervisor().Stop()
	log, _ := os.ReadFile(filepath.Join(data, "log", "demo.log"))
	if !strings.Contains(string(log), "service up") {
		t.Errorf("demo.log = %q", log)
	}
}

// TestReadyDegradedReady: a service that fails its check makes the
// appliance degraded; once it passes again, the appliance is ready again.
func TestReadyDegradedReady(t *testing.T) {
	testdisk.RequireRoot(t, "give the data directories their owners")
	sick := filepath.Join(t.TempDir(), "sick")
	m := bootMachine(t, sick)
	waitEvent(t, m.out, "runtime-ready")
	os.WriteFile(sick, nil, 0o644)
	deg := waitEvent(t, m.out, "runtime-degraded")
	svcs, _ := deg["services"].([]any)
	if len(svcs) != 1 || svcs[0].(map[string]any)["name"] != "demo" || svcs[0].(map[string]any)["health"] != "unhealthy" ||
		svcs[0].(map[string]any)["reason"] != os.Args[0]+": exit status 1: sick" {
		t.Errorf("runtime-degraded = %v", deg)
	}
	os.Remove(sick)
	testdisk.Eventually(t, "a second runtime-ready", 10*time.Second, func() bool {
		return strings.Count(m.out.String(), `"event":"runtime-ready"`) == 2
	})
	var seq []string
	for _, line := range strings.Split(m.out.String(), "\n") {
		if obj, ok := event.Parse(line); ok && strings.HasPrefix(obj["event"].(string), "runtime-") {
			seq = append(seq, obj["event"].(string))
		}
	}
	if got := strings.Join(seq, " "); got != "runtime-ready runtime-degraded runtime-ready" {
		t.Errorf("events: %s", got)
	}
	if !strings.Contains(m.out.String(), "Plinth 1.0.0 degraded — demo unhealthy ("+os.Args[0]+": exit status 1: sick)") {
		t.Errorf("console lacks the degraded line:\n%s", m.out.String())
	}
}

func checkDir(t *testing.T, path string, uid, gid uint32, mode os.FileMode) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Error(err)
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || st.Mode().Perm()|st.Mode()&(os.ModeSetgid|os.ModeSticky) != mode || sys.Uid != uid || sys.Gid != gid {
		t.Errorf("%s: %v %d:%d, want %v %d:%d", path, st.Mode(), sys.Uid, sys.Gid, mode, uid, gid)
	}
}

func TestBootFailures(t *testing.T) {
	spec := testSpec(t, "")
	good := productJSON(t, spec)
	tests := []struct {
		name    string
		files   map[string]string
		product string
		code    errcode.Code
		message string
	}{
		{"config missing", map[string]string{"EFI/BOOT/BOOTX64.EFI": "MZ"}, good, "config-missing", ""},
		{"config invalid", map[string]string{appconfig.RelPath: `{"schema": 1}`}, good, "config-invalid", ""},
		{"product missing", map[string]string{appconfig.RelPath: configJSON(t, nil)}, "", "services", "product.json: no such file"},
		{"product invalid", map[string]string{appconfig.RelPath: configJSON(t, nil)}, strings.Replace(good, `"restart": "always"`, `"restart": "sometimes"`, 1), "services", `services[0] (demo).restart: "sometimes"`},
		{"setting missing", map[string]string{appconfig.RelPath: configJSON(t, nil)}, good, "config-invalid", `setting \"port\": has no default`},
		{"setting undeclared", map[string]string{appconfig.RelPath: configJSON(t, func(c *appconfig.Config) {
			c.Settings["port"], c.Settings["colour"] = setting.IntValue(1), setting.StringValue("red")
		})}, good, "config-invalid", `setting \"colour\": is not declared by the product (declared: mode, port)`},
		{"data missing", map[string]string{appconfig.RelPath: configJSON(t, func(c *appconfig.Config) {
			c.Settings["port"] = setting.IntValue(1)
			c.Data = appconfig.Data{PartUUID: guid.MustParse("99999999-0000-4000-8000-000000000000"), FSType: "ext4"}
		})}, good, "data-partition-missing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fakeMachine(t, tt.files, tt.product)
			f := m.a.boot(context.Background(), release{})
			if f == nil || f.code != tt.code {
				t.Fatalf("boot = %+v, want code %s", f, tt.code)
			}
			m.a.report(f)
			if ev := firstEvent(m.out.String(), "error"); ev == nil || !strings.Contains(fmt.Sprint(ev["message"]), strings.ReplaceAll(tt.message, `\"`, `"`)) {
				t.Errorf("error event = %v, want a message with %q", ev, tt.message)
			}
			if m.a.supervisor() != nil {
				t.Error("services started after a failure")
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
