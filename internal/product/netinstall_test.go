package product

import (
	"path/filepath"
	"testing"
)

// inst is a file whose installer: section starts on line 3.
func inst(lines ...string) string {
	return y(append([]string{"product:", "  name: Acme", "installer:"}, lines...)...)
}

func TestParseInstallerURLs(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		yaml                   string
		answers, report, caRel string
	}{
		{"none", inst("  min-disk: 8GiB"), "", "", ""},
		{"answers by uuid", inst("  answers-url: https://prov.example/answers/${uuid}.yaml"), "https://prov.example/answers/${uuid}.yaml", "", ""},
		{"everything", inst("  answers-url: http://10.0.2.2:8080/a/${mac}.yaml", "  report-url: http://10.0.2.2:8080/r/${serial}", "  ca: certs//prov.pem"),
			"http://10.0.2.2:8080/a/${mac}.yaml", "http://10.0.2.2:8080/r/${serial}", "certs/prov.pem"},
		{"quoted", inst(`  report-url: "https://r.example/${uuid}?from=plinth"`), "", "https://r.example/${uuid}?from=plinth", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			in := p.Installer
			if in.AnswersURL != tc.answers || in.ReportURL != tc.report || in.CA != tc.caRel {
				t.Errorf("installer = %q, %q, %q; want %q, %q, %q", in.AnswersURL, in.ReportURL, in.CA, tc.answers, tc.report, tc.caRel)
			}
		})
	}
}

func TestParseInstallerURLErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"unknown variable", inst("  answers-url: https://p/${hostname}.yaml"), 4, "installer.answers-url", "unknown variable ${hostname} (known: ${mac}, ${uuid}, ${serial})"},
		{"unclosed", inst("  report-url: https://p/${uuid"), 4, "installer.report-url", "has no closing }"},
		{"tftp", inst("  answers-url: tftp://p/${mac}"), 4, "installer.answers-url", "want an http:// or https:// URL"},
		{"no scheme", inst("  answers-url: prov.example/${uuid}"), 4, "installer.answers-url", "want an http:// or https:// URL"},
		{"space", inst(`  answers-url: "https://p/my answers.yaml"`), 4, "installer.answers-url", "space or control character"},
		{"fragment", inst("  report-url: https://p/r#x"), 4, "installer.report-url", "#fragment"},
		{"empty", inst("  answers-url:"), 4, "installer.answers-url", "empty value"},
		{"list", inst("  answers-url: [https://p/a]"), 4, "installer.answers-url", "want a single value, got a list"},
		{"misspelt", inst("  answer-url: https://p/a"), 4, "installer.answer-url", "did you mean answers-url?"},
		{"ca absolute", inst("  ca: /etc/ssl/prov.pem"), 4, "installer.ca", "want a path relative to plinth.yaml's directory"},
		{"ca outside", inst("  ca: ../prov.pem"), 4, "installer.ca", "outside plinth.yaml's directory"},
	})
}

// TestCheckInstallerCA: Check reads installer: ca: as it reads updates:
// ca:, naming the field and its line.
func TestCheckInstallerCA(t *testing.T) {
	ca := caPEM(t, "Provisioning CA")
	for _, tc := range []struct {
		name, content, msg string // msg "": accepted
	}{
		{"certificate", string(ca), ""},
		{"missing", "", "prov.pem does not exist"},
		{"not PEM", "hello\n", "prov.pem holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != "" {
				write(t, filepath.Join(dir, "prov.pem"), tc.content)
			}
			checkCAFile(t, inst("  answers-url: https://p/${uuid}", "  ca: prov.pem"), dir, "installer.ca", tc.msg)
		})
	}
}
