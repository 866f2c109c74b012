package route53_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsroute53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

// racingClient lets another writer add a value right before the first
// DELETE, as a process not sharing certflow's Store lock could.
type racingClient struct {
	*awsroute53.Client
	srv   *route53test.Server
	raced atomic.Bool
}

func (r *racingClient) ChangeResourceRecordSets(ctx context.Context, in *awsroute53.ChangeResourceRecordSetsInput, opts ...func(*awsroute53.Options)) (*awsroute53.ChangeResourceRecordSetsOutput, error) {
	if in.ChangeBatch.Changes[0].Action == types.ChangeActionDelete && !r.raced.Swap(true) {
		cur := in.ChangeBatch.Changes[0].ResourceRecordSet
		values := []string{`"other-writer"`}
		for _, rr := range cur.ResourceRecords {
			values = append(values, aws.ToString(rr.Value))
		}
		if err := r.srv.Seed(aws.ToString(in.HostedZoneId), aws.ToString(cur.Name), "TXT", aws.ToInt64(cur.TTL), values...); err != nil {
			return nil, err
		}
	}
	return r.Client.ChangeResourceRecordSets(ctx, in, opts...)
}

func TestCleanUpRereadsWhenTheSetChangedBeforeDelete(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	client := &racingClient{srv: srv, Client: awsroute53.New(awsroute53.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		RetryMaxAttempts: 1,
	})}
	s, err := route53.New(route53.Config{Client: client, PollInterval: time.Millisecond})
	require.NoError(t, err)
	ch := challenge("example.com", false, "ka")
	require.NoError(t, s.Present(testCtx(t), ch))

	require.NoError(t, s.CleanUp(testCtx(t), ch))

	assert.Equal(t, []string{"other-writer"}, srv.Records("_acme-challenge.example.com"))
	assert.Equal(t, 3, srv.Calls(route53test.OpChangeResourceRecordSets), "UPSERT, refused DELETE, UPSERT of the remainder")
}
