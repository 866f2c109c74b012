package challenge

// OwnersTrustedFor is ownersTrustedFor, for the tests that pin it.
const OwnersTrustedFor = ownersTrustedFor
