package nfs3_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/xdr"
)

// Server.Read called directly, as a wrapper of the typed server would,
// reads what the file holds, cut to the transport's largest transfer,
// into a buffer of its own: its data stays as it was while the pooled
// buffers of Handler's READs are reused.
func TestServerReadDirect(t *testing.T) {
	fs := memfs.New(nil)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/x", FS: fs})
	require.NoError(t, err)
	root, _ := fs.Root(bg)
	mode := uint32(0o644)
	f, _, err := fs.Create(bg, &vfs.Root, root, "f", vfs.CreateHow{Attr: vfs.SetAttr{Mode: &mode}})
	require.NoError(t, err)
	data := make([]byte, 2*MaxDatagramTransfer+100<<10)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	_, _, err = fs.Write(bg, &vfs.Root, f, 0, data, vfs.FileSync)
	require.NoError(t, err)
	h, err := export.EncodeHandle(1, f)
	require.NoError(t, err)
	fh := NfsFh3{Data: h}
	srv := NewServer(table, nil)

	call := func(network string) *rpc.Call {
		return &rpc.Call{Proc: NFSPROC3_READ, Transport: rpc.Transport{Network: network, RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}}}
	}
	cases := []struct {
		name    string
		network string
		off     int
		count   uint32
		want    []byte
		eof     bool
	}{
		{"small", "tcp", 10, 100, data[10:110], false},
		{"above the small pool", "tcp", 1, 64<<10 + 1, data[1 : 64<<10+2], false},
		{"cut to a datagram", "udp", 0, MaxTransfer, data[:MaxDatagramTransfer], false},
		{"to the end", "tcp", len(data) - 50, 1000, data[len(data)-50:], true},
		{"past the end", "tcp", len(data) + 1, 10, []byte{}, true},
	}
	results := make([]*READ3res, len(cases))
	for i, tc := range cases {
		res, err := srv.Read(bg, call(tc.network), &READ3args{File: fh, Offset: Offset3(tc.off), Count: Count3(tc.count)})
		require.NoError(t, err, tc.name)
		require.Equal(t, NFS3_OK, res.Status, tc.name)
		require.Equal(t, Count3(len(tc.want)), res.Resok.Count, tc.name)
		require.Equal(t, tc.want, []byte(res.Resok.Data), tc.name)
		require.Equal(t, tc.eof, res.Resok.Eof, tc.name)
		require.Equal(t, Size3(len(data)), res.Resok.FileAttributes.Attributes.Size, tc.name)
		results[i] = res
	}

	// READs served by Handler reuse the pool's buffers, with other data.
	_, _, err = fs.Write(bg, &vfs.Root, f, 0, make([]byte, len(data)), vfs.FileSync)
	require.NoError(t, err)
	handler := srv.Handler()
	for range 4 {
		for _, size := range []uint32{100, MaxTransfer} {
			args, err := xdr.Marshal(&READ3args{File: fh, Count: Count3(size)})
			require.NoError(t, err)
			c := call("tcp")
			c.Args = args
			w := &encodingWriter{}
			handler.ServeRPC(bg, w, c)
			require.NoError(t, w.err)
			var res READ3res
			require.NoError(t, xdr.Unmarshal(w.results, &res))
			require.Equal(t, make([]byte, min(int(size), len(data))), []byte(res.Resok.Data))
		}
	}
	for i, tc := range cases {
		require.Equal(t, tc.want, []byte(results[i].Resok.Data), "%s, after Handler's READs", tc.name)
	}

	// A handle of no export is STALE, with no data.
	res, err := srv.Read(bg, call("tcp"), &READ3args{File: NfsFh3{Data: []byte{1, 0, 0, 0, 9, 9}}, Count: 10})
	require.NoError(t, err)
	require.Contains(t, []Nfsstat3{NFS3ERR_STALE, NFS3ERR_BADHANDLE}, res.Status)
	require.Nil(t, res.Resok)
}

// encodingWriter is a ReplyWriter that encodes the results it is given
// while the call is answered, as a connection does.
type encodingWriter struct {
	results []byte
	err     error
}

func (w *encodingWriter) Reply(res xdr.Marshaler) error {
	w.results, w.err = xdr.Marshal(res)
	return w.err
}

func (w *encodingWriter) Error(stat rpc.AcceptStat) error {
	w.err = stat
	return nil
}

func (w *encodingWriter) ProgMismatch(low, high uint32) error {
	w.err = rpc.PROG_MISMATCH
	return nil
}

func (w *encodingWriter) AuthError(stat rpc.AuthStat) error {
	w.err = stat
	return nil
}

func (w *encodingWriter) Drop() { w.err = rpc.ErrDrop }
