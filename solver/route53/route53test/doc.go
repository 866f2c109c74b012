// Package route53test is an in-process stand-in for the AWS Route 53 API,
// for tests of code that drives Route 53 through aws-sdk-go-v2 without an AWS
// account.
//
// The Server speaks the REST/XML calls a DNS-01 solver makes —
// ListHostedZonesByName, ListResourceRecordSets, ChangeResourceRecordSets and
// GetChange — with Route 53's validation (CREATE fails on an existing set,
// DELETE must match the existing set exactly, TXT values must be quoted) and
// its error format (<ErrorResponse><Error><Type>Sender</Type><Code>…). It also
// answers STS AssumeRole on "/" so that role assumption can be exercised.
//
// Signatures are not verified, but every request must carry an Authorization
// header; the access key IDs seen are recorded so a test can assert which
// credentials were used.
//
// Point the SDK at it with the client option BaseEndpoint = Server.URL().
// Records written to public zones can be mirrored into a real DNS server
// (for instance acmetest's) with PublishTo or OnChange, so that a CA really
// validates them.
package route53test
