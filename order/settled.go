package order

// stillSettled reports whether the Challenges prev listed are the Order's
// Challenges as the Store holds them still, once a round of the same visit
// made the Order valid, so that round cleans them up without listing them
// again (one List per issuance). It holds when every one of them was
// final and cleaned up: its reconciler writes it no more (a settled
// Challenge decides nothing), a deletion by anyone else makes the Order's
// delete find it gone, which counts as done, and any other writer's
// change makes that versioned delete fail with a conflict. No Challenge
// was added: only a decision on this Order creates one, after writing it
// or checking its version, and every round since the list wrote it.
func stillSettled(prev *snapshot) bool {
	if !prev.Listed {
		return false
	}
	for _, ch := range prev.Challenges {
		if !ch.Status.State.IsFinal() || !ch.Status.CleanedUp {
			return false
		}
	}
	return true
}
