// Package serve answers TLS handshakes and ACME HTTP-01 requests from the
// certificates and challenges a Manager feeds it.
//
// A Cache indexes parsed certificates by name in a hash table that one
// writer changes in place while handshakes read it without locks: a Secret
// change costs O(its names) however many are loaded (100k Secrets load in
// the time it takes to parse their certificates; Apply leaves each key to
// its first handshake), each name switches from one certificate
// to the next atomically, and Cache.GetCertificate — called on every TLS
// handshake — takes no lock and allocates nothing on a hit, whatever the
// case of the server name. Every change is served when the call making it
// returns: there is nothing to flush. The same Cache holds the pending
// HTTP-01 and TLS-ALPN-01 (RFC 8737) challenges: it answers "acme-tls/1"
// handshakes with the challenge certificate, and, as a TokenSource, lets
// HTTPHandler answer /.well-known/acme-challenge/ requests.
// Because the Manager feeds the Cache from its Store watch, every replica
// sharing a Store answers every challenge.
//
// Updates are ordered by ResourceVersion (a delete by the store revision it
// happened at, DeleteSecretAt and DeleteChallengeAt): reads reach the Cache
// from several goroutines, and one that was slow to arrive is ignored rather
// than applied over a newer one, so a stale watch read never un-serves a
// challenge the CA is validating.
//
// Typical wiring (the Manager does this and delegates to the Cache):
//
//	c := serve.NewCache(serve.Options{DefaultName: "example.com"})
//	_ = c.Apply(secrets, nil)       // initial load
//	_ = c.PutSecret(s)              // on every Secret watch event
//	_ = c.PutChallenge(ch)          // on every Challenge watch event
//	c.DeleteChallengeAt(ref, rev)   // on a Challenge's delete event
//	srv := &http.Server{TLSConfig: c.TLSConfig()}
//	go http.ListenAndServe(":80", serve.HTTPHandler(c, nil))
package serve
