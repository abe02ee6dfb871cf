package netinstall

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testcert"
)

func TestRoundTrip(t *testing.T) {
	c := Config{AnswersURL: "https://prov.example/answers/${uuid}.yaml", ReportURL: "http://10.0.2.2:8080/report/${mac}"}
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "answersURL": "https://prov.example/answers/${uuid}.yaml",
  "reportURL": "http://10.0.2.2:8080/report/${mac}"
}
`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	p := filepath.Join(t.TempDir(), "netinstall.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil || got != c {
		t.Errorf("Load = %+v, %v; want %+v", got, err, c)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          Config
		wantErr       string
	}{
		{"missing", "", Config{}, ""},
		{"answers only", `{"answersURL": "http://p/${serial}"}`, Config{AnswersURL: "http://p/${serial}"}, ""},
		{"unknown field", `{"answers": "http://p/"}`, Config{}, `unknown field "answers"`},
		{"bad template", `{"reportURL": "http://p/${host}"}`, Config{}, "reportURL: netanswers: URL template"},
		{"not JSON", `answersURL: x`, Config{}, "netinstall: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json")
			if tc.content != "" {
				if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load = %+v, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Load = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		c       Config
		wantErr string
	}{
		{Config{}, ""},
		{Config{AnswersURL: "https://p/${uuid}.yaml", ReportURL: "https://p/r"}, ""},
		{Config{AnswersURL: "tftp://p/${uuid}"}, "answersURL: netanswers: URL template"},
		{Config{ReportURL: "https://p/${mac"}, "reportURL: netanswers: URL template"},
	} {
		err := tc.c.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%+v.Validate() = %v, want %q", tc.c, err, tc.wantErr)
		}
	}
}

func TestCheckCA(t *testing.T) {
	ca := testcert.Must(t, "Provisioning CA", testcert.Options{CA: true, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not a key")})
	for _, tc := range []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"one certificate", certPEM, ""},
		{"two certificates", append(append([]byte{}, certPEM...), certPEM...), ""},
		{"empty", nil, "no PEM certificate"},
		{"not PEM", []byte("hello\n"), "not PEM"},
		{"a private key too", append(append([]byte{}, certPEM...), keyPEM...), `"PRIVATE KEY", want CERTIFICATE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCA(tc.pem)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("CheckCA = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if b, err := LoadCA(filepath.Join(t.TempDir(), "none.pem")); b != nil || err != nil {
		t.Errorf("LoadCA of a missing file = %q, %v; want none", b, err)
	}
}
