package gfx

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
)

// drawn maps each text item's name to its text, for one layout.
func drawn(l *layout) map[string]string {
	out := map[string]string{}
	for _, it := range l.items {
		if it.kind == kindText {
			out[it.what] += it.text
		}
	}
	return out
}

// More fields than fit scroll so that the active one shows, with its
// help and error beside it.
func TestFieldsScrollToActive(t *testing.T) {
	r := newRenderer(t, darkBrand())
	for _, active := range []int{0, 6, 11} {
		v := view.View{Screen: "advanced", Heading: "Advanced options", Cursor: -1, Body: []view.Line{{Text: "For disk " + nvme, Style: view.Dim}}}
		for i := range 12 {
			v.Fields = append(v.Fields, view.Field{Label: fmt.Sprintf("setting-%d", i), Value: fmt.Sprint(i), Active: i == active,
				Help: fmt.Sprintf("What setting %d is for (a whole number, default %d)", i, i)})
		}
		v.Fields[active].Error = "not a whole number"
		for _, size := range []image.Point{{640, 480}, sizeSmall, {1024, 768}, sizeLarge} {
			l := r.layoutView(v, size)
			if o := l.overflows(); len(o) > 0 {
				t.Errorf("active %d at %v overflows:\n%s", active, size, strings.Join(o, "\n"))
			}
			got := drawn(l)
			f := fmt.Sprintf("field %d", active)
			if got[f+" label"] != v.Fields[active].Label || got[f+" error"] != "not a whole number" || !strings.HasPrefix(got[f+" help"], "What setting") {
				t.Errorf("active %d at %v: label %q error %q help %q", active, size, got[f+" label"], got[f+" error"], got[f+" help"])
			}
			n := 0
			for i := range v.Fields {
				if _, ok := got[fmt.Sprintf("field %d label", i)]; ok {
					n++
				}
			}
			if n < 2 || n == len(v.Fields) {
				t.Errorf("active %d at %v: %d of %d fields shown, want some but not all", active, size, n, len(v.Fields))
			}
			if !strings.Contains(got["body 0"], "For disk") {
				t.Errorf("active %d at %v: the body gave way to the fields: %q", active, size, got["body 0"])
			}
		}
	}
}

// A help too long for the room beside its field is shortened, never
// clipped; a narrow screen leaves it out rather than squeeze it.
func TestFieldHelpShortened(t *testing.T) {
	r := newRenderer(t, darkBrand())
	v := view.View{Screen: "advanced", Heading: "Advanced options", Cursor: -1, Fields: []view.Field{{Label: "peers", Active: true,
		Help: strings.Repeat("Other members of the cluster, as host:port. ", 10), Error: "a long error " + strings.Repeat("x", 300)}}}
	for _, size := range []image.Point{{640, 480}, sizeLarge} {
		l := r.layoutView(v, size)
		if o := l.overflows(); len(o) > 0 {
			t.Errorf("%v overflows:\n%s", size, strings.Join(o, "\n"))
		}
		got := drawn(l)
		if !strings.HasPrefix(got["field 0 error"], "a long error") || !strings.HasSuffix(got["field 0 help"]+got["field 0 error"], ellipsis) {
			t.Errorf("%v: error %q help %q, want the error first and the rest shortened", size, got["field 0 error"], got["field 0 help"])
		}
	}
	if got := drawn(r.layoutView(v, image.Pt(200, 600))); got["field 0 help"] != "" || got["field 0 label"] != "peers" {
		t.Errorf("narrow screen: %v", got)
	}
}

// The real advanced screen of a product with settings fits at every
// step, down to 640x480.
func TestRealAdvancedWithSettings(t *testing.T) {
	r := newRenderer(t, lightBrand())
	port, peers := setting.IntValue(2379), setting.ListValue()
	m := wizard.Machine{Product: "Acme DB", Version: "1.4.2", Settings: []setting.Decl{
		{Name: "port", Type: setting.TypeInt, Default: &port, Description: "TCP port clients connect to"},
		{Name: "peers", Type: setting.TypeList, Default: &peers, Description: "Other members of the cluster, as host:port"},
		{Name: "cluster", Type: setting.TypeString, Description: "Name of the cluster this machine joins"},
		{Name: "initial-cluster-state-of-this-member", Type: setting.TypeString},
	}}
	cands := []installplan.Candidate{{Disk: disk.Disk{Name: "vda", Model: "Virtio", Serial: "VIRT0042", Size: 8 << 30}, ShortID: "rt0042", Eligible: true}}
	w := wizard.New(m, cands, nil)
	keys := func(s string) {
		for _, c := range s {
			k := wizard.Key{Kind: wizard.KeyRune, Rune: c}
			switch c {
			case '^':
				k = wizard.Key{Kind: wizard.KeyUp}
			case '\n':
				k = wizard.Key{Kind: wizard.KeyEnter}
			}
			w.Key(k)
		}
	}
	var views []view.View
	keys("\n") // disks, saying what needs a value
	views = append(views, w.View())
	keys("a") // advanced, on cluster
	views = append(views, w.View())
	keys("^^" + strings.Repeat("9", 30) + "\n") // port: too large; the two required settings empty
	views = append(views, w.View())
	keys("^^^^" + strings.Repeat("x", 200)) // the hostname, far too long for its box
	views = append(views, w.View())
	if f := views[2].Fields; f[2].Error == "" || f[4].Error == "" || f[5].Error == "" {
		t.Fatalf("fields %+v, want errors on port and both required settings", f)
	}
	for _, size := range []image.Point{{640, 480}, sizeSmall, {1280, 720}, sizeLarge} {
		for i, v := range views {
			if o := r.Overflows(v, size); len(o) > 0 {
				t.Errorf("view %d (%s) at %v overflows:\n%s", i, v.Screen, size, strings.Join(o, "\n"))
			}
		}
		if got := drawn(r.layoutView(views[2], size)); !strings.Contains(got["field 2 error"], "not a whole number") {
			t.Errorf("%v: port's error shows as %q", size, got["field 2 error"])
		}
	}
}
