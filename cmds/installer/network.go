package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/answersvol"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/netanswers"
	"github.com/plinth-os/plinth/internal/netinstall"
	"github.com/plinth-os/plinth/internal/netup"
	"github.com/plinth-os/plinth/internal/updatechannel"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
)

// Sources of answers, as the answers-found event names them, in the
// order the installer looks at them.
const (
	sourceEmbedded = "embedded" // install.yaml built into the image
	sourceVolume   = "volume"   // install.yaml on a PLINTHCFG volume
	sourceSMBIOS   = "smbios"   // fetched by the OEM string plinth.answers-url
	sourceImage    = "image"    // fetched by the URL template built into the image
)

// netOptions are how the installer uses the network; tests fake the
// network and shorten the waits.
type netOptions struct {
	start       func() network // brings the network up; nil: DHCP on every wired interface (netup)
	addressWait time.Duration  // how long the answers wait for an address before they are asked for anyway
	backoff     backoff.Policy // between rounds of answer requests; zero: netanswers' 1 s doubling to 1 min
	reportRetry backoff.Policy // between report retries; zero: report's
	reportWait  time.Duration  // how long the reports may still take before a reboot or power-off
	bundleWait  time.Duration  // how long sending the log bundle may take
}

func defaultNetOptions() netOptions {
	return netOptions{addressWait: 30 * time.Second, reportWait: 10 * time.Second, bundleWait: 5 * time.Minute}
}

// network is the installer's network once brought up: netup.Manager.
type network interface {
	// WaitAddress waits until an interface has an address or ctx ends,
	// and reports which happened.
	WaitAddress(ctx context.Context) bool
}

// network brings up every wired interface with DHCP, the first time
// the answers or the reports need it, and keeps it up.
func (a *app) network() network {
	a.netOnce.Do(func() {
		if a.net.start != nil {
			a.netw = a.net.start()
			return
		}
		m := netup.New(netup.Options{SysRoot: a.roots.Sys, Network: appconfig.Network{Mode: appconfig.ModeDHCP},
			Out: logWriter{a.journal}, Events: a.events})
		go m.Run(context.Background())
		a.netw = m
	})
	return a.netw
}

// logWriter puts netup's console lines into the journal: the screen
// belongs to the installer's own messages.
type logWriter struct{ j *journal }

func (w logWriter) Write(p []byte) (int, error) {
	w.j.Logf("%s", strings.TrimRight(string(p), "\r\n"))
	return len(p), nil
}

// netSource is a URL template the answers or the reports go by.
type netSource struct {
	Kind     string // sourceSMBIOS or sourceImage; "": none
	Template string
}

// origin says for people where the template came from.
func (s netSource) origin() string {
	if s.Kind == sourceSMBIOS {
		return "from the SMBIOS OEM strings"
	}
	return "built into the image"
}

// templates are the URL templates of the answers and of the reports,
// each from the SMBIOS OEM strings if they give one, else from the
// image.
type templates struct {
	Answers, Report netSource
	// Err is why the answers' template cannot be known: plinth's OEM
	// strings are ambiguous, or the image's file is damaged. Without
	// local answers the install stops with it rather than go by a
	// template that may be the wrong one.
	Err error
}

// readTemplates reads the OEM strings and the image's URL templates.
// OEM strings the kernel shows but that cannot be parsed are the
// vendor's problem, not ours: they are logged and ignored.
func readTemplates(r roots, logf func(string, ...any)) templates {
	var t templates
	cfg, err := netinstall.Load(r.NetInstall)
	if err != nil {
		t.Err = &install.Error{Code: errcode.PayloadCorrupt, Err: fmt.Errorf("installer image: %w", err)}
	}
	strs, err := netanswers.ReadOEMStrings(r.Sys)
	if err != nil {
		logf("smbios: %v; the OEM strings are not used", err)
	}
	oem, err := netanswers.ParseOEM(strs)
	if err != nil && t.Err == nil {
		t.Err = &install.Error{Code: errcode.AnswersUnavailable, Err: err}
	}
	t.Answers = pickSource(oem.AnswersURL, cfg.AnswersURL)
	t.Report = pickSource(oem.ReportURL, cfg.ReportURL)
	return t
}

func pickSource(oem, image string) netSource {
	switch {
	case oem != "":
		return netSource{Kind: sourceSMBIOS, Template: oem}
	case image != "":
		return netSource{Kind: sourceImage, Template: image}
	}
	return netSource{}
}

// located is the first source of answers there is: local answers,
// parsed, or a URL template to fetch them by.
type located struct {
	ans *answers.Answers
	src answersSource
	net netSource // Kind "": no network source
}

// locate finds the source of the answers, in the installer's order:
// install.yaml embedded in the image, on a PLINTHCFG volume, then the
// SMBIOS OEM string's URL template, then the image's. Nothing found
// means an interactive install.
func locate(r roots, t templates) (located, error) {
	ans, src, err := findAnswers(r)
	if err != nil || ans != nil {
		return located{ans: ans, src: src}, err
	}
	if t.Err != nil {
		return located{}, t.Err
	}
	return located{net: t.Answers}, nil
}

// startUnattended installs unattended with the answers of the first
// source that has them, and returns when there are none or the install
// failed. Reports start on the way when there is a report URL.
func (a *app) startUnattended(ctx context.Context) {
	t := readTemplates(a.roots, a.journal.Logf)
	a.startReports(t.Report)
	loc, err := locate(a.roots, t)
	if loc.src.Disk != "" {
		// Never an install target, whether its answers are good or not.
		a.env.Exclude = map[string]string{loc.src.Disk: "holds the answers volume " + answersvol.Label}
	}
	if err == nil && loc.net.Kind != "" {
		loc.ans, loc.src, err = a.fetchAnswers(ctx, loc.net)
	}
	switch {
	case err != nil:
		a.dropLookAhead()
		a.unattendedFailed(err)
	case loc.ans != nil:
		a.dropLookAhead()
		a.events.Emit(event.AnswersFound{Source: loc.src.Kind, URL: loc.src.URL})
		a.unattended(loc.ans, loc.src)
	}
}

// fetchAnswers gets the answers by s's template: it brings the network
// up, waits a while for an address, fills in the template for this
// machine and asks until the server has answers for it, saying on the
// screen and in answers-waiting events why it waits.
func (a *app) fetchAnswers(ctx context.Context, s netSource) (*answers.Answers, answersSource, error) {
	a.waitAddress(ctx, s)
	id := netanswers.ReadIdentity(a.roots.Sys)
	urls, err := netanswers.Expand(s.Template, id)
	if err != nil {
		return nil, answersSource{}, &install.Error{Code: errcode.AnswersUnavailable, Err: err}
	}
	client, err := a.httpClient()
	if err != nil {
		return nil, answersSource{}, err
	}
	a.journal.Logf("answers: asking %s (template %s %s)", strings.Join(urls, " or "), s.Template, s.origin())
	attempt := 0
	f, err := netanswers.Fetch(ctx, client, urls, netanswers.Options{Identity: id, Backoff: a.net.backoff, Waiting: func(msg string) {
		attempt++
		a.answersWaiting(s, urls, msg, attempt)
	}})
	var pe *answers.ParseError
	switch {
	case errors.As(err, &pe):
		return nil, answersSource{}, err // answers-invalid, with its line and field
	case err != nil:
		return nil, answersSource{}, &install.Error{Code: errcode.AnswersUnavailable, Err: err}
	}
	where := f.URL + " (URL template " + s.origin() + ")"
	return f.Answers, answersSource{Kind: s.Kind, Where: where, URL: f.URL}, nil
}

// waitAddress brings the network up and waits for an address, at most
// addressWait: then the answers are asked for anyway (the failures say
// why), while DHCP goes on.
func (a *app) waitAddress(ctx context.Context, s netSource) {
	n := a.network()
	nics := strings.Join(netup.WiredInterfaces(a.roots.Sys), ", ")
	if nics == "" {
		nics = "every wired interface"
	}
	a.answersWaiting(s, nil, fmt.Sprintf("waiting for a network address (DHCP on %s) to ask %s for this machine's answers", nics, s.Template), 0)
	wctx, cancel := context.WithTimeout(ctx, a.net.addressWait)
	defer cancel()
	if !n.WaitAddress(wctx) && ctx.Err() == nil {
		a.journal.Logf("answers: no network address after %s; asking anyway while DHCP goes on", a.net.addressWait)
	}
}

// httpClient is the client of the answers and the reports: the
// system's CAs and those built into the image.
func (a *app) httpClient() (*http.Client, error) {
	ca, err := netinstall.LoadCA(a.roots.NetInstallCA)
	var c *http.Client
	if err == nil {
		c, err = updatechannel.NewClient(ca)
	}
	if err != nil {
		return nil, &install.Error{Code: errcode.PayloadCorrupt, Err: fmt.Errorf("installer image: CA certificates: %w", err)}
	}
	return c, nil
}

// answersWaiting says why the installer is still waiting for its
// answers: an event, the journal, the text screen and the graphics.
func (a *app) answersWaiting(s netSource, urls []string, msg string, attempt int) {
	a.events.Emit(event.AnswersWaiting{Source: s.Kind, Template: s.Template, URLs: urls, Message: msg, Attempt: attempt})
	a.journal.Logf("answers: %s", msg)
	fmt.Fprintf(a.out, "Waiting for the answers: %s\r\n", msg)
	a.drawWaiting(s, msg)
}

// drawWaiting shows on the framebuffer, if there is one, that the
// install waits for its answers and why.
func (a *app) drawWaiting(s netSource, msg string) {
	if a.gfx == nil {
		return
	}
	body := []view.Line{{Text: "Answers URL " + s.Template + " (" + s.origin() + ")"}, {}}
	for _, part := range strings.Split(msg, "; ") {
		body = append(body, view.Line{Text: part, Style: view.Strong})
	}
	err := a.gfx.Draw(view.View{
		Screen: wizard.ScreenProgress, Cursor: -1,
		Title:   fmt.Sprintf("%s %s installer", a.rel.Product, a.rel.Version),
		Heading: "Waiting for the answers (unattended)",
		Body:    body,
		Hint:    "The install starts as soon as the server has answers for this machine.",
	})
	if err != nil {
		a.journal.Logf("graphics: %v", err)
	}
}
