//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
)

// productBuild is what mkiso wrote for a product.
type productBuild struct {
	ISO, Disk, Dir string
}

// buildProduct runs mkiso the way a vendor does: `go run
// github.com/plinth-os/plinth/cmds/mkiso -config plinth.yaml` in the
// product's own module, writing into out (an artifacts directory).
func buildProduct(t *testing.T, moduleDir, out string, extra ...string) productBuild {
	t.Helper()
	b := productBuild{ISO: filepath.Join(out, "installer.iso"), Disk: filepath.Join(out, "disk.img"), Dir: out}
	args := append([]string{"run", "github.com/plinth-os/plinth/cmds/mkiso", "-config", "plinth.yaml",
		"-o", b.ISO, "-disk", b.Disk, "-disk-size", "2G"}, extra...)
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	start := time.Now()
	outText, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mkiso in %s: %v\n%s", moduleDir, err, outText)
	}
	os.WriteFile(filepath.Join(out, "mkiso.log"), outText, 0o644)
	recordTiming(t, "product-build/"+filepath.Base(moduleDir), time.Since(start).Seconds())
	return b
}

// repoRoot is the Plinth checkout the tests run in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// probeProduct is a product of its own module (outside the checkout)
// whose services try to write everywhere: one as an ordinary user, one
// that keeps CAP_NET_BIND_SERVICE to serve on port 80.
func probeProduct(t *testing.T, dir string) string {
	t.Helper()
	mod := filepath.Join(dir, "probe-product")
	files := map[string]string{
		"go.mod": fmt.Sprintf("module example.com/probe\n\ngo 1.26\n\nrequire github.com/plinth-os/plinth v0.0.0\n\nreplace github.com/plinth-os/plinth => %s\n", repoRoot(t)),
		"plinth.yaml": `product: {name: Probe Product, version: "1.0"}
settings:
  - {name: other-dir, type: string, default: /data/binder, description: another service's directory}
services:
  - name: prober
    go: github.com/plinth-os/plinth/e2e/cmds/writeprobe
    args: [-listen, ":8088", -other, "${other-dir}"]
    health: {http: {port: 8088, path: /health}, interval: 2s, start-period: 90s}
  - name: binder
    go: github.com/plinth-os/plinth/e2e/cmds/writeprobe
    args: [-listen, ":80", -other, /data/prober]
    capabilities: [CAP_NET_BIND_SERVICE]
    after: [prober]
    health: {http: {port: 80, path: /health}, interval: 2s, start-period: 90s}
`,
	}
	for name, content := range files {
		p := filepath.Join(mod, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mod
}

// TestProductServicesConfined builds a product from its own module and
// boots its disk image: runtime-ready says every service is healthy
// (the one on port 80 only with its capability), and a service that is
// not root can write its own directory and /tmp and nothing else.
func TestProductServicesConfined(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	b := buildProduct(t, probeProduct(t, dir), filepath.Join(dir, "out"))
	m, err := startMachine(t, qemu.Config{Dir: dir, QMP: true, HostForwards: map[int]int{freePort(t): 80},
		Drives: []qemu.Drive{{Kind: qemu.Virtio, File: b.Disk, Serial: "PROBE"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	ev := waitEvent(t, m, "runtime-ready", *bootLimit)
	recordTiming(t, "probe-product/boot-to-runtime-ready", ev["_elapsed"].(float64))
	checkAllHealthy(t, ev, "prober", "binder")
	log := string(must(os.ReadFile(m.LogPath)))
	for _, svc := range []struct{ name, own, other string }{{"prober", "/data/prober", "/data/binder"}, {"binder", "/data/binder", "/data/prober"}} {
		want := map[string]bool{svc.own: true, "/tmp": true, "/": false, "/etc": false, "/bbin": false, "/data": false, "/data/log": false, svc.other: false}
		for path, ok := range want {
			line := probeLine(log, svc.name, path)
			switch {
			case line == "":
				t.Errorf("%s: no writeprobe line for %s", svc.name, path)
			case ok && !strings.HasSuffix(line, " ok"):
				t.Errorf("%s cannot write its own %s: %s", svc.name, path, line)
			case !ok && !strings.Contains(line, "denied"):
				t.Errorf("%s could write %s: %s", svc.name, path, line)
			}
		}
	}
	powerOff(t, m)
	fsckData(t, b.Disk)
}

// probeLine finds writeprobe's line about path in service's output on
// the console ("[name] writeprobe <path> ok|denied: ...").
func probeLine(log, service, path string) string {
	prefix := "[" + service + "] writeprobe " + path + " "
	for _, l := range strings.Split(log, "\n") {
		if i := strings.Index(l, prefix); i >= 0 {
			return strings.TrimSpace(l[i:])
		}
	}
	return ""
}

// checkAllHealthy checks runtime-ready's services: each named one is
// there and healthy.
func checkAllHealthy(t *testing.T, ev map[string]any, names ...string) {
	t.Helper()
	health := map[string]string{}
	list, _ := ev["services"].([]any)
	for _, s := range list {
		if sm, ok := s.(map[string]any); ok {
			h, _ := sm["health"].(string)
			health[fmt.Sprint(sm["name"])] = h
		}
	}
	for _, n := range names {
		if health[n] != "healthy" {
			t.Errorf("runtime-ready: service %s health %q, want healthy (services %v)", n, health[n], ev["services"])
		}
	}
}

// powerOff presses the ACPI power button and waits for QEMU to exit.
func powerOff(t testing.TB, m *qemu.Machine) {
	t.Helper()
	if err := m.QMP("system_powerdown"); err != nil {
		t.Fatal(err)
	}
	waitExit(t, m, 90*time.Second)
}

// TestMinimalExample builds examples/minimal as its README says and
// boots its disk: the service answers through a host forward with the
// setting's default, the file from the repository, and a visit count in
// its directory on the data partition that survives a reboot.
func TestMinimalExample(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	b := buildProduct(t, filepath.Join(repoRoot(t), "examples", "minimal"), filepath.Join(dir, "out"))
	for boot, want := range []string{"visit 1", "visit 2"} {
		port, mdir := freePort(t), filepath.Join(dir, fmt.Sprint("boot", boot))
		os.MkdirAll(mdir, 0o755)
		m, err := startMachine(t, qemu.Config{Dir: mdir, QMP: true, HostForwards: map[int]int{port: 8080},
			Drives: []qemu.Drive{{Kind: qemu.NVMe, File: b.Disk, Serial: "HELLO"}}})
		if err != nil {
			t.Fatal(err)
		}
		ev := waitEvent(t, m, "runtime-ready", *bootLimit)
		checkAllHealthy(t, ev, "hello")
		body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port), time.Minute)
		for _, w := range []string{"Hello from Hello Appliance", want, "Served by an appliance built with Plinth."} {
			if !strings.Contains(body, w) {
				t.Errorf("boot %d: GET / = %q, want %q in it", boot+1, body, w)
			}
		}
		powerOff(t, m)
	}
}

// httpGet fetches url, retrying until deadline, and returns the body of
// the first 200 answer.
func httpGet(t *testing.T, url string, deadline time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	var last error
	for ctx.Err() == nil {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		last = err
		time.Sleep(time.Second)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// etcdCheck builds examples/etcd's client program (etcd's own Go client)
// and returns a function that runs one of its commands against port.
func etcdCheck(t *testing.T, dir string) func(port int, args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(dir, "etcd-check")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/etcd-check")
	cmd.Dir = filepath.Join(repoRoot(t), "examples", "etcd")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build etcd-check: %v\n%s", err, out)
	}
	return func(port int, args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"-endpoint", fmt.Sprintf("127.0.0.1:%d", port)}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
}

// bootEtcd boots the installed disk with the client port forwarded and
// waits until every service is healthy.
func bootEtcd(t *testing.T, dir, name, vars, disk string) (*qemu.Machine, int) {
	t.Helper()
	port := freePort(t)
	mdir := filepath.Join(dir, name)
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(t, qemu.Config{Dir: mdir, Vars: vars, QMP: true, HostForwards: map[int]int{port: 2379},
		Drives: []qemu.Drive{{Kind: qemu.NVMe, File: disk, Serial: "ETCDNVME01"}}})
	if err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, m, "runtime-ready", *bootLimit)
	recordTiming(t, "etcd/"+name+"/power-on-to-healthy", ev["_elapsed"].(float64))
	checkAllHealthy(t, ev, "etcd")
	return m, port
}

// TestEtcdExample is etcd as a real payload: examples/etcd installs
// unattended onto an NVMe disk with its member name set per machine;
// etcd's own client writes 1,000 keys through a host forward, they are
// all there after an ACPI power-off; then QEMU is killed while a client
// writes, and every write etcd acknowledged is there after the next boot.
func TestEtcdExample(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	answers := filepath.Join(dir, "install.yaml")
	os.WriteFile(answers, []byte("disk: largest\nwipe: true\nafter: poweroff\nsettings:\n  member-name: node-a\n"), 0o644)
	b := buildProduct(t, filepath.Join(repoRoot(t), "examples", "etcd"), filepath.Join(dir, "out"), "-answers", answers)
	check := etcdCheck(t, dir)
	target := sparseFile(t, filepath.Join(dir, "nvme.img"), 8<<30)
	os.MkdirAll(filepath.Join(dir, "install"), 0o755)
	inst, err := startMachine(t, qemu.Config{Dir: filepath.Join(dir, "install"), NoReboot: true, Drives: []qemu.Drive{
		{Kind: qemu.CD, File: b.ISO, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.NVMe, File: target, Serial: "ETCDNVME01"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitEventUnlessError(t, inst, "installed", 10*time.Minute)
	waitExit(t, inst, 2*time.Minute)
	vars := inst.Vars

	m, port := bootEtcd(t, dir, "boot1", vars, target)
	if out, err := check(port, "members"); err != nil || !strings.Contains(out, `"node-a"`) {
		t.Errorf("member list: %s, %v; want the member named by the setting, node-a", out, err)
	}
	out, err := check(port, "-n", "1000", "put")
	if err != nil {
		t.Fatalf("put 1000 keys: %v\n%s", err, out)
	}
	t.Logf("put through the forward: %s", out)
	powerOff(t, m)

	m, port = bootEtcd(t, dir, "boot2", vars, target)
	if out, err := check(port, "-n", "1000", "get"); err != nil {
		t.Fatalf("after power-off: %v\n%s", err, out)
	}
	acked := filepath.Join(dir, "acked.txt")
	crashWhileWriting(t, m, acked, check, port)

	m, port = bootEtcd(t, dir, "boot3", vars, target)
	if out, err := check(port, "-acked", acked, "verify"); err != nil {
		t.Fatalf("after the crash: %v\n%s", err, out)
	} else {
		t.Logf("after the crash: %s", out)
	}
	if out, err := check(port, "-n", "1000", "get"); err != nil {
		t.Errorf("the first 1,000 keys after the crash: %v\n%s", err, out)
	}
	powerOff(t, m)
	fsckData(t, target)
}

// crashWhileWriting streams writes, kills QEMU (no ACPI, no sync) once
// some hundred are acknowledged, and waits for the writer to give up.
func crashWhileWriting(t *testing.T, m *qemu.Machine, acked string, check func(int, ...string) (string, error), port int) {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		out, err := check(port, "-acked", acked, "stream")
		done <- fmt.Sprintf("%s (%v)", out, err)
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(acked); strings.Count(string(b), "\n") >= 200 {
			break
		}
		select {
		case out := <-done:
			t.Fatalf("the writer stopped before the kill: %s", out)
		case <-time.After(200 * time.Millisecond):
		}
	}
	m.Stop() // SIGKILL: the guest gets no chance to flush or unmount
	select {
	case out := <-done:
		t.Logf("writer after the kill: %s", out)
	case <-time.After(time.Minute):
		t.Fatal("the writer did not stop within a minute of the kill")
	}
}

// waitEventUnlessError waits for the named event and fails at once,
// with the error's code and message, if an error event comes first.
func waitEventUnlessError(t *testing.T, m *qemu.Machine, name string, timeout time.Duration) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	failed := make(chan map[string]any, 1)
	go func() {
		if ev, _, err := m.WaitEvent(ctx, "error", 0); err == nil {
			failed <- ev
			cancel()
		}
	}()
	ev, _, err := m.WaitEvent(ctx, name, 0)
	if err != nil {
		select {
		case e := <-failed:
			t.Fatalf("error event %v: %v before %q\nserial log %s", e["code"], e["message"], name, m.LogPath)
		default:
		}
		t.Fatalf("%v\nserial log %s, last lines:\n%s", err, m.LogPath, m.Tail(40))
	}
	return ev
}
