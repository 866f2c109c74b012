package order

// readsChallenges reports whether a decision on o can read its
// Challenges, so a visit lists them only then: a valid order cleans them
// up, and a pending one at the CA creates, waits for or fails on them once
// its authorizations are read and no finalize is on record. Before that
// (the round right after newOrder, whose authorizations are not read yet)
// step decides without them: a List per issuance read nothing.
func readsChallenges(o *Order) bool {
	st := &o.Status
	switch st.State {
	case StateValid:
		return true
	case StateUnknown, StatePending:
	case StateReady, StateProcessing, StateInvalid, StateExpired, StateErrored:
		return false
	}
	if st.URL == "" || st.Finalizing {
		return false
	}
	for _, az := range st.Authorizations {
		if az.InitialState == StateUnknown {
			return false
		}
	}
	return true
}
