package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"golang.org/x/sys/unix"
)

// server holds what the handlers need; every outside dependency is a
// field so that tests can replace it.
type server struct {
	product, version string
	dataDir          string
	vars             efivar.Store
	started          time.Time
	hostname         func() (string, error)
	uptime           func() float64
	crash            func()                  // called once the /crash reply is sent
	power            func(unix.Signal) error // nil: power hooks disabled
	log              io.Writer
}

// Status is the /status reply.
type Status struct {
	Product      string   `json:"product"`
	Version      string   `json:"version"`
	Hostname     string   `json:"hostname"`
	Uptime       float64  `json:"uptime"`       // this service, seconds: a restart resets it
	SystemUptime float64  `json:"systemUptime"` // the machine, seconds
	PID          int      `json:"pid"`
	Data         DataInfo `json:"data"`
	BootCurrent  string   `json:"bootCurrent"` // "0003", or "" without UEFI
}

// DataInfo is the data partition's usage.
type DataInfo struct {
	Path           string `json:"path"`
	TotalBytes     uint64 `json:"totalBytes"`
	FreeBytes      uint64 `json:"freeBytes"`
	AvailableBytes uint64 `json:"availableBytes"` // free to unprivileged users
	Error          string `json:"error,omitempty"`
}

// CrashReply is the /crash reply, sent before the service exits.
type CrashReply struct {
	Crashing   bool `json:"crashing"`
	ExitStatus int  `json:"exitStatus"` // what the service exits with
}

// PowerReply is the /reboot and /poweroff reply.
type PowerReply struct {
	Requested string `json:"requested"` // "reboot" or "power off"
}

// routes uses plain path patterns and checks methods itself: the
// gobusybox build runs with pre-Go 1.22 GODEBUG defaults
// (httpmuxgo121=1), under which "GET /status" would be a literal path.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/status", only(http.MethodGet, s.status))
	mux.HandleFunc("/crash", only(http.MethodPost, s.crashHandler))
	mux.HandleFunc("/reboot", only(http.MethodPost, s.powerHandler(unix.SIGHUP, "reboot")))
	mux.HandleFunc("/poweroff", only(http.MethodPost, s.powerHandler(unix.SIGTERM, "power off")))
	return s.logRequests(mux)
}

// only answers 405 to methods other than method (GET also allows HEAD).
func only(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h(w, r)
	}
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	host, _ := s.hostname()
	st := Status{
		Product:      s.product,
		Version:      s.version,
		Hostname:     host,
		Uptime:       time.Since(s.started).Seconds(),
		SystemUptime: s.uptime(),
		PID:          os.Getpid(),
		Data:         dataInfo(s.dataDir),
		BootCurrent:  bootCurrent(s.vars),
	}
	writeJSON(w, http.StatusOK, st)
}

func dataInfo(path string) DataInfo {
	d := DataInfo{Path: path}
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		d.Error = err.Error()
		return d
	}
	bs := uint64(st.Bsize)
	d.TotalBytes, d.FreeBytes, d.AvailableBytes = st.Blocks*bs, st.Bfree*bs, st.Bavail*bs
	return d
}

// bootCurrent formats BootCurrent as Boot#### names it; "" when absent.
func bootCurrent(vars efivar.Store) string {
	if vars == nil {
		return ""
	}
	n, err := efivar.ReadBootCurrent(vars)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%04X", n)
}

func (s *server) crashHandler(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusAccepted, CrashReply{Crashing: true, ExitStatus: crashStatus})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	s.crash()
}

func (s *server) powerHandler(sig unix.Signal, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.power == nil {
			http.Error(w, "power hooks are disabled (start plinth-demo with -power-api)", http.StatusNotFound)
			return
		}
		if err := s.power(sig); err != nil {
			http.Error(w, fmt.Sprintf("cannot ask the supervisor to %s: %v", what, err), http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusAccepted, PowerReply{Requested: what})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// logRequests writes one line per request: client, method, path, status
// and duration.
func (s *server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		fmt.Fprintf(s.log, "%s %s %s %d %s\n", r.RemoteAddr, r.Method, r.URL.Path, rec.code, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush passes flushes through, which /crash relies on.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
