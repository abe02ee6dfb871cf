package updatechannel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/fielderr"
)

const (
	goodDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	channelURL = "https://updates.example.com/acme/stable/channel.json"
)

func TestParseRejects(t *testing.T) {
	good := `"product": "Acme DB", "version": "v1.4.2", "url": "b.plinth", "size": 1000, "sha256": "` + goodDigest + `"`
	tests := []struct {
		name, json string
		field      string // the field the error must name
		msg        string // and a part of its message
	}{
		{"not JSON", `product: x`, "", "not valid JSON"},
		{"truncated", `{` + good, "", "truncated"},
		{"unknown field", `{` + good + `, "signature": "x"}`, "", `unknown field "signature"`},
		{"data after", `{` + good + `} {}`, "", "after the JSON object"},
		{"size as string", `{"size": "1000"}`, "", `"size"`},
		{"empty object", `{}`, "product", "missing or empty"},
		{"no version", `{"product": "p", "url": "b", "size": 1, "sha256": "` + goodDigest + `"}`, "version", "missing or empty"},
		{"version with space", `{"product": "p", "version": "1 2", "url": "b", "size": 1, "sha256": "` + goodDigest + `"}`, "version", "not allowed"},
		{"product control", `{"product": "p\u0007", "version": "1", "url": "b", "size": 1, "sha256": "` + goodDigest + `"}`, "product", "not allowed"},
		{"version too long", `{"product": "p", "version": "` + strings.Repeat("1", 129) + `", "url": "b", "size": 1, "sha256": "` + goodDigest + `"}`, "version", "longer than 128"},
		{"no url", `{"product": "p", "version": "1", "url": "", "size": 1, "sha256": "` + goodDigest + `"}`, "url", "missing or empty"},
		{"ftp url", `{"product": "p", "version": "1", "url": "ftp://h/b", "size": 1, "sha256": "` + goodDigest + `"}`, "url", `scheme "ftp"`},
		{"file url", `{"product": "p", "version": "1", "url": "file:///b", "size": 1, "sha256": "` + goodDigest + `"}`, "url", `scheme "file"`},
		{"bad url", `{"product": "p", "version": "1", "url": "http://[::1", "size": 1, "sha256": "` + goodDigest + `"}`, "url", "missing ']'"},
		{"size 0", `{"product": "p", "version": "1", "url": "b", "size": 0, "sha256": "` + goodDigest + `"}`, "size", "more than 0"},
		{"size negative", `{"product": "p", "version": "1", "url": "b", "size": -5, "sha256": "` + goodDigest + `"}`, "size", "more than 0"},
		{"size huge", `{"product": "p", "version": "1", "url": "b", "size": 68719476737, "sha256": "` + goodDigest + `"}`, "size", "largest bundle"},
		{"sha256 short", `{"product": "p", "version": "1", "url": "b", "size": 1, "sha256": "9f86"}`, "sha256", "64 lowercase hex"},
		{"sha256 upper", `{"product": "p", "version": "1", "url": "b", "size": 1, "sha256": "` + strings.ToUpper(goodDigest) + `"}`, "sha256", "64 lowercase hex"},
		{"sha256 not hex", `{"product": "p", "version": "1", "url": "b", "size": 1, "sha256": "` + strings.Repeat("g", 64) + `"}`, "sha256", "64 lowercase hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json), channelURL)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), channelURL) {
				t.Errorf("err = %v, want it to name %s and say %q", err, channelURL, tt.msg)
			}
			var fe *fielderr.Error
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("err = %v, want a *fielderr.Error for field %q", err, tt.field)
			}
		})
	}
}

func TestParseResolvesURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"acme-db-v1.4.2.plinth", "https://updates.example.com/acme/stable/acme-db-v1.4.2.plinth"},
		{"../bundles/b.plinth", "https://updates.example.com/acme/bundles/b.plinth"},
		{"/b.plinth?token=1", "https://updates.example.com/b.plinth?token=1"},
		{"//cdn.example.net/b.plinth", "https://cdn.example.net/b.plinth"},
		{"http://mirror.example.org/b.plinth", "http://mirror.example.org/b.plinth"},
	}
	for _, tt := range tests {
		ch, err := Parse(channelFile(t, tt.url), channelURL)
		if err != nil {
			t.Errorf("url %q: %v", tt.url, err)
			continue
		}
		if ch.URL != tt.want {
			t.Errorf("url %q resolved to %q, want %q", tt.url, ch.URL, tt.want)
		}
	}
}

func channelFile(t *testing.T, url string) []byte {
	t.Helper()
	b, err := Marshal(Channel{Product: "Acme DB", Version: "v1.4.2", URL: url, Size: 31461412, SHA256: goodDigest})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMarshal(t *testing.T) {
	want := `{
  "product": "Acme DB",
  "version": "v1.4.2",
  "url": "acme-db-v1.4.2.plinth",
  "size": 31461412,
  "sha256": "` + goodDigest + `"
}
`
	if got := string(channelFile(t, "acme-db-v1.4.2.plinth")); got != want {
		t.Errorf("Marshal =\n%s\nwant (the package documentation's example)\n%s", got, want)
	}
	bad := []Channel{
		{Product: "p", Version: "1", URL: "ftp://h/b", Size: 1, SHA256: goodDigest},
		{Product: "p", Version: "1", URL: "b", Size: 0, SHA256: goodDigest},
		{Product: "p", Version: "", URL: "b", Size: 1, SHA256: goodDigest},
	}
	for _, ch := range bad {
		if _, err := Marshal(ch); err == nil {
			t.Errorf("Marshal(%+v) accepted it", ch)
		}
	}
}

func TestCheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/stable/channel.json", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("Cache-Control %q, want no-cache", r.Header.Get("Cache-Control"))
		}
		w.Write(channelFile(t, "b.plinth"))
	})
	mux.Handle("/old/channel.json", http.RedirectHandler("/stable/channel.json", http.StatusMovedPermanently))
	mux.HandleFunc("/big/channel.json", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, MaxFileSize+1))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	tests := []struct{ path, url, err string }{
		{"/stable/channel.json", ts.URL + "/stable/b.plinth", ""},
		// Relative to where the file was found, after the redirect.
		{"/old/channel.json", ts.URL + "/stable/b.plinth", ""},
		{"/nothing/channel.json", "", "404 Not Found at " + ts.URL + "/nothing/channel.json: no channel file there"},
		{"/big/channel.json", "", "not a channel file"},
	}
	for _, tt := range tests {
		ch, err := Check(context.Background(), nil, ts.URL+tt.path)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Check %s: err = %v, want %q", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil || ch.URL != tt.url || ch.Version != "v1.4.2" {
			t.Errorf("Check %s = %+v, %v; want URL %s", tt.path, ch, err, tt.url)
		}
	}
	if _, err := Check(context.Background(), nil, "ftp://example.com/c.json"); err == nil {
		t.Error("Check accepted an ftp channel URL")
	}
}
