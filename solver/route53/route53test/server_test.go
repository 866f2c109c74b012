package route53test_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver/route53/route53test"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func client(srv *route53test.Server) *route53.Client {
	return route53.New(route53.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSERVERTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func txt(name string, ttl int64, values ...string) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeTxt, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func change(ctx context.Context, c *route53.Client, zoneID string, changes ...types.Change) error {
	_, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID),
		ChangeBatch:  &types.ChangeBatch{Changes: changes},
	})
	return err
}

func TestRequestsWithoutAuthorizationAreRefused(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, srv.URL()+"/2013-04-01/hostedzonesbyname", nil)
	require.NoError(t, err)

	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, string(body), "<Code>MissingAuthenticationToken</Code>")
	assert.Equal(t, 1, srv.Calls(route53test.OpListHostedZonesByName))
}

func TestChangeBatchValidation(t *testing.T) {
	const name = "_acme-challenge.example.com."
	upsert := func(rs *types.ResourceRecordSet) types.Change {
		return types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: rs}
	}
	tests := []struct {
		name    string
		changes []types.Change
		code    string
		message string
	}{
		{"create existing", []types.Change{{Action: types.ChangeActionCreate, ResourceRecordSet: txt(name, 60, `"a"`)}},
			"InvalidChangeBatch", "Tried to create resource record set [name='" + name + "', type='TXT'] but it already exists"},
		{"delete other values", []types.Change{{Action: types.ChangeActionDelete, ResourceRecordSet: txt(name, 60, `"b"`)}},
			"InvalidChangeBatch", "but the values provided do not match the current values"},
		{"delete other TTL", []types.Change{{Action: types.ChangeActionDelete, ResourceRecordSet: txt(name, 300, `"a"`)}},
			"InvalidChangeBatch", "but the values provided do not match the current values"},
		{"delete missing", []types.Change{{Action: types.ChangeActionDelete, ResourceRecordSet: txt("_x.example.com.", 60, `"a"`)}},
			"InvalidChangeBatch", "Tried to delete resource record set [name='_x.example.com.', type='TXT'] but it was not found"},
		{"unquoted TXT", []types.Change{upsert(txt(name, 60, "a"))},
			"InvalidChangeBatch", "InvalidCharacterString (Value should be enclosed in quotation marks)"},
		{"duplicate value", []types.Change{upsert(txt(name, 60, `"a"`, `"a"`))},
			"InvalidChangeBatch", `Duplicate Resource Record: '"a"'`},
		{"outside zone", []types.Change{upsert(txt("_acme-challenge.example.org.", 60, `"a"`))},
			"InvalidChangeBatch", "RRSet with DNS name _acme-challenge.example.org. is not permitted in zone example.com."},
		{"no TTL", []types.Change{upsert(&types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeTxt,
			ResourceRecords: []types.ResourceRecord{{Value: aws.String(`"a"`)}}})},
			"InvalidInput", "Expected exactly one of"},
		{"batch is atomic", []types.Change{upsert(txt("_ok.example.com.", 60, `"ok"`)), upsert(txt(name, 60, "bad"))},
			"InvalidChangeBatch", "Value should be enclosed in quotation marks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
			require.NoError(t, srv.Seed("ZEX", name, "TXT", 60, `"a"`))

			err := change(testCtx(t), client(srv), "ZEX", tt.changes...)

			var api smithy.APIError
			require.ErrorAs(t, err, &api)
			assert.Equal(t, tt.code, api.ErrorCode())
			assert.Contains(t, api.ErrorMessage(), tt.message)
			assert.Equal(t, []string{"a"}, srv.Records(name), "existing set untouched")
			assert.Empty(t, srv.Records("_ok.example.com."), "nothing of a failed batch applied")
		})
	}
}

func TestInvalidChangeBatchIsTheSDKsType(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})

	err := change(testCtx(t), client(srv), "ZEX", types.Change{Action: types.ChangeActionDelete, ResourceRecordSet: txt("_x.example.com.", 60, `"a"`)})

	var icb *types.InvalidChangeBatch
	require.ErrorAs(t, err, &icb)
	assert.Contains(t, icb.ErrorMessage(), "but it was not found")
}

func TestCreateUpsertDeleteRoundTrip(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	c, ctx := client(srv), testCtx(t)
	const name = "_acme-challenge.example.com."

	require.NoError(t, change(ctx, c, "ZEX", types.Change{Action: types.ChangeActionCreate, ResourceRecordSet: txt(name, 60, `"a"`)}))
	require.NoError(t, change(ctx, c, "ZEX", types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: txt(name, 120, `"a"`, `"b" "c"`)}))
	assert.Equal(t, []string{"a", "bc"}, srv.Records(name))
	require.NoError(t, change(ctx, c, "ZEX", types.Change{Action: types.ChangeActionDelete, ResourceRecordSet: txt(name, 120, `"b" "c"`, `"a"`)}))
	assert.Empty(t, srv.Records(name))
}

func TestListHostedZonesByNameOrderAndPaging(t *testing.T) {
	srv := route53test.NewServer(t,
		route53test.Zone{ID: "Z3", Name: "b.example.com"},
		route53test.Zone{ID: "Z1", Name: "example.com"},
		route53test.Zone{ID: "Z2", Name: "a.example.com"},
		route53test.Zone{ID: "Z4", Name: "example.net"},
	)
	c, ctx := client(srv), testCtx(t)

	out, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com"), MaxItems: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, out.HostedZones, 2)
	assert.Equal(t, "/hostedzone/Z1", aws.ToString(out.HostedZones[0].Id))
	assert.Equal(t, "example.com.", aws.ToString(out.HostedZones[0].Name))
	assert.Equal(t, "/hostedzone/Z2", aws.ToString(out.HostedZones[1].Id))
	require.True(t, out.IsTruncated)
	assert.Equal(t, "b.example.com.", aws.ToString(out.NextDNSName))

	out, err = c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId})
	require.NoError(t, err)
	require.Len(t, out.HostedZones, 2)
	assert.Equal(t, "b.example.com.", aws.ToString(out.HostedZones[0].Name))
	assert.Equal(t, "example.net.", aws.ToString(out.HostedZones[1].Name))
	assert.False(t, out.IsTruncated)

	// A name below a zone sorts after it: the zone is not listed.
	out, err = c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("www.example.net")})
	require.NoError(t, err)
	assert.Empty(t, out.HostedZones)
}

func TestListResourceRecordSetsStartsAtNameAndType(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	require.NoError(t, srv.Seed("ZEX", "www.example.com", "A", 300, "192.0.2.1"))
	require.NoError(t, srv.Seed("ZEX", "www.example.com", "TXT", 300, `"w"`))
	c, ctx := client(srv), testCtx(t)

	out, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId: aws.String("/hostedzone/ZEX"), StartRecordName: aws.String("www.example.com."),
		StartRecordType: types.RRTypeTxt, MaxItems: aws.Int32(1),
	})
	require.NoError(t, err)
	require.Len(t, out.ResourceRecordSets, 1)
	assert.Equal(t, types.RRTypeTxt, out.ResourceRecordSets[0].Type)
	assert.Equal(t, `"w"`, aws.ToString(out.ResourceRecordSets[0].ResourceRecords[0].Value))
	assert.False(t, out.IsTruncated)

	// Apex SOA and NS exist, as in every Route 53 zone; absent names list
	// what follows them.
	out, err = c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId: aws.String("ZEX"), StartRecordName: aws.String("_acme-challenge.example.com."), StartRecordType: types.RRTypeTxt,
	})
	require.NoError(t, err)
	require.Len(t, out.ResourceRecordSets, 2)
	assert.Equal(t, "www.example.com.", aws.ToString(out.ResourceRecordSets[0].Name))

	out, err = c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZEX")})
	require.NoError(t, err)
	require.Len(t, out.ResourceRecordSets, 4)
	assert.Equal(t, types.RRTypeNs, out.ResourceRecordSets[0].Type)
	assert.Equal(t, types.RRTypeSoa, out.ResourceRecordSets[1].Type)
}

func TestGetChangeReportsPendingThenInsync(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	srv.SetPendingPolls(1)
	c, ctx := client(srv), testCtx(t)

	out, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String("ZEX"),
		ChangeBatch:  &types.ChangeBatch{Changes: []types.Change{{Action: types.ChangeActionUpsert, ResourceRecordSet: txt("x.example.com", 60, `"x"`)}}},
	})
	require.NoError(t, err)
	assert.Equal(t, types.ChangeStatusPending, out.ChangeInfo.Status)
	require.NotNil(t, out.ChangeInfo.SubmittedAt)

	var statuses []types.ChangeStatus
	for range 3 {
		got, err := c.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id})
		require.NoError(t, err)
		statuses = append(statuses, got.ChangeInfo.Status)
	}
	assert.Equal(t, []types.ChangeStatus{types.ChangeStatusPending, types.ChangeStatusInsync, types.ChangeStatusInsync}, statuses)

	_, err = c.GetChange(ctx, &route53.GetChangeInput{Id: aws.String("/change/CNOPE")})
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "NoSuchChange", api.ErrorCode())
}

func TestFailNextFailsOnceWithoutSideEffects(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	srv.FailNext(route53test.OpChangeResourceRecordSets, http.StatusBadRequest, "PriorRequestNotComplete", "busy")
	c, ctx := client(srv), testCtx(t)
	up := types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: txt("x.example.com", 60, `"x"`)}

	err := change(ctx, c, "ZEX", up)
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "PriorRequestNotComplete", api.ErrorCode())
	assert.Empty(t, srv.Records("x.example.com"))

	require.NoError(t, change(ctx, c, "ZEX", up))
	assert.Equal(t, []string{"x"}, srv.Records("x.example.com"))
	assert.Equal(t, []string{"AKIDSERVERTEST"}, srv.AccessKeyIDs())
}

type sink map[string][]string

func (s sink) SetTXT(name string, values ...string) { s[name] = values }

func TestOnlyPublicZonesArePublished(t *testing.T) {
	srv := route53test.NewServer(t,
		route53test.Zone{ID: "ZPUB", Name: "example.com"},
		route53test.Zone{ID: "ZPRIV", Name: "internal.example.com", Private: true},
	)
	got := sink{}
	srv.PublishTo(got)
	c, ctx := client(srv), testCtx(t)

	require.NoError(t, change(ctx, c, "ZPUB", types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: txt("_acme-challenge.Example.com", 60, `"pub"`)}))
	require.NoError(t, change(ctx, c, "ZPRIV", types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: txt("_acme-challenge.internal.example.com", 60, `"priv"`)}))

	assert.Equal(t, sink{"_acme-challenge.example.com.": {"pub"}}, got)
}
