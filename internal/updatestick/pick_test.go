package updatestick

import (
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/bundle"
)

func cand(path, prod, version, minVersion string) Candidate {
	m := &bundle.Manifest{Product: prod, Version: version, MinVersion: minVersion, Parts: []bundle.PartInfo{{Name: bundle.PartRuntime}}}
	return Candidate{Path: path, Manifest: m}
}

type pickCase struct {
	name      string
	cands     []Candidate
	installed string
	failed    []string
	want      string            // path of the pick, "" for none
	why       map[string]string // path -> substring of the reason
}

func pickCases() []pickCase {
	return []pickCase{
		{name: "nothing on the stick", installed: "v1.0.0"},
		{
			name:      "newest of several",
			cands:     []Candidate{cand("a", product, "v1.2.0", ""), cand("b", product, "v1.10.0", ""), cand("c", product, "v1.9.0", "")},
			installed: "v1.0.0", want: "b",
			why: map[string]string{"a": "v1.2.0 is older than v1.10.0 in b", "c": "v1.9.0 is older than v1.10.0 in b"},
		},
		{
			name:      "the installed version",
			cands:     []Candidate{cand("a", product, "v1.0.0+build.7", "")},
			installed: "v1.0.0",
			why:       map[string]string{"a": "not newer: v1.0.0+build.7 is the running version"},
		},
		{
			name:      "failed, so the next newest",
			cands:     []Candidate{cand("a", product, "v1.2.0", ""), cand("b", product, "v1.3.0", "")},
			installed: "v1.0.0", failed: []string{"v1.3.0"}, want: "a",
			why: map[string]string{"b": "v1.3.0 failed its trial on this appliance before"},
		},
		{
			name:      "the same version twice",
			cands:     []Candidate{cand("a", product, "v1.2.0", ""), cand("plinth/a", product, "1.2", "")},
			installed: "v1.0.0", want: "a",
			why: map[string]string{"plinth/a": "the same version as a, which is used"},
		},
		{
			name:      "newest cannot be ordered",
			cands:     []Candidate{cand("a", product, "v1.4.2-3-gaaaaaaa", ""), cand("b", product, "v1.4.2-3-gbbbbbbb", ""), cand("c", product, "v1.4.1", "")},
			installed: "v1.0.0",
			why: map[string]string{
				"a": "v1.4.2-3-gaaaaaaa cannot be ordered against v1.4.2-3-gbbbbbbb in b: leave only the one to install on the stick",
				"b": "v1.4.2-3-gbbbbbbb cannot be ordered against v1.4.2-3-gaaaaaaa in a",
				"c": "v1.4.1 is older than v1.4.2-3-g",
			},
		},
		{
			name:      "installed version not comparable",
			cands:     []Candidate{cand("a", product, "v1.4.0", "")},
			installed: "v1.4.0-dirty",
			why:       map[string]string{"a": "cannot tell whether v1.4.0 is newer than the running v1.4.0-dirty"},
		},
		{
			name:      "other product and minimum version",
			cands:     []Candidate{cand("a", "Acme Cache", "v2.0.0", ""), cand("b", product, "v3.0.0", "v2.0.0"), cand("c", product, "v1.1.0", "")},
			installed: "v1.0.0", want: "c",
			why: map[string]string{
				"a": "for another product: this is Acme Cache v2.0.0, and this appliance runs Acme DB",
				"b": "cannot update the running version: Acme DB v3.0.0 updates only v2.0.0 or later; this appliance runs v1.0.0",
			},
		},
	}
}

func TestPick(t *testing.T) {
	t.Parallel()
	for _, tt := range pickCases() {
		t.Run(tt.name, func(t *testing.T) {
			var failed func(string) string
			if tt.failed != nil {
				failed = func(v string) string {
					if slices.Contains(tt.failed, v) {
						return "unhealthy"
					}
					return ""
				}
			}
			best, ok, rej := Pick(tt.cands, product, tt.installed, failed)
			if ok != (tt.want != "") || best.Path != tt.want {
				t.Errorf("Pick = %q, %v, want %q", best.Path, ok, tt.want)
			}
			if len(rej) != len(tt.why) {
				t.Errorf("rejected %+v, want %d", rej, len(tt.why))
			}
			for _, r := range rej {
				if w, ok := tt.why[r.Path]; !ok || !strings.Contains(r.Reason, w) {
					t.Errorf("%s rejected: %q, want %q", r.Path, r.Reason, w)
				}
			}
		})
	}
}
