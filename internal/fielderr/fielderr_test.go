package fielderr

import "testing"

func TestError(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "install.yaml", Line: 3, Field: "disk", Message: "empty value"}, `install.yaml:3: field "disk": empty value`},
		{Error{File: "plinth.yaml", Message: "empty file"}, "plinth.yaml: empty file"},
		{Error{File: "install.yaml", Line: 7, Message: "bad indentation"}, "install.yaml:7: bad indentation"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
