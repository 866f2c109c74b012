package cli

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/certflow/certflow/meta"
)

// column is one column of `get`: a value read from the object's JSON
// form, as a CRD's additionalPrinterColumns reads it with a JSONPath, so
// the columns follow cert-manager's field names and not certflow's Go types.
type column struct {
	name string
	// wide columns appear with -o wide only.
	wide  bool
	value func(obj map[string]any, now time.Time) string
}

var ageColumn = column{name: "AGE", value: func(obj map[string]any, now time.Time) string {
	t, ok := timeAt(obj, "metadata", "creationTimestamp")
	if !ok {
		return "<unknown>"
	}
	return humanDuration(now.Sub(t))
}}

// lookup walks obj by member names.
func lookup(obj map[string]any, path ...string) (any, bool) {
	var v any = obj
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// scalar renders a JSON scalar; objects and lists render as "".
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func field(path ...string) func(map[string]any, time.Time) string {
	return func(obj map[string]any, _ time.Time) string {
		v, _ := lookup(obj, path...)
		return scalar(v)
	}
}

// condition reads a member of the condition of type t:
// .status.conditions[?(@.type=="Ready")].status.
func condition(t meta.ConditionType, member string) func(map[string]any, time.Time) string {
	return func(obj map[string]any, _ time.Time) string {
		conds, _ := lookup(obj, "status", "conditions")
		list, _ := conds.([]any)
		for _, c := range list {
			if cm, ok := c.(map[string]any); ok && cm["type"] == string(t) {
				return scalar(cm[member])
			}
		}
		return ""
	}
}

// timestamp renders a time member in RFC 3339, UTC, to the second.
func timestamp(path ...string) func(map[string]any, time.Time) string {
	return func(obj map[string]any, _ time.Time) string {
		t, ok := timeAt(obj, path...)
		if !ok {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
}

func timeAt(obj map[string]any, path ...string) (time.Time, bool) {
	v, _ := lookup(obj, path...)
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// count is the number of members of an object (a Secret's data keys).
func count(path ...string) func(map[string]any, time.Time) string {
	return func(obj map[string]any, _ time.Time) string {
		v, _ := lookup(obj, path...)
		m, _ := v.(map[string]any)
		return strconv.Itoa(len(m))
	}
}

// humanDuration renders an age as kubectl does (k8s.io/apimachinery's
// duration.HumanDuration): exact seconds up to two minutes, then minutes
// with seconds below ten minutes, minutes up to three hours, hours with
// minutes below eight hours, hours up to two days, days with hours below
// eight days, days up to two years, years with days below eight years,
// then years. Up to two seconds in the future (clock skew) reads 0s.
func humanDuration(d time.Duration) string {
	const day, year = 24 * time.Hour, 365 * 24 * time.Hour
	two := func(big time.Duration, bigUnit string, small time.Duration, smallUnit string) string {
		n, rest := d/big, (d%big)/small
		if rest == 0 {
			return strconv.Itoa(int(n)) + bigUnit
		}
		return strconv.Itoa(int(n)) + bigUnit + strconv.Itoa(int(rest)) + smallUnit
	}
	one := func(unit time.Duration, name string) string { return strconv.Itoa(int(d/unit)) + name }
	switch seconds := int(d.Seconds()); {
	case seconds < -1:
		return "<invalid>"
	case seconds < 0:
		return "0s"
	case d < 2*time.Minute:
		return one(time.Second, "s")
	case d < 10*time.Minute:
		return two(time.Minute, "m", time.Second, "s")
	case d < 3*time.Hour:
		return one(time.Minute, "m")
	case d < 8*time.Hour:
		return two(time.Hour, "h", time.Minute, "m")
	case d < 48*time.Hour:
		return one(time.Hour, "h")
	case d < 8*day:
		return two(day, "d", time.Hour, "h")
	case d < 2*year:
		return one(day, "d")
	case d < 8*year:
		return two(year, "y", day, "d")
	}
	return one(year, "y")
}
