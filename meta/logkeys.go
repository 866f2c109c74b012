package meta

// Attribute names of certflow's structured log lines, stable across
// releases; docs/logging.md says what each line carries. A resource is
// named by its kind's attribute with "namespace/name" as the value (just
// "name" for a ClusterIssuer), so one filter on certificate=default/www
// finds the lines of that Certificate and of every resource below it.
const (
	LogCertificate = "certificate"
	LogRequest     = "request"
	LogOrder       = "order"
	LogChallenge   = "challenge"
	// LogIssuer names the issuer a resource uses (or the issuer itself);
	// LogIssuerKind says Issuer or ClusterIssuer.
	LogIssuer     = "issuer"
	LogIssuerKind = "issuer_kind"
	// LogSecret names a Certificate's Secret.
	LogSecret = "secret"
	// LogIdentifier is the DNS name or IP address a Challenge proves
	// control of ("*.example.com" for a wildcard); LogIdentifiers lists a
	// Certificate's or an Order's names, comma-separated.
	LogIdentifier  = "identifier"
	LogIdentifiers = "identifiers"
	// LogChallengeType is http-01, dns-01 or tls-alpn-01.
	LogChallengeType = "challenge_type"
	// LogReason is the CamelCase reason of the change (the Event reason).
	LogReason = "reason"
	// LogState is the resource's state after the change: an ACME state
	// for Orders and Challenges, the Ready condition's status otherwise.
	LogState = "state"
	// LogRevision is a Certificate's revision (1 for the first issuance)
	// or the one a CertificateRequest asks for.
	LogRevision = "revision"
	// LogTrigger is why a Certificate is being issued (its Issuing
	// condition's reason: DoesNotExist, Renewing, ManuallyTriggered, …).
	LogTrigger = "trigger"
	// LogNotAfter is when an issued certificate expires (RFC 3339).
	LogNotAfter = "not_after"
	// LogProblemType and LogProblemDetail are the CA's RFC 7807 problem
	// behind a failure, when the CA sent one.
	LogProblemType   = "problem_type"
	LogProblemDetail = "problem_detail"
	// LogKind, LogNamespace and LogName name an object of any kind in
	// the Manager's own lines (a failed reconcile, a Store problem).
	LogKind      = "kind"
	LogNamespace = "namespace"
	LogName      = "name"
	// LogOwner is the owner (Kind/namespace/name) found gone in the
	// Manager's lines about collecting what it owned.
	LogOwner = "owner"
	// LogAttempt numbers a try of a step the Manager makes again (1 for
	// the first) in its lines about the try that failed.
	LogAttempt = "attempt"
	// LogError is the error of a failed step; it never holds a secret.
	LogError = "err"
)
