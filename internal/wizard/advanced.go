package wizard

import (
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/view"
)

// The advanced screen's fields: the data partition size, the hostname,
// then one per product setting in declaration order.
const (
	fieldDataSize = iota
	fieldHostname
	settingFields // index of the first setting's field
)

func (w *Wizard) openAdvanced() {
	cursor := w.cursor
	w.screen, w.note = ScreenAdvanced, ""
	w.cursor = cursor // keep the highlighted disk for the size check
	w.edit = make([][]rune, settingFields+len(w.machine.Settings))
	w.errs = make([]string, len(w.edit))
	if w.opts.DataSize > 0 { // empty: the rest of the disk
		w.edit[fieldDataSize] = []rune(answers.FormatSize(w.opts.DataSize))
	}
	w.edit[fieldHostname] = []rune(w.opts.Hostname)
	for i, d := range w.machine.Settings {
		if v, ok := w.opts.Settings[d.Name]; ok {
			w.edit[settingFields+i] = []rune(editText(v))
		}
	}
	// Sent here for a setting that needs a value: start on it.
	w.field = fieldDataSize
	if missing := w.missingSettings(); len(missing) > 0 {
		w.field = settingFields + w.settingIndex(missing[0])
	}
}

func (w *Wizard) settingIndex(name string) int {
	for i, d := range w.machine.Settings {
		if d.Name == name {
			return i
		}
	}
	return -1
}

// editText is a value as it is typed: a list's items separated by
// commas, which setting.Parse splits.
func editText(v setting.Value) string {
	if v.Type == setting.TypeList {
		return strings.Join(v.List, ", ")
	}
	return v.String()
}

func (w *Wizard) advancedKey(k Key) Action {
	n := len(w.edit)
	switch k.Kind {
	case KeyEsc:
		cursor := w.cursor
		w.goTo(ScreenDisks)
		w.cursor = cursor
	case KeyUp:
		w.field = (w.field + n - 1) % n
	case KeyDown, KeyTab:
		w.field = (w.field + 1) % n
	case KeyBackspace:
		if e := w.edit[w.field]; len(e) > 0 {
			w.edit[w.field], w.errs[w.field] = e[:len(e)-1], ""
		}
	case KeyRune:
		w.typeRune(k.Rune)
	case KeyEnter:
		w.saveAdvanced()
	}
	return nil
}

// typeRune adds r to the field being edited. Settings take spaces (a
// string may hold them); the data size and hostname do not.
func (w *Wizard) typeRune(r rune) {
	limit, lowest := maxInput, '!'
	if w.field >= settingFields {
		limit, lowest = maxSettingInput, ' '
	}
	if r >= lowest && r < 0x7f && len(w.edit[w.field]) < limit {
		w.edit[w.field] = append(w.edit[w.field], r)
		w.errs[w.field] = ""
	}
}

// saveAdvanced takes the fields' values, or marks every field that is
// wrong, goes to the first and says why in the note.
func (w *Wizard) saveAdvanced() {
	opts, errs := w.parseAdvanced()
	w.errs = errs
	for i, e := range errs {
		if e != "" {
			w.field, w.note = i, w.fieldLabel(i)+": "+e
			return
		}
	}
	w.opts = opts
	cursor := w.cursor
	w.goTo(ScreenDisks)
	w.cursor = cursor
	w.note = "Options saved."
}

// parseAdvanced reads every field; errs[i] says what is wrong with
// field i, or is "".
func (w *Wizard) parseAdvanced() (Options, []string) {
	errs := make([]string, len(w.edit))
	// The Secure Boot choice is the secure-boot screen's; keep it.
	opts := Options{Settings: make(map[string]setting.Value, len(w.machine.Settings)),
		EnrollKeys: w.opts.EnrollKeys, MicrosoftKeys: w.opts.MicrosoftKeys}
	opts.DataSize, errs[fieldDataSize] = w.parseDataSize(string(w.edit[fieldDataSize]))
	opts.Hostname, errs[fieldHostname] = parseHostname(string(w.edit[fieldHostname]))
	for i, d := range w.machine.Settings {
		v, msg := parseSetting(d, string(w.edit[settingFields+i]))
		if msg != "" {
			errs[settingFields+i] = msg
			continue
		}
		opts.Settings[d.Name] = v
	}
	return opts, errs
}

func (w *Wizard) parseDataSize(text string) (int64, string) {
	text = strings.TrimSpace(text)
	if text == "" || strings.EqualFold(text, answers.DataSizeRest) {
		return 0, ""
	}
	n, err := answers.ParseSize(text)
	if err != nil {
		return 0, err.Error()
	}
	if c, ok := w.highlighted(); ok {
		if msg := w.checkDataSize(c, n); msg != "" {
			return 0, msg
		}
	}
	return n, ""
}

func parseHostname(text string) (string, string) {
	host := strings.ToLower(strings.TrimSpace(text))
	if host == "" {
		return "", ""
	}
	if msg := answers.CheckHostname(host); msg != "" {
		return "", msg
	}
	return host, ""
}

// parseSetting reads what was typed for d. The field starts with the
// value in effect (the default, until another is saved), so emptying it
// means something: the empty value of a string or a list, a mistake for
// an int or a bool, and for a setting without default no value, which
// the install cannot go without.
func parseSetting(d setting.Decl, text string) (setting.Value, string) {
	if strings.TrimSpace(text) == "" {
		switch {
		case d.Default == nil:
			return setting.Value{}, "needs a value: the product has no default for it"
		case d.Type == setting.TypeInt || d.Type == setting.TypeBool:
			return setting.Value{}, fmt.Sprintf("empty: type %s (the default is %s)", typeHint(d.Type), displayValue(*d.Default))
		}
	}
	v, err := setting.Parse(d.Type, text)
	if err != nil {
		return setting.Value{}, err.Error()
	}
	return v, ""
}

func (w *Wizard) fieldLabel(i int) string {
	switch i {
	case fieldDataSize:
		return "Data partition size"
	case fieldHostname:
		return "Hostname"
	}
	return "Setting " + w.machine.Settings[i-settingFields].Name
}

// missingSettings are the settings without a value, in declaration
// order.
func (w *Wizard) missingSettings() []string {
	var names []string
	for _, d := range w.machine.Settings {
		if _, ok := w.opts.Settings[d.Name]; !ok {
			names = append(names, d.Name)
		}
	}
	return names
}

// needValues says which settings need a value.
func needValues(names []string) string {
	if len(names) == 1 {
		return "Setting " + names[0] + " needs a value"
	}
	return "Settings " + strings.Join(names, ", ") + " need values"
}

// checkDataSize returns why size does not fit on c, or "".
func (w *Wizard) checkDataSize(c installplan.Candidate, size int64) string {
	if size == 0 || w.maxData == nil {
		return ""
	}
	max, err := w.maxData(c)
	if err != nil {
		return err.Error()
	}
	if size > max {
		// MiB, rounded down, so the figure can be typed back as it is.
		return fmt.Sprintf("A data partition of %s does not fit on this disk: at most %dMiB.",
			answers.FormatSize(size), max>>20)
	}
	return ""
}

func (w *Wizard) advancedView(v *view.View) {
	v.Heading = "Advanced options"
	if c, ok := w.highlighted(); ok {
		v.Body = append(v.Body, view.Line{Text: "For disk " + c.Describe(), Style: view.Dim})
	}
	if w.hasRequired() {
		v.Body = append(v.Body, view.Line{Text: "Settings marked * have no default: each needs a value."})
	}
	v.Fields = make([]view.Field, len(w.edit))
	v.Fields[fieldDataSize] = view.Field{Label: "Data partition size", Help: `empty or "rest" for the rest of the disk, or e.g. 20GiB`}
	v.Fields[fieldHostname] = view.Field{Label: "Hostname", Help: "empty derives one from the machine"}
	for i, d := range w.machine.Settings {
		f := view.Field{Label: d.Name, Help: settingHelp(d)}
		if d.Default == nil {
			f.Label += " *"
		}
		v.Fields[settingFields+i] = f
	}
	for i := range v.Fields {
		v.Fields[i].Value, v.Fields[i].Active, v.Fields[i].Error = string(w.edit[i]), i == w.field, w.errs[i]
	}
	v.Hint = "Up/Down field  type to edit  Enter save  Esc cancel"
}

func (w *Wizard) hasRequired() bool {
	for _, d := range w.machine.Settings {
		if d.Default == nil {
			return true
		}
	}
	return false
}

// settingHelp is the line under a setting's field: its description,
// type and default.
func settingHelp(d setting.Decl) string {
	about := typeHint(d.Type)
	if d.Default != nil {
		about += ", default " + displayValue(*d.Default)
	} else {
		about += ", no default"
	}
	if d.Description == "" {
		return about
	}
	return d.Description + " (" + about + ")"
}

func typeHint(t setting.Type) string {
	switch t {
	case setting.TypeInt:
		return "a whole number"
	case setting.TypeBool:
		return "true or false"
	case setting.TypeList:
		return "a list, comma-separated"
	}
	return "text"
}

// displayValue shows a value to people: text as it is ("" when empty),
// a list in brackets.
func displayValue(v setting.Value) string {
	switch {
	case v.Type == setting.TypeList:
		return "[" + strings.Join(v.List, ", ") + "]"
	case v.Type == setting.TypeString && v.Text == "":
		return `""`
	}
	return v.String()
}

// settingsSummary lists the settings' values for the disks and
// confirmation screens; "" when the product has none.
func (w *Wizard) settingsSummary() string {
	if len(w.machine.Settings) == 0 {
		return ""
	}
	parts := make([]string, len(w.machine.Settings))
	for i, d := range w.machine.Settings {
		v, ok := w.opts.Settings[d.Name]
		if !ok {
			parts[i] = d.Name + " (needs a value)"
			continue
		}
		parts[i] = d.Name + " " + displayValue(v)
	}
	return "Settings: " + strings.Join(parts, ", ")
}
