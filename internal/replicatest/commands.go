package replicatest

import (
	"bufio"
	"encoding/json"
	"io"
)

// serveCommands reads the parent's commands from in, one JSON line each,
// applies them to held (nil for a replica without a Control) and
// acknowledges each once it is in effect. It returns when in ends: the
// parent closed it to stop the replica, or died.
func serveCommands(in io.Reader, held *heldStore, rep *reporter) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var cmd command
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			rep.send(Report{Type: ReportAck, Err: "bad command: " + err.Error()})
			continue
		}
		ack := Report{Type: ReportAck, Seq: cmd.Seq}
		if held == nil {
			ack.Err = ErrNotControlled.Error()
		} else {
			ack.Err = held.apply(cmd.Op)
		}
		rep.send(ack)
	}
	// A line too long for the scanner is no command of the parent's: the
	// rest of the input is still read, so that only its end stops the
	// replica.
	_, _ = io.Copy(io.Discard, in)
}
