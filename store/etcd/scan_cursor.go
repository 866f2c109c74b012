package etcd

import (
	"bytes"
	"context"

	"go.etcd.io/etcd/api/v3/mvccpb"
)

// scanCursor hands over the keys of one kind (under prefix) in order, as
// its pager reads them. While its caller hands one page over, it reads
// the next: the member answering the Range and the caller consuming a
// page then work at the same time, where they took turns (a restart's
// serving preload of 100k Secrets on etcd waited for the member about
// half its time). It holds the page it hands over and the next.
type scanCursor struct {
	prefix string
	pages  *pager
	page   []*mvccpb.KeyValue
	ahead  chan scanPage // the next page, being read; nil when none is
}

// scanPage is one page a cursor read, or why it could not.
type scanPage struct {
	kvs []*mvccpb.KeyValue
	err error
}

// fill makes the next page current when the current one is used up, and
// reports whether a key is left.
func (c *scanCursor) fill(ctx context.Context) (bool, error) {
	// The pager is looked at only while no read is ahead: it is the read's.
	for len(c.page) == 0 && (c.ahead != nil || c.pages.more) {
		if c.ahead == nil {
			c.readAhead(ctx)
		}
		next := <-c.ahead
		c.ahead = nil
		if next.err != nil {
			return false, next.err
		}
		c.page = next.kvs
		if c.pages.more {
			c.readAhead(ctx)
		}
	}
	return len(c.page) > 0, nil
}

// readAhead starts reading the page after the last one read. The pager
// belongs to that read until its page is received from c.ahead.
func (c *scanCursor) readAhead(ctx context.Context) {
	ch := make(chan scanPage, 1)
	c.ahead = ch
	go func() {
		kvs, err := c.pages.next(ctx)
		ch <- scanPage{kvs, err}
	}()
}

// stop waits for a read ahead to end (its context cancelled first by the
// caller), so no read outlives the Scan.
func (c *scanCursor) stop() {
	if c != nil && c.ahead != nil {
		<-c.ahead
		c.ahead = nil
	}
}

// before reports whether c's next key has a lesser namespace, or the
// same and a lesser name, than o's. A key this layout never writes sorts
// by what it holds: listed leaves it out.
func (c *scanCursor) before(o *scanCursor) bool {
	cns, cname := c.next()
	ons, oname := o.next()
	if n := bytes.Compare(cns, ons); n != 0 {
		return n < 0
	}
	return bytes.Compare(cname, oname) < 0
}

// next is the namespace and name of the next key, inside it.
func (c *scanCursor) next() (ns, name []byte) {
	rest := c.page[0].Key[len(c.prefix):]
	if i := bytes.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], rest[i+1:]
	}
	return nil, rest
}

// take returns the next key and drops it from the page.
func (c *scanCursor) take() *mvccpb.KeyValue {
	kv := c.page[0]
	c.page[0] = nil
	c.page = c.page[1:]
	return kv
}
