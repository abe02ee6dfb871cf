package netanswers

import (
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	full := Identity{
		UUID:   "4c4c4544-0042-3610-8058-b4c04f564e32",
		Serial: "SN 12/34?&=#",
		NICs:   []NIC{{Name: "enp1s0", MAC: "52-54-00-12-34-56"}, {Name: "enp2s0", MAC: "52-54-00-ab-cd-ef"}},
	}
	tests := []struct {
		name     string
		template string
		id       Identity
		want     []string
		wantErr  string
	}{
		{name: "no variables", template: "http://10.0.2.2:8080/install.yaml", id: full,
			want: []string{"http://10.0.2.2:8080/install.yaml"}},
		{name: "uuid", template: " https://prov.example/a/${uuid}.yaml ", id: full,
			want: []string{"https://prov.example/a/4c4c4544-0042-3610-8058-b4c04f564e32.yaml"}},
		{name: "one URL per NIC in order", template: "http://p/${mac}/install.yaml", id: full,
			want: []string{"http://p/52-54-00-12-34-56/install.yaml", "http://p/52-54-00-ab-cd-ef/install.yaml"}},
		{name: "all three", template: "http://p/?u=${uuid}&m=${mac}&s=${serial}", id: full,
			want: []string{
				"http://p/?u=4c4c4544-0042-3610-8058-b4c04f564e32&m=52-54-00-12-34-56&s=SN%2012%2F34%3F%26%3D%23",
				"http://p/?u=4c4c4544-0042-3610-8058-b4c04f564e32&m=52-54-00-ab-cd-ef&s=SN%2012%2F34%3F%26%3D%23",
			}},
		{name: "mac twice in one URL", template: "http://p/${mac}/${mac}", id: Identity{NICs: full.NICs[:1]},
			want: []string{"http://p/52-54-00-12-34-56/52-54-00-12-34-56"}},
		{name: "one MAC on two NICs", template: "http://p/${mac}",
			id:   Identity{NICs: []NIC{{Name: "eth0", MAC: "52-54-00-12-34-56"}, {Name: "eth1", MAC: "52-54-00-12-34-56"}}},
			want: []string{"http://p/52-54-00-12-34-56"}},
		{name: "lone dollar", template: "http://p/$x/${uuid}", id: full,
			want: []string{"http://p/$x/4c4c4544-0042-3610-8058-b4c04f564e32"}},
		{name: "scheme case", template: "HTTPS://p/a", id: full, want: []string{"HTTPS://p/a"}},
		{name: "unknown variable", template: "http://p/${hostname}", id: full, wantErr: "unknown variable ${hostname}"},
		{name: "unclosed", template: "http://p/${uuid", id: full, wantErr: "no closing }"},
		{name: "missing uuid", template: "http://p/${uuid}", id: Identity{NICs: full.NICs}, wantErr: "uses ${uuid}, but the firmware gives this machine no system UUID"},
		{name: "missing serial", template: "http://p/${serial}", id: Identity{UUID: full.UUID}, wantErr: "uses ${serial}"},
		{name: "no NIC", template: "http://p/${mac}", id: Identity{UUID: full.UUID}, wantErr: "no wired network interface"},
		{name: "unused missing values are fine", template: "http://p/x", id: Identity{}, want: []string{"http://p/x"}},
		{name: "ftp", template: "ftp://p/${uuid}", id: full, wantErr: "want an http:// or https:// URL"},
		{name: "tftp-ish path", template: "/answers/${uuid}", id: full, wantErr: "want an http:// or https:// URL"},
		{name: "no host", template: "http:///x", id: full, wantErr: "no host"},
		{name: "empty", template: "", id: full, wantErr: "want an http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.template, tt.id)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Expand = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Expand = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		template string
		wantErr  string // "" accepts
	}{
		{"https://prov.example/answers/${uuid}.yaml", ""},
		{"http://10.0.2.2:8080/plinth/${mac}/install.yaml", ""},
		{"http://p/?s=${serial}&m=${mac}&u=${uuid}", ""},
		{"http://${serial}.prov.example/install.yaml", ""},
		{"  http://p/x  ", ""},
		{"", "empty URL template"},
		{"http://p/${hostname}", "unknown variable ${hostname}"},
		{"http://p/${uuid", "no closing }"},
		{"ftp://p/${uuid}", "want an http:// or https:// URL"},
		{"${uuid}://p/x", "gives"},
		{"/answers/${mac}", "want an http:// or https:// URL"},
		{"http:///x", "no host"},
		{"http://p/my answers.yaml", "space or control character"},
		{"http://p/a.yaml#top", "#fragment"},
	}
	for _, tt := range tests {
		err := CheckTemplate(tt.template)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckTemplate(%q) = %v, want %q", tt.template, err, tt.wantErr)
		}
	}
}
