package route53test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// credentialRE extracts the access key ID from a SigV4 Authorization header.
var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/`)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /2013-04-01/hostedzonesbyname", s.op(OpListHostedZonesByName, s.listHostedZonesByName))
	mux.Handle("GET /2013-04-01/hostedzone/{id}/rrset", s.op(OpListResourceRecordSets, s.listResourceRecordSets))
	mux.Handle("POST /2013-04-01/hostedzone/{id}/rrset", s.op(OpChangeResourceRecordSets, s.changeResourceRecordSets))
	mux.Handle("GET /2013-04-01/change/{id}", s.op(OpGetChange, s.getChange))
	mux.Handle("POST /{$}", s.op(OpAssumeRole, s.assumeRole))
	return mux
}

// handler answers one operation with a response document or an error; it
// is called with s.mu held.
type handler func(r *http.Request, body []byte) (any, *apiError)

// op counts the call, requires an Authorization header, applies injected
// failures and writes the XML answer.
func (s *Server) op(op Op, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.seq++
		reqID := fmt.Sprintf("route53test-%d", s.seq)
		s.calls[op]++
		out, aerr := s.serveLocked(op, h, r, body)
		w.Header().Set("X-Amzn-Requestid", reqID)
		w.Header().Set("Content-Type", "text/xml")
		if aerr != nil {
			e := errorResponse{Xmlns: route53NS, RequestID: reqID}
			if op == OpAssumeRole {
				e.Xmlns = stsNS
			}
			e.Error.Type, e.Error.Code, e.Error.Message = "Sender", aerr.code, aerr.message
			if aerr.status >= 500 {
				e.Error.Type = "Receiver"
			}
			w.WriteHeader(aerr.status)
			writeXML(w, e)
			return
		}
		writeXML(w, out)
	})
}

func (s *Server) serveLocked(op Op, h handler, r *http.Request, body []byte) (any, *apiError) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken", message: "Missing Authentication Token"}
	}
	if m := credentialRE.FindStringSubmatch(auth); m != nil && !slices.Contains(s.keyIDs, m[1]) {
		s.keyIDs = append(s.keyIDs, m[1])
	}
	if q := s.failures[op]; len(q) > 0 {
		s.failures[op] = q[1:]
		return nil, &q[0]
	}
	return h(r, body)
}

func writeXML(w io.Writer, v any) {
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

func maxItems(r *http.Request, def int) (int, *apiError) {
	v := r.URL.Query().Get("maxitems")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, invalidInput("Invalid value for maxitems: %q", v)
	}
	return n, nil
}

func (s *Server) listHostedZonesByName(r *http.Request, _ []byte) (any, *apiError) {
	q := r.URL.Query()
	dnsName, startID := q.Get("dnsname"), q.Get("hostedzoneid")
	if startID != "" && dnsName == "" {
		return nil, invalidInput("The DNS name is required when a hosted zone ID is specified")
	}
	limit, aerr := maxItems(r, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := listHostedZonesByNameResponse{Xmlns: route53NS, DNSName: dnsName, HostedZoneID: startID, MaxItems: limit}
	start := 0
	if dnsName != "" {
		name := canonical(dnsName)
		start = len(s.zones)
		for i, z := range s.zones {
			c := compareNames(z.name, name)
			if c > 0 || (c == 0 && z.id >= startID) {
				start = i
				break
			}
		}
	}
	for i := start; i < len(s.zones); i++ {
		z := s.zones[i]
		if len(out.HostedZones) == limit {
			out.IsTruncated, out.NextDNSName, out.NextHostedZoneID = true, z.name, z.id
			break
		}
		out.HostedZones = append(out.HostedZones, xmlHostedZone{
			ID: "/hostedzone/" + z.id, Name: z.name, CallerReference: "route53test-" + z.id,
			Config: xmlHostedZoneConfig{PrivateZone: z.private}, ResourceRecordSetCount: len(z.sets),
		})
	}
	return out, nil
}

func (s *Server) noSuchZone(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "NoSuchHostedZone", message: "No hosted zone found with ID: " + id}
}

func (s *Server) listResourceRecordSets(r *http.Request, _ []byte) (any, *apiError) {
	id := r.PathValue("id")
	z := s.zoneLocked(id)
	if z == nil {
		return nil, s.noSuchZone(id)
	}
	q := r.URL.Query()
	limit, aerr := maxItems(r, 300)
	if aerr != nil {
		return nil, aerr
	}
	name, typ := q.Get("name"), q.Get("type")
	if typ != "" && name == "" {
		return nil, invalidInput("The input is not valid: a record name is required when a type is specified")
	}
	out := listResourceRecordSetsResponse{Xmlns: route53NS, MaxItems: limit}
	var from rrKey
	if name != "" {
		from = rrKey{canonical(name), typ}
	}
	for _, k := range z.sortedKeys() {
		if name != "" && compareKeys(k, from) < 0 {
			continue
		}
		if len(out.ResourceRecordSets) == limit {
			out.IsTruncated, out.NextRecordName, out.NextRecordType = true, k.name, k.typ
			break
		}
		set := z.sets[k]
		ttl := set.ttl
		x := xmlRRSet{Name: k.name, Type: k.typ, TTL: &ttl}
		for _, v := range set.values {
			x.ResourceRecords = append(x.ResourceRecords, xmlResourceRecord{Value: v})
		}
		out.ResourceRecordSets = append(out.ResourceRecordSets, x)
	}
	return out, nil
}

func (s *Server) changeResourceRecordSets(r *http.Request, body []byte) (any, *apiError) {
	id := r.PathValue("id")
	z := s.zoneLocked(id)
	if z == nil {
		return nil, s.noSuchZone(id)
	}
	var req changeResourceRecordSetsRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, invalidInput("Invalid XML ; %v", err)
	}
	touched, aerr := applyBatch(z, req.ChangeBatch.Changes)
	if aerr != nil {
		return nil, aerr
	}
	if s.onChange != nil && !z.private {
		for _, k := range touched {
			s.onChange(k.name, txtTexts(z.sets[k].values))
		}
	}
	c := &changeState{
		id:          fmt.Sprintf("C%012d", s.seq),
		submittedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		comment:     req.ChangeBatch.Comment,
		pendingLeft: s.pendingPolls,
	}
	s.changes[c.id] = c
	return changeResourceRecordSetsResponse{Xmlns: route53NS, ChangeInfo: c.info("PENDING")}, nil
}

func (c *changeState) info(status string) xmlChangeInfo {
	return xmlChangeInfo{ID: "/change/" + c.id, Status: status, SubmittedAt: c.submittedAt, Comment: c.comment}
}

func (s *Server) getChange(r *http.Request, _ []byte) (any, *apiError) {
	id := r.PathValue("id")
	c, ok := s.changes[id]
	if !ok {
		return nil, &apiError{status: http.StatusNotFound, code: "NoSuchChange", message: "A change with the specified change ID does not exist: " + id}
	}
	status := "INSYNC"
	switch {
	case c.pendingLeft < 0:
		status = "PENDING"
	case c.pendingLeft > 0:
		c.pendingLeft--
		status = "PENDING"
	}
	return getChangeResponse{Xmlns: route53NS, ChangeInfo: c.info(status)}, nil
}

// assumeRole answers STS AssumeRole (awsquery protocol) with temporary
// credentials whose access key ID is "ASIATEST" plus a sequence number.
func (s *Server) assumeRole(r *http.Request, body []byte) (any, *apiError) {
	form, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil || form.Get("Action") != "AssumeRole" {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidAction", message: "route53test answers only STS AssumeRole on /"}
	}
	role := form.Get("RoleArn")
	if role == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "ValidationError", message: "RoleArn is required"}
	}
	s.roles = append(s.roles, role)
	var out assumeRoleResponse
	out.Xmlns = stsNS
	c := &out.AssumeRoleResult.Credentials
	c.AccessKeyID = fmt.Sprintf("ASIATEST%d", len(s.roles))
	c.SecretAccessKey = "route53test-temporary-secret"
	c.SessionToken = "route53test-session-token"
	c.Expiration = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	out.AssumeRoleResult.AssumedRoleUser.Arn = role + "/" + form.Get("RoleSessionName")
	out.AssumeRoleResult.AssumedRoleUser.AssumedRoleID = "AROATEST:" + form.Get("RoleSessionName")
	out.ResponseMetadata.RequestID = fmt.Sprintf("route53test-%d", s.seq)
	return out, nil
}
