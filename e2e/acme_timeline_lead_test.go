package e2e

import (
	"fmt"
	"strings"
	"time"
)

// printLeads prints, over the runs after the first, the median time from
// the end of one decision (or ACME answer) to the start of the next ACME
// request, for the steps the challenge and the order take between them:
// present → accept (the self-check, the intent, the claim and the owner
// check) and the challenge's verdict → finalize (the clean-up, the hand-off
// to the Order, the finalize intent, its claim and owner check).
func printLeads(sb *strings.Builder, name string, runs [][]tlEvent) {
	leads := []struct {
		what, from, to string
	}{
		{"present→accept", "[present]", "ACME /chalZ"},
		{"verdict→finalize", "[clean up]", "ACME /finalize-order"},
		{"certificate→ready", "ACME /certZ", ""},
	}
	var out []string
	for _, l := range leads {
		var ds []time.Duration
		for r, evs := range runs {
			if r == 0 {
				continue
			}
			var from, to time.Duration
			found := false
			for _, e := range evs {
				if !found && strings.Contains(e.what, l.from) {
					from, found = e.end, true
					continue
				}
				if found && l.to != "" && strings.Contains(e.what, l.to) {
					to = e.begin
					break
				}
				if found && l.to == "" && e.end > to {
					to = e.end // the last event of the run
				}
			}
			if found && to > from {
				ds = append(ds, to-from)
			}
		}
		if len(ds) > 0 {
			out = append(out, fmt.Sprintf("%s %.2f", l.what, ms(median(ds))))
		}
	}
	if len(out) > 0 {
		fmt.Fprintf(sb, "%s leads (median ms): %s\n", name, strings.Join(out, " | "))
	}
}
