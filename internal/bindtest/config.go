package bindtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeFiles writes the key, named.conf and one file per zone, and returns
// named.conf's path.
func (s *Server) writeFiles(opts Options) (string, error) {
	zonesDir := filepath.Join(s.Dir, "zones")
	if err := os.MkdirAll(zonesDir, 0o755); err != nil {
		return "", err
	}
	keyName := strings.TrimSuffix(s.KeyName, ".")
	keyPath := filepath.Join(s.Dir, "tsig.key")
	key := fmt.Sprintf("key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", keyName, strings.TrimSuffix(s.Algorithm, "."), s.Secret)
	if err := os.WriteFile(keyPath, []byte(key), 0o600); err != nil {
		return "", err
	}

	var conf strings.Builder
	fmt.Fprintf(&conf, "include %q;\n", keyPath)
	fmt.Fprintf(&conf, `options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	managed-keys-directory %q;
	listen-on port %d { %s; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { 127.0.0.0/8; };
	allow-transfer { none; };
	notify no;
	dnssec-validation no;
};
controls { };
`, zonesDir, filepath.Join(s.Dir, "named.pid"), filepath.Join(s.Dir, "session.key"), zonesDir, s.Port, s.IP)

	zones := opts.Zones
	if len(zones) == 0 {
		zones = []Zone{{Name: "example.test"}}
	}
	for _, z := range zones {
		name := strings.TrimSuffix(strings.ToLower(z.Name), ".")
		file := name + ".db"
		policy := ""
		if !z.ReadOnly {
			policy = fmt.Sprintf(" update-policy { grant %s zonesub TXT; };", keyName)
		}
		fmt.Fprintf(&conf, "zone %q { type primary; file %q;%s };\n", name, file, policy)
		if err := os.WriteFile(filepath.Join(zonesDir, file), []byte(zoneFile(name, z, s.IP)), 0o644); err != nil {
			return "", err
		}
	}
	confPath := filepath.Join(s.Dir, "named.conf")
	return confPath, os.WriteFile(confPath, []byte(conf.String()), 0o644)
}

// zoneFile renders a zone: an in-zone NS must have an address record or
// named refuses to load the zone.
func zoneFile(name string, z Zone, ip string) string {
	ns := z.NS
	if len(ns) == 0 {
		ns = []string{"ns1"}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s.\n$TTL 60\n", name)
	fmt.Fprintf(&b, "@ IN SOA %s.%s. hostmaster.%s. ( 1 60 60 600 60 )\n", ns[0], name, name)
	for _, n := range ns {
		fmt.Fprintf(&b, "@ IN NS %s.%s.\n", n, name)
	}
	for _, n := range ns {
		addr := ip
		if a, ok := z.NSAddrs[n]; ok {
			addr = a
		}
		fmt.Fprintf(&b, "%s IN A %s\n", n, addr)
	}
	for _, r := range z.Records {
		b.WriteString(r + "\n")
	}
	return b.String()
}
