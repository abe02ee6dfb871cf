package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/netinstall"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/testdisk"
	"golang.org/x/sys/unix"
)

const (
	testUUID = "4c4c4544-0042-3610-8058-b4c04f564e32"
	testMAC  = "52-54-00-12-34-56"
)

// fakeNetwork has an address at once, or never.
type fakeNetwork struct{ up bool }

func (n fakeNetwork) WaitAddress(ctx context.Context) bool {
	if n.up {
		return true
	}
	<-ctx.Done()
	return false
}

// lockedBuffer is a bytes.Buffer for writers on several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// events returns the objects of the event lines written so far.
func (l *lockedBuffer) events() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(l.String(), "\n") {
		if obj, ok := event.Parse(line); ok {
			out = append(out, obj)
		}
	}
	return out
}

// named returns the events called name.
func named(evs []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e["event"] == name {
			out = append(out, e)
		}
	}
	return out
}

// netMachine is planSystem's machine (vda a blank disk, vdb one with
// data) with an SMBIOS UUID, one wired interface, optional OEM strings
// and URL templates built into the image, and a fake network.
type netMachine struct {
	t        *testing.T
	r        roots
	sys      partfindtest.System
	up       bool // the network gets an address
	events   lockedBuffer
	out      lockedBuffer
	mu       sync.Mutex
	poweroff []int // reboot(2) cmds asked for
}

func newNetMachine(t *testing.T, extra ...partfindtest.Disk) *netMachine {
	t.Helper()
	r, sys := planSystem(t, extra...)
	m := &netMachine{t: t, r: r, sys: sys, up: true}
	dir := t.TempDir()
	m.r.NetInstall, m.r.NetInstallCA = filepath.Join(dir, "netinstall.json"), filepath.Join(dir, "netinstall-ca.pem")
	m.r.Vars = efivar.NewMemStore()
	writeFakeProc(t, r.Proc)
	writeString(t, filepath.Join(r.Sys, "class/dmi/id/product_uuid"), strings.ToUpper(testUUID)+"\n")
	writeString(t, filepath.Join(r.Sys, "class/net/eth0/type"), "1\n")
	writeString(t, filepath.Join(r.Sys, "class/net/eth0/address"), strings.ReplaceAll(testMAC, "-", ":")+"\n")
	writeString(t, filepath.Join(r.Sys, "class/net/eth0/device/vendor"), "0x1af4\n")
	return m
}

// oem sets the machine's SMBIOS OEM strings (one type 11 structure).
func (m *netMachine) oem(strs ...string) {
	b := []byte{11, 5, 0x00, 0x0b, byte(len(strs))}
	for _, s := range strs {
		b = append(append(b, s...), 0)
	}
	if len(strs) == 0 {
		b = append(b, 0)
	}
	writeString(m.t, filepath.Join(m.r.Sys, "firmware/dmi/entries/11-0/raw"), string(append(b, 0)))
}

// image builds URL templates into the image.
func (m *netMachine) image(c netinstall.Config) {
	b, err := netinstall.Marshal(c)
	if err != nil {
		m.t.Fatal(err)
	}
	writeString(m.t, m.r.NetInstall, string(b))
}

var fastRetry = backoff.Policy{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond}

// app is the installer on the machine, as main sets it up, with short
// waits.
func (m *netMachine) app() *app {
	j := newJournal()
	rep := newReports(j.Logf)
	a := &app{events: event.New(io.MultiWriter(j, rep, &m.events)), journal: j, reports: rep, out: &m.out,
		rel: release{Product: "Plinth", Version: "1.2.3"}, roots: m.r,
		net: netOptions{start: func() network { return fakeNetwork{m.up} }, addressWait: 50 * time.Millisecond,
			backoff: fastRetry, reportRetry: fastRetry, reportWait: 2 * time.Second, bundleWait: 10 * time.Second},
		poweroff: func(cmd int) { m.mu.Lock(); m.poweroff = append(m.poweroff, cmd); m.mu.Unlock() }}
	a.loadPayload()
	a.env = a.installEnv()
	return a
}

// TestAnswerSourceOrder: the answers come from the first source that
// has them: embedded, PLINTHCFG volume, SMBIOS OEM string, the image's
// URL template; none is an interactive install. The report URL comes
// from the OEM strings, else from the image.
func TestAnswerSourceOrder(t *testing.T) {
	const oemT, imageT = "http://192.0.2.1/oem/${uuid}", "http://192.0.2.2/image/${mac}"
	const oemR, imageR = "http://192.0.2.1/report", "http://192.0.2.2/report"
	tests := []struct {
		name                   string
		embedded, volume       string // install.yaml; "": none
		oem                    []string
		image                  netinstall.Config
		wantKind, wantTemplate string // the answers' source; "" interactive
		wantCode               errcode.Code
		wantReport             netSource
	}{
		{name: "nothing: interactive"},
		{name: "image URL", image: netinstall.Config{AnswersURL: imageT}, wantKind: sourceImage, wantTemplate: imageT},
		{name: "OEM string before image", oem: []string{"vendor=x", "plinth.answers-url=" + oemT}, image: netinstall.Config{AnswersURL: imageT},
			wantKind: sourceSMBIOS, wantTemplate: oemT},
		{name: "other OEM strings only", oem: []string{"vendor=x", "plinth.report-url=" + oemR}, wantReport: netSource{sourceSMBIOS, oemR}},
		{name: "volume before URLs", volume: "disk: smallest\n", oem: []string{"plinth.answers-url=" + oemT}, image: netinstall.Config{AnswersURL: imageT},
			wantKind: sourceVolume},
		{name: "embedded before all", embedded: "disk: largest\n", volume: "disk: smallest\n", oem: []string{"plinth.answers-url=" + oemT},
			image: netinstall.Config{AnswersURL: imageT, ReportURL: imageR}, wantKind: sourceEmbedded, wantReport: netSource{sourceImage, imageR}},
		{name: "malformed embedded is not passed over", embedded: "disk: largest\nwipe: perhaps\n", volume: "disk: smallest\n", wantCode: errcode.AnswersInvalid},
		{name: "ambiguous OEM strings stop a network install", oem: []string{"plinth.answers-url=" + oemT, "plinth.answers-url=http://other/"},
			image: netinstall.Config{AnswersURL: imageT, ReportURL: imageR}, wantCode: errcode.AnswersUnavailable, wantReport: netSource{sourceImage, imageR}},
		{name: "ambiguous OEM strings do not matter with local answers", embedded: "disk: largest\n",
			oem: []string{"plinth.answers-url=" + oemT, "plinth.answers-url=http://other/"}, wantKind: sourceEmbedded},
		{name: "OEM report URL before image's", oem: []string{"plinth.report-url=" + oemR}, image: netinstall.Config{ReportURL: imageR},
			wantReport: netSource{sourceSMBIOS, oemR}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := sourcesMachine(t, tt.embedded, tt.volume, tt.oem, tt.image)
			tmpl := readTemplates(m.r, t.Logf)
			loc, err := locate(m.r, tmpl)
			if tmpl.Report != tt.wantReport {
				t.Errorf("report URL %+v, want %+v", tmpl.Report, tt.wantReport)
			}
			if tt.wantCode != "" {
				if err == nil || errorCode(err) != tt.wantCode {
					t.Fatalf("locate = %+v, %v; want an error %s", loc, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			kind, template := loc.src.Kind, ""
			if loc.net.Kind != "" {
				kind, template = loc.net.Kind, loc.net.Template
			}
			if kind != tt.wantKind || template != tt.wantTemplate || (loc.ans != nil) != (tt.embedded != "" || tt.volume != "") {
				t.Errorf("source %q %q (answers %v), want %q %q", kind, template, loc.ans != nil, tt.wantKind, tt.wantTemplate)
			}
		})
	}
}

// sourcesMachine is a machine with the given sources of answers: an
// embedded and a PLINTHCFG install.yaml ("": none), OEM strings, and URL
// templates built into the image.
func sourcesMachine(t *testing.T, embedded, volume string, oem []string, image netinstall.Config) *netMachine {
	t.Helper()
	var extra []partfindtest.Disk
	if volume != "" {
		extra = append(extra, partfindtest.Disk{Name: "sdc", SizeMiB: 64})
	}
	m := newNetMachine(t, extra...)
	if volume != "" {
		img := m.sys.Device("sdc")
		testdisk.Run(t, testdisk.Tool(t, "mkfs.fat"), "-n", "PLINTHCFG", img)
		testdisk.Run(t, testdisk.Tool(t, "mcopy"), "-i", img, writeAnswers(t, volume), "::install.yaml")
	}
	if embedded != "" {
		writeString(t, m.r.Answers, embedded)
	}
	if oem != nil {
		m.oem(oem...)
	}
	if !image.IsZero() {
		m.image(image)
	}
	return m
}

// answersServer serves install.yaml at /a/<uuid>.yaml after misses
// requests for it answered 404, and records report posts at /r.
type answersServer struct {
	*httptest.Server
	mu      sync.Mutex
	misses  int
	status  int    // answers' status after the misses; 0: 200
	answers string // the file
	posts   []reportPost
}

type reportPost struct {
	contentType, machine string
	body                 []byte
}

func newAnswersServer(t *testing.T, misses int, answers string) *answersServer {
	s := &answersServer{misses: misses, answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *answersServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.URL.Path == "/r" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		s.posts = append(s.posts, reportPost{r.Header.Get("Content-Type"), r.Header.Get("X-Plinth-Machine"), body})
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path != "/a/"+testUUID+".yaml":
		http.NotFound(w, r)
	case s.misses > 0:
		s.misses--
		http.NotFound(w, r)
	case s.status != 0:
		w.WriteHeader(s.status)
	default:
		io.WriteString(w, s.answers)
	}
}

func (s *answersServer) reports() []reportPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reportPost(nil), s.posts...)
}

// TestNetworkAnswersInstall: the OEM string's URL has no answers for
// this machine twice; the installer says so, naming the machine and the
// URL, and waits; then it installs with the answers the server has,
// names the URL as their source, reports every event from the first,
// and powers off as they say.
func TestNetworkAnswersInstall(t *testing.T) {
	m := newNetMachine(t)
	writePayload(t, m.r)
	srv := newAnswersServer(t, 2, "disk: smallest\nafter: poweroff\n")
	url := srv.URL + "/a/" + testUUID + ".yaml"
	m.oem("plinth.answers-url="+srv.URL+"/a/${uuid}.yaml", "plinth.report-url="+srv.URL+"/r")
	a := m.app()
	a.startUnattended(context.Background())

	evs := m.events.events()
	waits := named(evs, "answers-waiting")
	if len(waits) != 3 || waits[0]["attempt"] != 0.0 || !strings.Contains(waits[0]["message"].(string), "waiting for a network address (DHCP on eth0)") {
		t.Fatalf("answers-waiting events %v, want the address wait and two misses", waits)
	}
	for i, w := range waits[1:] {
		msg, _ := w["message"].(string)
		want := "no answers for this machine (uuid " + testUUID + ", mac " + testMAC + ") at " + url + "; retrying in "
		if w["attempt"] != float64(i+1) || w["source"] != sourceSMBIOS || !strings.HasPrefix(msg, want) {
			t.Errorf("answers-waiting %v, want attempt %d saying %q", w, i+1, want)
		}
		if !strings.Contains(m.out.String(), "Waiting for the answers: "+msg) {
			t.Errorf("the screen does not say %q:\n%s", msg, m.out.String())
		}
	}
	if found := named(evs, "answers-found"); len(found) != 1 || found[0]["source"] != sourceSMBIOS || found[0]["url"] != url {
		t.Errorf("answers-found events %v, want one from %s", found, url)
	}
	if inst := named(evs, "installed"); len(inst) != 1 || inst[0]["disk"] != "vda" {
		t.Fatalf("installed events %v; events:\n%s", inst, m.events.String())
	}
	if m.poweroff == nil || m.poweroff[0] != unix.LINUX_REBOOT_CMD_POWER_OFF {
		t.Errorf("reboot(2) asked for %v, want a power-off", m.poweroff)
	}
	if !strings.Contains(string(a.journal.Bytes()), "Unattended installation ("+url+" (URL template from the SMBIOS OEM strings))") {
		t.Errorf("the journal does not name the answers' URL:\n%s", a.journal.Bytes())
	}
	checkReported(t, srv.reports(), evs)
}

// checkReported: the report server got every event, in order, as
// ndjson from this machine.
func checkReported(t *testing.T, posts []reportPost, evs []map[string]any) {
	t.Helper()
	var got []string
	for _, p := range posts {
		if p.contentType != "application/x-ndjson" || p.machine != testUUID {
			t.Errorf("post of %s from %q, want application/x-ndjson from %s", p.contentType, p.machine, testUUID)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(p.body), "\n"), "\n") {
			var obj map[string]any
			if err := json.Unmarshal([]byte(l), &obj); err != nil {
				t.Fatalf("line %q of a report: %v", l, err)
			}
			got = append(got, obj["event"].(string))
		}
	}
	var want []string
	for _, e := range evs {
		want = append(want, e["event"].(string))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("reported events:\n%v\nwant the console's:\n%v", got, want)
	}
}

// TestNetworkAnswersRefused: malformed answers from the server, and a
// server that refuses, are an error event; no disk is touched and the
// interactive installer starts on its failure screen. With a report
// URL the server gets the error and then the log bundle.
func TestNetworkAnswersRefused(t *testing.T) {
	tests := []struct {
		name      string
		answers   string
		status    int
		wantCode  errcode.Code
		wantLine  float64
		wantField string
	}{
		{"malformed", "disk: smallest\nwipe: perhaps\n", 0, errcode.AnswersInvalid, 2, "wipe"},
		{"unknown key", "disk: smallest\nhostnme: db-01\n", 0, errcode.AnswersInvalid, 2, "hostnme"},
		{"forbidden", "", http.StatusForbidden, errcode.AnswersUnavailable, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newNetMachine(t)
			writePayload(t, m.r)
			before := map[string]string{"vda": fingerprint(t, m.sys.Device("vda")), "vdb": fingerprint(t, m.sys.Device("vdb"))}
			srv := newAnswersServer(t, 0, tt.answers)
			srv.status = tt.status
			m.image(netinstall.Config{AnswersURL: srv.URL + "/a/${uuid}.yaml", ReportURL: srv.URL + "/r"})
			a := m.app()
			a.startUnattended(context.Background())

			evs := m.events.events()
			errs := named(evs, "error")
			if len(errs) != 1 || errs[0]["code"] != string(tt.wantCode) || !strings.Contains(errs[0]["message"].(string), srv.URL+"/a/"+testUUID+".yaml") {
				t.Fatalf("error events %v, want one %s naming the URL", errs, tt.wantCode)
			}
			if tt.wantField != "" && (errs[0]["line"] != tt.wantLine || errs[0]["field"] != tt.wantField) {
				t.Errorf("error at line %v field %v, want %v %q", errs[0]["line"], errs[0]["field"], tt.wantLine, tt.wantField)
			}
			for _, name := range []string{"answers-found", "plan", "progress", "installed"} {
				if n := named(evs, name); len(n) > 0 {
					t.Errorf("%s events %v: the disk step was reached", name, n)
				}
			}
			if a.startFailure == nil || a.startFailure.Code != tt.wantCode || len(m.poweroff) > 0 {
				t.Errorf("failure %+v, reboot(2) %v; want the failure screen", a.startFailure, m.poweroff)
			}
			for d, fp := range before {
				if got := fingerprint(t, m.sys.Device(d)); got != fp {
					t.Errorf("%s was written to", d)
				}
			}
			checkBundle(t, srv)
		})
	}
}

// checkBundle waits for the log bundle, which comes after the events.
func checkBundle(t *testing.T, srv *answersServer) {
	t.Helper()
	var posts []reportPost
	testdisk.Eventually(t, "the log bundle", 10*time.Second, func() bool {
		posts = srv.reports()
		return len(posts) > 0 && posts[len(posts)-1].contentType == "application/gzip"
	})
	last := posts[len(posts)-1]
	if len(last.body) < 2 || last.body[0] != 0x1f || last.body[1] != 0x8b {
		t.Errorf("the bundle is not gzip: % x", last.body[:min(len(last.body), 8)])
	}
	events := ""
	for _, p := range posts[:len(posts)-1] {
		events += string(p.body)
	}
	if !strings.Contains(events, `"event":"error"`) {
		t.Errorf("the error event was not reported before the bundle:\n%s", events)
	}
}

// TestReportsKeepEarlyEvents: events emitted before the reporter is
// attached are sent first, in order; none are kept when there is no
// report URL; a network that never comes drops them with a note.
func TestReportsKeepEarlyEvents(t *testing.T) {
	srv := newAnswersServer(t, 0, "")
	m := newNetMachine(t)
	m.image(netinstall.Config{ReportURL: srv.URL + "/r"})
	a := m.app()
	for i := range 3 {
		a.events.Emit(event.LogsExported{Path: string(rune('a' + i))})
	}
	a.startReports(readTemplates(m.r, t.Logf).Report)
	testdisk.Eventually(t, "the reporter", 5*time.Second, func() bool { return attached(a.reports) })
	a.events.Emit(event.LogsExported{Path: "d"})
	a.finishReports()
	var paths []string
	for _, p := range srv.reports() {
		for _, l := range strings.Split(strings.TrimSpace(string(p.body)), "\n") {
			var e event.LogsExported
			json.Unmarshal([]byte(l), &e)
			paths = append(paths, e.Path)
		}
	}
	if strings.Join(paths, "") != "abcd" {
		t.Errorf("reported %q, want abcd", paths)
	}

	none := newNetMachine(t).app()
	none.startReports(netSource{})
	none.events.Emit(event.LogsExported{Path: "x"})
	if none.reports.wanted() || len(none.reports.backlog) != 0 {
		t.Error("without a report URL the events are kept")
	}

	down := newNetMachine(t)
	down.up = false
	d := down.app()
	d.startReports(netSource{sourceImage, srv.URL + "/r"})
	d.events.Emit(event.LogsExported{Path: "y"})
	d.finishReports()
	if !strings.Contains(string(d.journal.Bytes()), "reports: the network never had an address; 1 events not sent") {
		t.Errorf("the journal does not note the events not sent:\n%s", d.journal.Bytes())
	}
}

// TestUnreachableReportServer: a report server that refuses
// connections or never answers neither slows the events nor holds up
// the reboot beyond reportWait; what was not delivered is in the log.
func TestUnreachableReportServer(t *testing.T) {
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	t.Cleanup(func() { close(hang); hanging.Close() })
	refusing := httptest.NewServer(http.NotFoundHandler())
	refusingURL := refusing.URL
	refusing.Close() // nothing listens there now
	for _, tc := range []struct{ name, url string }{{"refused", refusingURL + "/r"}, {"no answer", hanging.URL + "/r"}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newNetMachine(t)
			a := m.app()
			a.net.reportWait = 300 * time.Millisecond
			a.startReports(netSource{sourceImage, tc.url})
			testdisk.Eventually(t, "the reporter", 5*time.Second, func() bool { return attached(a.reports) })
			start := time.Now()
			for range 2000 { // more than the reporter keeps
				a.events.Emit(event.Progress{Step: step.FormatESP, Percent: 50})
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("emitting took %v", d)
			}
			start = time.Now()
			a.shutdown(unix.LINUX_REBOOT_CMD_RESTART)
			if d := time.Since(start); d > a.net.reportWait+time.Second {
				t.Errorf("the reboot waited %v for the reports, more than %v", d, a.net.reportWait)
			}
			if len(m.poweroff) != 1 {
				t.Errorf("reboot(2) asked for %v, want one reboot", m.poweroff)
			}
			if log := string(a.journal.Bytes()); !strings.Contains(log, "report: gave up on") || !strings.Contains(log, "events not delivered to "+tc.url) {
				t.Errorf("the journal does not note the events given up:\n%s", log)
			}
		})
	}
}

// TestAnswersURLErrors: what a network source cannot mend stops the
// unattended install before any disk is looked at.
func TestAnswersURLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, template string
		want           string
	}{
		{"no serial", "http://127.0.0.1:9/a/${serial}", "gives this machine no serial number"},
		{"unknown variable", "http://127.0.0.1:9/a/${host}", "unknown variable ${host}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newNetMachine(t)
			m.oem("plinth.answers-url=" + tc.template)
			a := m.app()
			_, _, err := a.fetchAnswers(context.Background(), readTemplates(m.r, t.Logf).Answers)
			var ie *install.Error
			if !errors.As(err, &ie) || ie.Code != errcode.AnswersUnavailable || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("fetchAnswers = %v, want %s saying %q", err, errcode.AnswersUnavailable, tc.want)
			}
		})
	}
}

// attached reports whether r has its Reporter.
func attached(r *reports) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rep != nil
}
