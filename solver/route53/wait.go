package route53

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// waitInSync polls GetChange every poll interval until the change is INSYNC,
// ctx is done, or the timeout passes (*ChangeTimeoutError). A nil info means
// nothing was submitted.
func (s *Solver) waitInSync(ctx context.Context, info *types.ChangeInfo) error {
	if info == nil || info.Status == types.ChangeStatusInsync {
		return nil
	}
	id, status := aws.ToString(info.Id), info.Status
	deadline := s.clock.Now().Add(s.timeout)
	for {
		left := deadline.Sub(s.clock.Now())
		if left <= 0 {
			return &ChangeTimeoutError{ChangeID: id, Status: string(status), Timeout: s.timeout}
		}
		if err := s.sleep(ctx, min(s.poll, left)); err != nil {
			return fmt.Errorf("wait for change %s: %w", id, err)
		}
		out, err := s.client.GetChange(ctx, &route53.GetChangeInput{Id: aws.String(id)})
		if err != nil {
			return fmt.Errorf("get change %s: %w", id, err)
		}
		if out.ChangeInfo != nil {
			status = out.ChangeInfo.Status
		}
		if status == types.ChangeStatusInsync {
			return nil
		}
	}
}

func (s *Solver) sleep(ctx context.Context, d time.Duration) error {
	t := s.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
