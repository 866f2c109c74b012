package etcd

import (
	"context"
	"math"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// pager reads the keys from from to end a page at a time, at one
// revision: the one it was given, or else the one its first page was
// read at. It is List's paging, which Scan's reads share (Config.PageSize
// says how pages are sized and bounded).
type pager struct {
	s         *Store
	kv        clientv3.KV
	bound     *pageBound // nil: the pages are bounded by the client's receive limit alone
	from, end string
	rev       int64
	limit     int
	ceiling   int   // the largest page asked for since one was past a caller's client's limit
	aim       int64 // the bytes a growing page is sized to hold
	keysOnly  bool
	halve     bool // a set PageSize too large for the client is asked for again in halves, not failed
	// stops are keys between from and end, in order, that each request's
	// range ends at: etcd counts every key left in a request's range for
	// its answer, so a request bounded by the next stop costs it no more
	// than the keys up to that stop.
	stops []string
	more  bool
}

// newPager returns a pager over from..end at rev (0: the first page's),
// whose first page asks for limit objects and whose pages grow toward aim
// bytes when Config.PageSize was left zero.
func (s *Store) newPager(from, end string, rev int64, limit int, aim int64) *pager {
	p := &pager{s: s, kv: s.client.KV, from: from, end: end, rev: rev, limit: limit, ceiling: math.MaxInt, aim: aim, more: true}
	if s.growPages {
		p.kv, p.bound = s.boundedKV()
		if p.bound != nil {
			p.bound.bound = int(min(aim, math.MaxInt32))
		}
	}
	return p
}

// next reads the next page. It is called only while p.more.
func (p *pager) next(ctx context.Context) ([]*mvccpb.KeyValue, error) {
	adapt := p.s.growPages || p.halve
	for {
		end := p.end
		if len(p.stops) > 0 {
			end = p.stops[0]
		}
		ops := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(int64(p.limit))}
		if p.rev != 0 {
			ops = append(ops, clientv3.WithRev(p.rev))
		}
		if p.keysOnly {
			ops = append(ops, clientv3.WithKeysOnly())
		}
		pctx, cancel := p.s.opContext(ctx) // per page: a long read is not one request
		resp, err := p.kv.Get(pctx, p.from, ops...)
		cancel()
		if err != nil && adapt && tooLargeForClient(err) {
			switch {
			case p.limit > 1 && p.bound != nil:
				// The page went past its bound (its objects turned
				// larger): ask for half, at the same revision; the
				// pages after it are sized from what it holds.
				p.limit = max(1, p.limit/2)
				continue
			case p.limit > 1:
				// Past the receive limit of a caller's client
				// (boundedKV): ask for half and grow no more, since
				// that limit is not known.
				p.limit = max(1, p.limit/2)
				p.ceiling = p.limit
				continue
			case p.bound != nil && p.bound.bound > 0 && p.bound.bound < p.bound.clientLimit:
				// One object larger than the page bound: read alone,
				// up to the client's own limit.
				p.bound.bound = 0
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		if p.rev == 0 {
			p.rev = resp.Header.Revision
		}
		p.more = resp.More && len(resp.Kvs) > 0
		if len(resp.Kvs) > 0 {
			p.from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
		}
		if !p.more && len(p.stops) > 0 {
			p.from, p.stops, p.more = p.stops[0], p.stops[1:], true // on past the stop
		}
		if p.s.growPages {
			aim := p.aim
			if p.bound != nil {
				p.bound.bound = int(min(p.aim, math.MaxInt32))
				aim = int64(p.bound.limit()) * pageAimPercent / 100
			}
			p.limit = min(p.ceiling, nextPageSize(p.limit, objectSizeEstimate(resp.Kvs), aim))
		}
		return resp.Kvs, nil
	}
}
