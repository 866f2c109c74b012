package replicatest

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// echoServer echoes every line back until the test ends.
func echoServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := c.Write(append(sc.Bytes(), '\n')); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func roundTrip(c net.Conn, line string, within time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(within))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

// A cut proxy passes nothing either way on open connections and new ones,
// yet closes none of them; healed, it delivers what it held.
func TestProxy_CutHoldsConnectionsAndPassesNothingUntilHealed(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	require.NoError(t, err)
	defer p.Close()

	old, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer old.Close()
	got, err := roundTrip(old, "before", 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, "before\n", got)

	p.Cut()
	// Silence cannot be awaited: the deadline is how long "nothing passes"
	// is watched for.
	_, err = roundTrip(old, "during", 300*time.Millisecond)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "an open connection is held, not closed")
	fresh, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err, "new connections are accepted")
	defer fresh.Close()
	_, err = roundTrip(fresh, "new", 300*time.Millisecond)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a new connection is held too")

	p.Heal()
	_ = fresh.SetDeadline(time.Now().Add(5 * time.Second))
	got, err = bufio.NewReader(fresh).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "new\n", got, "what was held passes on once healed")
	got, err = roundTrip(old, "after", 5*time.Second)
	require.NoError(t, err)
	require.Contains(t, []string{"during\n", "after\n"}, got)
}

// Closing a proxy closes the connections it holds, cut or not.
func TestProxy_CloseEndsHeldConnections(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	require.NoError(t, err)
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = roundTrip(c, "hello", 5*time.Second)
	require.NoError(t, err)
	p.Cut()
	p.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the connection is closed, not left hanging: %v", err)
}

// A dropped proxy closes its connections and refuses new ones until healed.
func TestProxy_DropClosesConnectionsUntilHealed(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	require.NoError(t, err)
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = roundTrip(c, "hello", 5*time.Second)
	require.NoError(t, err)

	p.Drop()
	_, err = roundTrip(c, "gone", 5*time.Second)
	require.Error(t, err)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "closed, not held: %v", err)
	refused, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	_, err = roundTrip(refused, "refused", 5*time.Second)
	_ = refused.Close()
	require.Error(t, err)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "closed, not held: %v", err)

	p.Heal()
	again, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer again.Close()
	got, err := roundTrip(again, "back", 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, "back\n", got)
}
