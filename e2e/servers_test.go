//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// nginx is a Debian nginx serving root on 127.0.0.1:port, as a
// provisioning server would: static files, range requests, an access
// log that says how many bytes each request sent.
type nginx struct {
	root, accessLog string
	port            int
}

// startNginx writes a configuration under dir and runs nginx in the
// foreground until the test ends.
func startNginx(t *testing.T, dir string) *nginx {
	t.Helper()
	bin := testdisk.Tool(t, "nginx")
	n := &nginx{root: filepath.Join(dir, "www"), accessLog: filepath.Join(dir, "nginx-access.log"), port: freePort(t)}
	for _, d := range []string{n.root, filepath.Join(dir, "nginx-tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
user root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log;
events {}
http {
  types { application/efi efi; application/yaml yaml; }
  default_type application/octet-stream;
  log_format bytes '$remote_addr "$request" $status $body_bytes_sent';
  access_log %[2]s bytes;
  client_body_temp_path %[1]s/nginx-tmp/body;
  proxy_temp_path %[1]s/nginx-tmp/proxy;
  fastcgi_temp_path %[1]s/nginx-tmp/fastcgi;
  uwsgi_temp_path %[1]s/nginx-tmp/uwsgi;
  scgi_temp_path %[1]s/nginx-tmp/scgi;
  server {
    listen 127.0.0.1:%[3]d;
    root %[4]s;
  }
}
`, dir, n.accessLog, n.port, n.root)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path, "-p", dir)
	out, _ := os.Create(filepath.Join(dir, "nginx.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); out.Close() })
	n.waitUp(t)
	return n
}

// waitUp waits until nginx accepts connections.
func (n *nginx) waitUp(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port)); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nginx does not listen on %d:\n%s", n.port, must(os.ReadFile(filepath.Join(filepath.Dir(n.accessLog), "nginx.out"))))
}

// put writes a file nginx serves (atomically: a machine polling for it
// never reads half of it).
func (n *nginx) put(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(n.root, filepath.FromSlash(name))
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// sent sums the body bytes nginx sent for requests whose line contains
// path, and counts them.
func (n *nginx) sent(t *testing.T, path string) (bytes int64, requests int) {
	t.Helper()
	data, _ := os.ReadFile(n.accessLog)
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || !strings.Contains(l, path) {
			continue
		}
		b, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		bytes += b
		requests++
	}
	return bytes, requests
}

// reportSink is the provisioning server's report endpoint: it keeps the
// events POSTed to each path, and the log bundles.
type reportSink struct {
	mu      sync.Mutex
	events  map[string][]map[string]any
	bundles map[string][]byte
	port    int
}

func startReportSink(t *testing.T) *reportSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &reportSink{events: map[string][]map[string]any{}, bundles: map[string][]byte{}, port: l.Addr().(*net.TCPAddr).Port}
	srv := &http.Server{Handler: s}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *reportSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "POST a body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-ndjson") {
		s.bundles[r.URL.Path] = body
		w.WriteHeader(http.StatusNoContent)
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(bytes.TrimPrefix(sc.Bytes(), []byte("@plinth ")), &ev) == nil {
			s.events[r.URL.Path] = append(s.events[r.URL.Path], ev)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// named returns the events called name ("": all) reported to path.
func (s *reportSink) named(path, name string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, ev := range s.events[path] {
		if name == "" || ev["event"] == name {
			out = append(out, ev)
		}
	}
	return out
}

// bundle returns the log bundle reported to path, nil when none was.
func (s *reportSink) bundle(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bundles[path]
}
