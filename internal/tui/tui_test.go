package tui

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

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
