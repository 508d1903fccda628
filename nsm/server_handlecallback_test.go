package nsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nsm"
)

// TestServerHandleCallbackFansOut: every in-process receiver of a my_id
// gets each status callback; one removed gets no more, the others still
// do.
func TestServerHandleCallbackFansOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := nsm.NewServer(&nsm.ServerOptions{Name: "here"})
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	defer s.Close()
	id := nsm.MyId{MyName: "here", MyProg: 0x40000200, MyVers: 1, MyProc: 1}
	got := [2]chan nsm.Status{make(chan nsm.Status, 4), make(chan nsm.Status, 4)}
	remove0 := s.HandleCallback(id, func(ctx context.Context, st nsm.Status) { got[0] <- st })
	remove1 := s.HandleCallback(id, func(ctx context.Context, st nsm.Status) { got[1] <- st })
	defer remove1()
	res, err := s.Mon(ctx, nil, &nsm.Mon{MonId: nsm.MonId{MonName: "peer", MyId: id}, Priv: [16]byte{7}})
	require.NoError(t, err)
	require.Equal(t, nsm.StatSucc, res.ResStat)

	wait := func(ch chan nsm.Status, state int32) {
		t.Helper()
		select {
		case st := <-ch:
			require.Equal(t, nsm.Status{MonName: "peer", State: state, Priv: [16]byte{7}}, st)
		case <-ctx.Done():
			t.Fatal("no callback")
		}
	}
	require.NoError(t, s.Notify(ctx, nil, &nsm.StatChge{MonName: "peer", State: 3}))
	wait(got[0], 3)
	wait(got[1], 3)

	remove0()
	require.NoError(t, s.Notify(ctx, nil, &nsm.StatChge{MonName: "peer", State: 5}))
	wait(got[1], 5)
	require.Empty(t, got[0], "a removed receiver gets nothing")
}
