package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// AppJSONFile is Heroku's app manifest.
const AppJSONFile = "app.json"

// AppJSON is what Slipway takes from app.json: Heroku's schema plus Dokku's healthchecks and cron.
type AppJSON struct {
	// Name is the title Heroku's Deploy button shows ("Start on Heroku: Go"); it does not
	// name the app (see App.Name).
	Name string
	// Stack is Heroku's stack: "container" for an app Heroku builds from heroku.yml's
	// Dockerfiles, a buildpack stack ("heroku-24") otherwise; "" when not given.
	Stack      string
	Env        map[string]Var
	Formation  map[string]Formation
	PostDeploy string
	// Healthchecks are Dokku's per-process checks, keyed by process type.
	Healthchecks map[string][]DokkuCheck
	Cron         []DokkuCron
	Warnings     []Warning
}

// Formation is an initial quantity and size for a process type.
type Formation struct {
	Quantity *int
	Size     string
}

// DokkuCheck is one entry of Dokku's app.json healthchecks.
type DokkuCheck struct {
	Type         string   `json:"type"` // startup, liveness or readiness
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Path         string   `json:"path"`
	Port         int      `json:"port"`
	Scheme       string   `json:"scheme"`
	Command      []string `json:"command"`
	Listening    bool     `json:"listening"`
	Attempts     int      `json:"attempts"`
	InitialDelay int      `json:"initialDelay"`
	Timeout      int      `json:"timeout"`
	Wait         int      `json:"wait"`
	Content      string   `json:"content"`
	Uptime       int      `json:"uptime"`
	Warn         bool     `json:"warn"`
	HTTPHeaders  []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"httpHeaders"`
}

// DokkuCron is one entry of Dokku's app.json cron.
type DokkuCron struct {
	Command           string `json:"command"`
	Schedule          string `json:"schedule"`
	ConcurrencyPolicy string `json:"concurrency_policy"`
	// Maintenance suspends the task.
	Maintenance bool `json:"maintenance"`
}

// ParseAppJSON decodes app.json. Syntax errors carry line and column; schema errors name the
// field. Deviations real files have (booleans or numbers as env values, empty scripts, legacy
// formation arrays) are accepted with a warning.
func ParseAppJSON(data []byte, file string) (*AppJSON, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(file, data, err)
	}
	if top == nil {
		return nil, &FileError{File: file, Msg: "expected a JSON object at the top level"}
	}
	a := &AppJSON{Env: map[string]Var{}, Formation: map[string]Formation{}, Healthchecks: map[string][]DokkuCheck{}}
	warn := func(format string, args ...any) {
		a.Warnings = append(a.Warnings, Warning{File: file, Message: fmt.Sprintf(format, args...)})
	}
	fail := func(field, format string, args ...any) error {
		return &FileError{File: file, Msg: field + ": " + fmt.Sprintf(format, args...)}
	}
	if raw, ok := top["name"]; ok {
		if err := json.Unmarshal(raw, &a.Name); err != nil {
			return nil, fail("name", "expected a string, got %s", jsonKind(raw))
		}
	}
	if raw, ok := top["stack"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &a.Stack); err != nil {
			warn("stack is %s, not a stack's name; ignored", jsonKind(raw))
		}
		a.Stack = strings.TrimSpace(a.Stack)
	}
	if raw, ok := top["env"]; ok && !isNull(raw) {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, fail("env", "expected an object of NAME: value or NAME: {value, required, generator, description}, got %s", jsonKind(raw))
		}
		for _, name := range sortedKeys(env) {
			v, err := parseEnvVar(name, env[name], warn)
			if err != nil {
				return nil, fail("env."+name, "%v", err)
			}
			a.Env[name] = v
		}
	}
	if raw, ok := top["formation"]; ok && !isNull(raw) {
		f, err := parseFormation(raw, warn)
		if err != nil {
			return nil, fail("formation", "%v", err)
		}
		a.Formation = f
	}
	if raw, ok := top["scripts"]; ok && !isNull(raw) {
		var scripts map[string]json.RawMessage
		if err := json.Unmarshal(raw, &scripts); err != nil {
			return nil, fail("scripts", "expected an object, got %s", jsonKind(raw))
		}
		if pd, ok := scripts["postdeploy"]; ok {
			s, err := scriptString(pd)
			if err != nil {
				return nil, fail("scripts.postdeploy", "%v", err)
			}
			if strings.TrimSpace(s) == "" {
				warn("scripts.postdeploy is empty; ignored")
			}
			a.PostDeploy = strings.TrimSpace(s)
		}
		for _, k := range sortedKeys(scripts) {
			if k != "postdeploy" {
				warn("scripts.%s is not used by Slipway (only postdeploy is)", k)
			}
		}
	}
	if raw, ok := top["healthchecks"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &a.Healthchecks); err != nil {
			return nil, fail("healthchecks", "%v (expected Dokku's shape: {\"web\": [{\"type\": \"startup\", \"path\": \"/healthz\", …}]})", jsonDecodeMsg(err))
		}
		for _, proc := range sortedKeys(a.Healthchecks) {
			for i, c := range a.Healthchecks[proc] {
				switch c.Type {
				case "startup", "liveness", "readiness":
				case "":
					return nil, fail(fmt.Sprintf("healthchecks.%s[%d].type", proc, i), "missing: one of startup, liveness, readiness")
				default:
					return nil, fail(fmt.Sprintf("healthchecks.%s[%d].type", proc, i), "%q is not one of startup, liveness, readiness", c.Type)
				}
				if c.Content != "" || len(c.HTTPHeaders) > 0 || c.Uptime > 0 {
					warn("healthchecks.%s[%d]: content, httpHeaders and uptime have no Kubernetes probe equivalent; ignored", proc, i)
				}
			}
		}
	}
	for _, k := range []string{"addons", "buildpacks"} {
		if raw, ok := top[k]; ok && !isNull(raw) && string(bytes.TrimSpace(raw)) != "[]" {
			what := map[string]string{
				"addons":     "addons are Heroku add-ons; provision them yourself and set their URLs as config vars",
				"buildpacks": "buildpacks are not run: where Heroku builds with buildpacks, Slipway builds with its own Dockerfile, generated for the language it detects",
			}[k]
			warn("%s", what)
		}
	}
	if raw, ok := top["environments"]; ok && !isNull(raw) {
		// Heroku reads these only for review apps and CI; their env, formation and scripts
		// would otherwise look as if they applied.
		var envs map[string]json.RawMessage
		if json.Unmarshal(raw, &envs) == nil && len(envs) > 0 {
			warn("environments (%s) are Heroku review-app and CI overrides; ignored (per-environment settings go in %s)", strings.Join(sortedKeys(envs), ", "), ManifestFile)
		}
	}
	if raw, ok := top["cron"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &a.Cron); err != nil {
			return nil, fail("cron", "%v (expected Dokku's shape: [{\"command\": \"…\", \"schedule\": \"0 * * * *\"}])", jsonDecodeMsg(err))
		}
		for i, c := range a.Cron {
			if strings.TrimSpace(c.Command) == "" {
				return nil, fail(fmt.Sprintf("cron[%d].command", i), "empty")
			}
			if err := checkSchedule(c.Schedule); err != nil {
				return nil, fail(fmt.Sprintf("cron[%d].schedule", i), "%v", err)
			}
			switch strings.ToLower(c.ConcurrencyPolicy) {
			case "", "allow", "forbid", "replace":
			default:
				return nil, fail(fmt.Sprintf("cron[%d].concurrency_policy", i), "%q is not one of allow, forbid, replace", c.ConcurrencyPolicy)
			}
		}
	}
	return a, nil
}

func parseEnvVar(name string, raw json.RawMessage, warn func(string, ...any)) (Var, error) {
	v := Var{Name: name}
	if err := CheckVarName(name); err != nil {
		return v, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return v, errors.New(jsonDecodeMsg(err))
		}
		for _, k := range sortedKeys(obj) {
			val := obj[k]
			switch k {
			case "description":
				_ = json.Unmarshal(val, &v.Description)
			case "value":
				s, ok, err := scalarString(val)
				if err != nil {
					return v, fmt.Errorf("value: %v", err)
				}
				if !ok {
					warn("env.%s.value is %s; used as a string of the same text (config vars are strings; quote it to say so)", name, jsonType(val))
				}
				v.Value, v.HasValue = s, true
			case "required":
				b, err := looseBool(val)
				if err != nil {
					return v, fmt.Errorf("required: %v", err)
				}
				v.Required = b
			case "generator":
				var g string
				if err := json.Unmarshal(val, &g); err != nil || g != "secret" {
					return v, fmt.Errorf("generator: only \"secret\" is supported, got %s", string(val))
				}
				v.Generate = true
			default:
				warn("env.%s.%s is not part of app.json's schema; ignored", name, k)
			}
		}
		if !v.HasValue && !v.Generate {
			// Heroku: a var with no value and no generator is required unless said otherwise.
			if _, said := obj["required"]; !said {
				v.Required = true
			}
		}
		return v, nil
	}
	s, ok, err := scalarString(raw)
	if err != nil {
		return v, err
	}
	if !ok {
		warn("env.%s is %s; used as a string of the same text (config vars are strings; quote it to say so)", name, jsonType(raw))
	}
	v.Value, v.HasValue = s, true
	return v, nil
}

// scalarString turns a JSON string, boolean or number into its string form; ok is false
// when it was not a string.
func scalarString(raw json.RawMessage) (s string, ok bool, err error) {
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return "", false, errors.New(jsonDecodeMsg(err))
	}
	switch t := x.(type) {
	case string:
		return t, true, nil
	case bool:
		return strconv.FormatBool(t), false, nil
	case float64:
		return strings.TrimSpace(string(raw)), false, nil
	case nil:
		return "", false, nil
	}
	return "", false, fmt.Errorf("expected a string, got %s", jsonType(raw))
}

func looseBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if b, err := strconv.ParseBool(s); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("expected true or false, got %s", string(raw))
}

func parseFormation(raw json.RawMessage, warn func(string, ...any)) (map[string]Formation, error) {
	type entry struct {
		Process  string          `json:"process"`
		Type     string          `json:"type"`
		Quantity json.RawMessage `json:"quantity"`
		Size     string          `json:"size"`
	}
	out := map[string]Formation{}
	add := func(name string, e entry) error {
		f := Formation{Size: strings.ToLower(strings.TrimSpace(e.Size))}
		if len(e.Quantity) > 0 && !isNull(e.Quantity) {
			var q int
			if err := json.Unmarshal(e.Quantity, &q); err != nil {
				var s string
				if json.Unmarshal(e.Quantity, &s) != nil {
					return fmt.Errorf("%s.quantity: expected a whole number, got %s", name, string(e.Quantity))
				}
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil {
					return fmt.Errorf("%s.quantity: expected a whole number, got %s", name, string(e.Quantity))
				}
				warn("formation.%s.quantity is a string; used as %d", name, n)
				q = n
			}
			if q < 0 {
				return fmt.Errorf("%s.quantity: must not be negative, got %d", name, q)
			}
			f.Quantity = &q
		}
		out[name] = f
		return nil
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []entry
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errors.New(jsonDecodeMsg(err))
		}
		warn("formation is a list (the legacy shape); read as {\"type\": {\"quantity\": N, \"size\": …}}")
		for i, e := range list {
			name := e.Process
			if name == "" {
				name = e.Type
			}
			if name == "" {
				return nil, fmt.Errorf("[%d]: missing \"process\"", i)
			}
			if err := add(name, e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var m map[string]entry
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("expected {\"web\": {\"quantity\": 1, \"size\": \"standard-1x\"}}: %s", jsonDecodeMsg(err))
	}
	for _, name := range sortedKeys(m) {
		if err := add(name, m[name]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scriptString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	// Heroku also accepts {"command": "...", "size": "..."}.
	var obj struct {
		Command string `json:"command"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil {
		return obj.Command, nil
	}
	return "", fmt.Errorf("expected a command string, got %s", jsonKind(raw))
}

// checkSchedule accepts five-field cron expressions and the @ macros Kubernetes knows.
func checkSchedule(s string) error {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return errors.New("empty")
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
		return nil
	}
	fields := strings.Fields(s)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return fmt.Errorf("%q: put the time zone in slipway.yaml, not in the schedule", s)
	}
	if len(fields) != 5 {
		return fmt.Errorf("%q has %d fields; a schedule has 5 (minute hour day month weekday) or is @hourly, @daily, …", s, len(fields))
	}
	for _, f := range fields {
		if strings.Trim(f, "0123456789*/,-?#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
			return fmt.Errorf("%q: field %q has characters a cron schedule cannot have", s, f)
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonType names what raw is without quoting it: config values go through here.
func jsonType(raw json.RawMessage) string {
	k := jsonKind(raw)
	if i := strings.Index(k, " ("); i >= 0 {
		return k[:i]
	}
	return k
}

// jsonKind names what raw is, quoting it when it is a boolean or a number.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean (" + string(raw) + ")"
	case 'n':
		return "null"
	}
	return "a number (" + string(raw) + ")"
}

func jsonDecodeMsg(err error) string {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field != "" {
			return fmt.Sprintf("%s: expected %s, got a JSON %s", ute.Field, ute.Type, ute.Value)
		}
		return fmt.Sprintf("expected %s, got a JSON %s", ute.Type, ute.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonError locates a syntax error by line and column.
func jsonError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included: it is at Offset-1.
		pos := int(se.Offset) - 1
		if pos < 0 {
			pos = 0
		}
		line, col := lineCol(data, pos)
		return &FileError{File: file, Line: line, Msg: fmt.Sprintf("column %d: invalid JSON: %s", col, se.Error())}
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		line, _ := lineCol(data, int(ute.Offset))
		return &FileError{File: file, Line: line, Msg: "expected a JSON object at the top level, got " + ute.Value}
	}
	return &FileError{File: file, Msg: jsonDecodeMsg(err)}
}

func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
