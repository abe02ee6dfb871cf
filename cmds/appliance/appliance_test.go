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
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/supervise"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestMain lets the test binary act as a payload service.
func TestMain(m *testing.M) {
	if os.Getenv("APPLIANCE_TEST_SERVICE") == "sleep" {
		fmt.Println("service up, data at", os.Getenv("PLINTH_DATA"))
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
		ESP:     appconfig.ESP{PartUUID: guid.MustParse(espUUID)},
		Data:    appconfig.Data{PartUUID: guid.MustParse(dataUUID), Label: "plinth-data", FSType: "ext4"},
		Network: appconfig.Network{Mode: "dhcp"},
		Services: []appconfig.Service{{
			Name: "demo", Exec: "/bbin/plinth-demo", Args: []string{"-addr", ":80"},
			Env: map[string]string{"Z": "1", "A": "2"},
		}},
	}
}

func TestServiceSpecs(t *testing.T) {
	specs := serviceSpecs(testConfig(), systemPaths())
	if len(specs) != 1 {
		t.Fatal(specs)
	}
	s := specs[0]
	wantEnv := "PATH=/bbin HOME=/ PLINTH_PRODUCT=Plinth PLINTH_VERSION=1.0.0 PLINTH_DATA=/data PLINTH_CONFIG=/boot/efi/EFI/plinth/plinth.json PLINTH_SERVICE=demo A=2 Z=1"
	if got := strings.Join(s.Env, " "); got != wantEnv {
		t.Errorf("env =\n%s\nwant\n%s", got, wantEnv)
	}
	if s.Path != "/bbin/plinth-demo" || strings.Join(s.Args, " ") != "-addr :80" || s.Dir != "/data" ||
		s.RestartDelay != time.Second || s.StopTimeout != 10*time.Second || s.StableAfter != 30*time.Second {
		t.Errorf("spec = %+v", s)
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

func TestReadyLine(t *testing.T) {
	cfg := testConfig()
	tests := []struct {
		ips  []string
		want string
	}{
		{[]string{"10.0.2.15", "192.0.2.1"}, "Plinth 1.0.0 ready — http://10.0.2.15/status"},
		{[]string{"2001:db8::1"}, "Plinth 1.0.0 ready — http://[2001:db8::1]/status"},
		{nil, "Plinth 1.0.0 ready — " + readyFallback},
	}
	for _, tt := range tests {
		if got := readyLine(cfg, tt.ips); got != tt.want {
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
// ext4 data partition; efivars with LoaderDevicePartUUID and BootCurrent.
func fakeMachine(t *testing.T, espFiles map[string]string) machine {
	mkfs, truncate := testdisk.Tool(t, "mkfs.ext4"), testdisk.Tool(t, "truncate")
	s := partfindtest.Build(t, partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{
		{TypeCode: "EF00", UUID: espUUID, SizeMiB: 8},
		{TypeCode: "8300", UUID: dataUUID, Label: "plinth-data"},
	}})
	testdisk.Run(t, truncate, "-s", "16M", s.Device("vda2"))
	testdisk.Run(t, mkfs, "-q", "-F", s.Device("vda2"))
	root := t.TempDir()
	p := paths{Sys: s.Sys, Dev: s.Dev, Etc: filepath.Join(root, "etc"), Efivars: filepath.Join(root, "efivars"),
		ESP: filepath.Join(root, "boot/efi"), Data: filepath.Join(root, "data"), Release: filepath.Join(root, "release.json")}
	os.MkdirAll(p.Efivars, 0o755)
	os.MkdirAll(p.Etc, 0o755)
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
	c.Services[0].Exec = os.Args[0]
	c.Services[0].Env = map[string]string{"APPLIANCE_TEST_SERVICE": "sleep"}
	if mod != nil {
		mod(c)
	}
	b, err := appconfig.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
	m := fakeMachine(t, map[string]string{appconfig.RelPath: configJSON(t, nil)})
	if f := m.a.boot(context.Background(), release{Product: "Plinth", Version: "1.0.0"}); f != nil {
		t.Fatalf("boot failed: %s", f.text())
	}
	ev := waitEvent(t, m.out, "runtime-ready")
	for k, want := range map[string]any{"product": "Plinth", "version": "1.0.0", "data": m.a.paths.Data, "dataPartUUID": dataUUID, "bootCurrent": "0003", "hostname": "plinth-3f2a9c"} {
		if ev[k] != want {
			t.Errorf("runtime-ready %s = %v, want %v", k, ev[k], want)
		}
	}
	if svcs, _ := ev["services"].([]any); len(svcs) != 1 || svcs[0].(map[string]any)["state"] != "running" {
		t.Errorf("services = %v", ev["services"])
	}
	if got := strings.Join(*m.mounts, ","); got != "vda1 vfat,vda2 ext4" {
		t.Errorf("mounts = %s", got)
	}
	if *m.host != "plinth-3f2a9c" {
		t.Errorf("hostname = %q", *m.host)
	}
	for _, d := range []string{"wal", "snapshots", "metadata", "log"} {
		if _, err := os.Stat(filepath.Join(m.a.paths.Data, d)); err != nil {
			t.Errorf("data dir: %v", err)
		}
	}
	if id, _ := os.ReadFile(filepath.Join(m.a.paths.Etc, "machine-id")); string(id) != "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b\n" {
		t.Errorf("machine-id = %q", id)
	}
	out := m.out.String()
	for _, w := range []string{"[demo] service up, data at " + m.a.paths.Data, "Plinth 1.0.0 ready — " + readyFallback, "chosen by PARTUUID " + espUUID + " from LoaderDevicePartUUID"} {
		if !strings.Contains(out, w) {
			t.Errorf("console lacks %q:\n%s", w, out)
		}
	}
	m.a.supervisor().Stop()
	log, _ := os.ReadFile(filepath.Join(m.a.paths.Data, "log", "demo.log"))
	if !strings.Contains(string(log), "service up") {
		t.Errorf("demo.log = %q", log)
	}
}

func TestBootFailures(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		code  errcode.Code
	}{
		{"config missing", map[string]string{"EFI/BOOT/BOOTX64.EFI": "MZ"}, "config-missing"},
		{"config invalid", map[string]string{appconfig.RelPath: `{"schema": 1}`}, "config-invalid"},
		{"data missing", map[string]string{appconfig.RelPath: configJSON(t, func(c *appconfig.Config) {
			c.Data = appconfig.Data{PartUUID: guid.MustParse("99999999-0000-4000-8000-000000000000"), FSType: "ext4"}
		})}, "data-partition-missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fakeMachine(t, tt.files)
			f := m.a.boot(context.Background(), release{})
			if f == nil || f.code != tt.code {
				t.Fatalf("boot = %+v, want code %s", f, tt.code)
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
