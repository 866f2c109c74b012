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

// printFetch prints, over the runs after the first that have the CA's
// HTTP-01 fetches on their timeline (certflow's; a CA may fetch from
// several places, Pebble does from three), the median time from the
// accept's answer to the CA's first and last fetch of the answer, and from
// the end of the last fetch before the look at the authorization that
// found the verdict to that look: how much later than the earliest moment
// it could be seen the verdict was looked for.
func printFetch(sb *strings.Builder, name string, runs [][]tlEvent) {
	var toFirst, toLast, toVerdict []time.Duration
	for r, evs := range runs {
		if r == 0 {
			continue
		}
		var accepted, first, last, lastBefore, verdict time.Duration
		for _, e := range evs {
			switch {
			case strings.HasPrefix(e.what, "ACME /chalZ"):
				accepted = e.end
			case strings.HasPrefix(e.what, "HTTP-01 ") && accepted > 0 && e.begin >= accepted:
				if first == 0 {
					first = e.end
				}
				last = e.end
			case strings.HasPrefix(e.what, "ACME /authZ") && first > 0:
				verdict, lastBefore = e.begin, last // the last look before the finalize
			case strings.HasPrefix(e.what, "ACME /finalize-order"):
				if verdict > 0 {
					toFirst = append(toFirst, first-accepted)
					toLast = append(toLast, lastBefore-accepted)
					toVerdict = append(toVerdict, verdict-lastBefore)
				}
			}
		}
	}
	if len(toFirst) > 0 {
		fmt.Fprintf(sb, "%s CA's HTTP-01 fetches (median ms over %d runs): accept answered→first %.2f, →last %.2f | last→the look that saw the verdict %.2f\n",
			name, len(toFirst), ms(median(toFirst)), ms(median(toLast)), ms(median(toVerdict)))
	}
}
