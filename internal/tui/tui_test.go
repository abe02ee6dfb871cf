package tui

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
)

func TestDecoder(t *testing.T) {
	k := func(kind wizard.KeyKind) wizard.Key { return wizard.Key{Kind: kind} }
	r := func(c rune) wizard.Key { return wizard.Key{Kind: wizard.KeyRune, Rune: c} }
	tests := []struct {
		name  string
		in    string
		flush bool
		want  []wizard.Key
	}{
		{"letters", "ab1", false, []wizard.Key{r('a'), r('b'), r('1')}},
		{"cr", "\r", false, []wizard.Key{k(wizard.KeyEnter)}},
		{"lf", "\n", false, []wizard.Key{k(wizard.KeyEnter)}},
		{"crlf is one enter", "\r\n", false, []wizard.Key{k(wizard.KeyEnter)}},
		{"two enters", "\r\r", false, []wizard.Key{k(wizard.KeyEnter), k(wizard.KeyEnter)}},
		{"csi arrows", "\x1b[A\x1b[B", false, []wizard.Key{k(wizard.KeyUp), k(wizard.KeyDown)}},
		{"ss3 arrows", "\x1bOA\x1bOB", false, []wizard.Key{k(wizard.KeyUp), k(wizard.KeyDown)}},
		{"left right ignored", "\x1b[C\x1b[D", false, nil},
		{"function key with params ignored", "\x1b[15~x", false, []wizard.Key{r('x')}},
		{"lone esc on timeout", "\x1b", true, []wizard.Key{k(wizard.KeyEsc)}},
		{"esc then letter", "\x1bq", false, []wizard.Key{k(wizard.KeyEsc), r('q')}},
		{"backspace and del", "\x7f\x08", false, []wizard.Key{k(wizard.KeyBackspace), k(wizard.KeyBackspace)}},
		{"tab", "\t", false, []wizard.Key{k(wizard.KeyTab)}},
		{"control and high bytes dropped", "\x01\x03\xc3\xa9z", false, []wizard.Key{r('z')}},
		{"shift tab is up", "\x1b[Z", false, []wizard.Key{k(wizard.KeyUp)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d decoder
			var got []wizard.Key
			for _, b := range []byte(tt.in) {
				got = append(got, d.feed(b)...)
			}
			if tt.flush {
				got = append(got, d.flush()...)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("key %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestKeysLoneEscTimesOut(t *testing.T) {
	in := make(chan byte, 4)
	out := Keys(in)
	in <- 0x1b
	select {
	case k := <-out:
		if k.Kind != wizard.KeyEsc {
			t.Fatalf("got %v", k)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("lone ESC never became Esc")
	}
	close(in)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func TestLinesFitAndScroll(t *testing.T) {
	var body []view.Line
	for i := 0; i < 40; i++ {
		body = append(body, view.Line{Text: strings.Repeat("disk ", 30), Selected: i == 30})
	}
	body[30].Text = "the selected disk"
	v := view.View{Screen: "disks", Title: "Plinth 1.0 installer", Heading: "Choose", Body: body,
		Menu: []string{"A", "B"}, Cursor: 1, Note: "note", Hint: "keys"}
	lines := Lines(v)
	if len(lines) != Height {
		t.Fatalf("%d lines, want %d", len(lines), Height)
	}
	joined := ""
	for i, l := range lines {
		plain := ansi.ReplaceAllString(l, "")
		if len(plain) >= Width {
			t.Errorf("line %d is %d wide: %q", i, len(plain), plain)
		}
		for _, c := range []byte(plain) {
			if c < ' ' || c >= 0x7f {
				t.Errorf("line %d has byte %#x", i, c)
			}
		}
		joined += plain + "\n"
	}
	for _, want := range []string{"Plinth 1.0 installer", "the selected disk", "note", "keys"} {
		if !strings.Contains(joined, want) {
			t.Errorf("screen lacks %q:\n%s", want, joined)
		}
	}
}

func TestDrawRewritesOnlyChanges(t *testing.T) {
	var buf bytes.Buffer
	s := New(&buf)
	v := view.View{Screen: "progress", Title: "T", Heading: "Installing", Bar: &view.Bar{Percent: 10, Label: "Writing"}}
	s.Draw(v)
	first := buf.Len()
	if !strings.Contains(buf.String(), clearAll) {
		t.Fatal("first draw did not clear the screen")
	}
	buf.Reset()
	v.Bar = &view.Bar{Percent: 55, Label: "Writing"}
	s.Draw(v)
	if strings.Contains(buf.String(), clearAll) || buf.Len() >= first/2 || !strings.Contains(buf.String(), " 55%") {
		t.Fatalf("update wrote %d bytes (first %d): %q", buf.Len(), first, buf.String())
	}
	buf.Reset()
	s.Draw(v)
	if buf.Len() != 0 {
		t.Fatalf("unchanged view wrote %q", buf.String())
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want []string
	}{
		{"short", 10, []string{"short"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"abcdefghijkl mn", 5, []string{"abcde", "fghij", "kl mn"}},
		{"exactly 10", 10, []string{"exactly 10"}},
	}
	for _, tt := range tests {
		got := Wrap(tt.in, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		for _, l := range got {
			if len(l) > tt.n {
				t.Errorf("Wrap(%q, %d): line %q too long", tt.in, tt.n, l)
			}
		}
	}
}

func TestProgressBar(t *testing.T) {
	for _, tt := range []struct {
		p    int
		want string
	}{{0, "[..........]   0%"}, {50, "[#####.....]  50%"}, {100, "[##########] 100%"}, {140, "[##########] 100%"}, {-5, "[..........]   0%"}} {
		if got := ProgressBar(tt.p, 10); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.p, got, tt.want)
		}
	}
}

// settingsWizard is on the disks screen of a product with settings;
// its advanced screen has six fields, more than the screen holds with
// their help.
func settingsWizard() *wizard.Wizard {
	port, peers, debug := setting.IntValue(2379), setting.ListValue(), setting.BoolValue(false)
	m := wizard.Machine{Product: "Acme", Version: "1", Settings: []setting.Decl{
		{Name: "port", Type: setting.TypeInt, Default: &port, Description: "TCP port clients connect to"},
		{Name: "peers", Type: setting.TypeList, Default: &peers, Description: "Other members of the cluster, as host:port; " +
			"leave empty for a cluster of one, which is what a first machine is"},
		{Name: "cluster", Type: setting.TypeString, Description: "Name of the cluster this machine joins"},
		{Name: "debug", Type: setting.TypeBool, Default: &debug},
	}}
	cands := []installplan.Candidate{{Disk: disk.Disk{Name: "vda", Model: "Virtio", Serial: "VIRT0042", Size: 8 << 30}, ShortID: "rt0042", Eligible: true}}
	w := wizard.New(m, cands, nil)
	w.Key(wizard.Key{Kind: wizard.KeyEnter})
	return w
}

// drive sends keys: ^ up, v down, < backspace, \n enter, others typed.
func drive(w *wizard.Wizard, keys string) {
	for _, r := range keys {
		k := wizard.Key{Kind: wizard.KeyRune, Rune: r}
		switch r {
		case '^':
			k = wizard.Key{Kind: wizard.KeyUp}
		case 'v':
			k = wizard.Key{Kind: wizard.KeyDown}
		case '<':
			k = wizard.Key{Kind: wizard.KeyBackspace}
		case '\n':
			k = wizard.Key{Kind: wizard.KeyEnter}
		}
		w.Key(k)
	}
}

// screenText is the screen as plain text, checked to fit.
func screenText(t *testing.T, v view.View) string {
	t.Helper()
	lines := Lines(v)
	if len(lines) != Height {
		t.Fatalf("%d lines, want %d", len(lines), Height)
	}
	var b strings.Builder
	for i, l := range lines {
		plain := ansi.ReplaceAllString(l, "")
		if len(plain) >= Width {
			t.Errorf("line %d is %d wide: %q", i, len(plain), plain)
		}
		b.WriteString(plain + "\n")
	}
	return b.String()
}

func TestAdvancedSettingsScreen(t *testing.T) {
	tests := []struct {
		name    string
		keys    string
		want    []string // on the screen
		notWant []string
	}{
		{"opens on the setting that needs a value", "a", []string{
			" > cluster *: [_ ", "     Name of the cluster this machine joins (text, no default)",
			moreAbove + "\n", moreBelow + "\n"}, []string{"debug"}},
		{"the last field", "av", []string{" > debug: [false_", "     true or false, default false", moreAbove + "\n"}, []string{moreBelow}},
		{"its error shows under it", "a\n", []string{"     ! needs a value: the product has no default for it",
			" Setting cluster: needs a value"}, nil},
		{"the top field scrolls back in", "a^^^^", []string{"For disk [rt0042]", " > Data partition size: [_",
			`     empty or "rest" for the rest of the disk, or e.g. 20GiB`, moreBelow}, []string{"debug", moreAbove}},
		{"a long help wraps under its field", "a^", []string{" > peers: [_", "     Other members of the cluster, as host:port; leave empty for a cluster of",
			"     one, which is what a first machine is (a list, comma-separated, default"}, nil},
		{"a long value shows its end", "a" + strings.Repeat("x", 100) + "end", []string{"xxxend_]"}, nil},
		{"the disks screen names the missing setting", "", []string{"Settings: port 2379, peers [], cluster (needs a value), debug false"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := settingsWizard()
			drive(w, tt.keys)
			text := screenText(t, w.View())
			for _, s := range tt.want {
				if !strings.Contains(text, s) {
					t.Errorf("screen lacks %q:\n%s", s, text)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(text, s) {
					t.Errorf("screen shows %q:\n%s", s, text)
				}
			}
		})
	}
}

// Going down through every field, the active one and its help are
// always on the screen.
func TestActiveFieldAlwaysShows(t *testing.T) {
	w := settingsWizard()
	drive(w, "a^^^^")
	labels := []string{"Data partition size", "Hostname", "port", "peers", "cluster *", "debug"}
	for i, label := range labels {
		v := w.View()
		text := screenText(t, v)
		if !strings.Contains(text, " > "+label+": [") || !strings.Contains(text, v.Fields[i].Help[:20]) {
			t.Errorf("field %d (%s) active but not shown with its help:\n%s", i, label, text)
		}
		drive(w, "v")
	}
}
