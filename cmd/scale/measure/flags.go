package measure

import (
	"flag"
	"time"
)

// Flags registers the options every scale program shares on fs, with the
// program's own default count and restart-after; the Store's location
// stays each program's own.
func (o *Options) Flags(fs *flag.FlagSet, certs int, restartAfter bool) {
	fs.IntVar(&o.Certs, "n", certs, "number of Certificates")
	fs.BoolVar(&o.RestartOnly, "restart", false, "only measure a restart on a Store already holding -n issued Certificates")
	fs.BoolVar(&o.Restart, "restart-after", restartAfter, "after issuing and idling, restart the Manager on the same Store and measure it")
	fs.BoolVar(&o.StopAtServed, "stop-at-served", false, "end the restart once every name is served: the work after it, the Ready count and the idle window after it are not measured (seconds instead of minutes at 100k)")
	fs.DurationVar(&o.Idle, "idle", 30*time.Second, "how long to watch the idle Manager")
	fs.DurationVar(&o.Quiet, "quiet", 2*time.Second, "a spell without Store calls or Manager backlog that ends the work after issuance or restart")
	fs.DurationVar(&o.ReadyTimeout, "timeout", 30*time.Minute, "bound on issuing everything, and on serving everything after a restart")
	fs.IntVar(&o.Workers, "workers", 0, "Manager workers (0: the default)")
	fs.DurationVar(&o.IdleWake, "idle-wake", time.Second, "how often the idle window wakes the process; -1s: never (the scavenger then waits for the runtime's system monitor, up to a minute: see Options.IdleWake)")
	fs.DurationVar(&o.Settle, "settle", 0, "after the idle window, wait until the process is steady (a collection passed, then the scavenger returned nothing and RSS held for this long; under 2m) and measure a second, steady window of -idle; 0: no steady window")
	fs.DurationVar(&o.SettleMax, "settle-max", 30*time.Minute, "bound on the wait for the steady state")
	fs.DurationVar(&o.EventMaxAge, "event-max-age", 0, "the Manager's EventMaxAge (0: its default, an hour); below -idle, the idle heap is measured with the issuance's Events deleted")
}
