package rpc

import (
	"encoding/binary"
	"errors"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nfskit/nfskit/xdr"
)

// FileRange is a byte range of a regular file open in this process,
// the tail of a reply that FileReplier sends from the file.
type FileRange struct {
	// FD is the open file; it stays the caller's.
	FD int
	// Offset is where the range starts in the file.
	Offset int64
	// Count is the range's length in bytes.
	Count int
}

// FileReplier is implemented by the ReplyWriters of transports that can
// send file data without copying it into the process: on TCP, the
// record mark and the reply's header leave in one system call and the
// data follows by splice (or sendfile), straight from the kernel's page
// cache.
type FileReplier interface {
	// ReplyFile sends a successful reply whose results are those of
	// results followed by the bytes of f: results must encode with an
	// empty variable-length opaque last (its length word, 0), which
	// becomes f's length, the data following it. f.Count must be a
	// multiple of 4 (no XDR padding follows). If the file holds fewer
	// bytes than f.Count when they are sent, zeros stand for the rest.
	//
	// It returns ErrNoFileReply, having sent nothing, when it cannot
	// send f so (an empty range or one that would need fragments or
	// padding, a transport without a file descriptor, nil results); the
	// caller then replies with the data read, as usual.
	ReplyFile(results xdr.Marshaler, f FileRange) error
}

// errNoFileTail is the error of results given to ReplyFile that do not
// end with an empty opaque.
var errNoFileTail = errors.New("rpc: results sent from a file do not end with an empty opaque")

// ErrNoFileReply is ReplyFile's answer when it cannot send the file
// range from the file; nothing was sent.
var ErrNoFileReply = errors.New("rpc: reply cannot be sent from a file")

// MinFileReply is the smallest range worth sending with ReplyFile.
// Smaller replies are cheaper copied: they join the batch of small
// records that one write sends, where a file's range takes two system
// calls of its own.
const MinFileReply = batchRecord

// ReplyFile implements FileReplier.
func (rw *replyWriter) ReplyFile(results xdr.Marshaler, f FileRange) error {
	c, ok := rw.t.(*Conn)
	if !ok || results == nil || !c.canSendFile(f) {
		return ErrNoFileReply
	}
	if !rw.begin() {
		return ErrReplied
	}
	rw.file = f
	xid := rw.call.Xid
	verf := &rw.call.ReplyVerf
	return rw.send(func(e *xdr.Encoder) { encodeAcceptedHeader(e, xid, verf, SUCCESS, 0, 0) }, results)
}

// fileTail sets the length of the empty opaque that e's reply ends with
// to the length of rw's file range; false if the reply does not end so.
func (rw *replyWriter) fileTail(e *xdr.Encoder) bool {
	if len(e.Buffers()) != 1 {
		return false
	}
	b := e.Bytes()
	if len(b) < 8 || binary.BigEndian.Uint32(b[len(b)-4:]) != 0 {
		return false
	}
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(rw.file.Count))
	return true
}

// canSendFile reports whether c can send f from its file: a TCP
// connection, a range of whole XDR units, in one fragment.
func (c *Conn) canSendFile(f FileRange) bool {
	if _, ok := c.nc.(*net.TCPConn); !ok {
		return false
	}
	return f.Count > 0 && f.Count%4 == 0 &&
		(c.cfg.fragSize <= 0 || f.Count+1024 <= c.cfg.fragSize) && f.Offset >= 0
}

// writeFileRecord writes a record of hdr (the record mark's room, then
// the reply up to its data) and f's bytes: hdr with MSG_MORE, so that
// it leaves with the data's first segment, then f spliced through a
// pooled pipe (or by sendfile, when no pipe can be had).
func (c *Conn) writeFileRecord(hdr []byte, f FileRange) error {
	binary.BigEndian.PutUint32(hdr, uint32(len(hdr)-4+f.Count)|lastFragment)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	tc := c.nc.(*net.TCPConn)
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	if c.cfg.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.cfg.writeTimeout))
	}
	off, left := f.Offset, f.Count
	var werr error
	pp := getPipe()
	inPipe := 0
	err = raw.Write(func(fd uintptr) bool {
		for len(hdr) > 0 {
			n, err := unix.SendmsgN(int(fd), hdr, nil, nil, unix.MSG_MORE|unix.MSG_NOSIGNAL)
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				return false
			}
			if err != nil {
				werr = err
				return true
			}
			hdr = hdr[n:]
		}
		for left > 0 {
			if pp != nil {
				// File to pipe (page references, no copy), pipe
				// to socket.
				if inPipe == 0 {
					n, err := unix.Splice(f.FD, &off, pp[1], nil, min(left, pipeSize), unix.SPLICE_F_MOVE)
					if err == unix.EINTR {
						continue
					}
					if err != nil {
						werr = err
						return true
					}
					if n == 0 { // the file is shorter than it was
						return true
					}
					inPipe = int(n)
				}
				n, err := unix.Splice(pp[0], nil, int(fd), nil, inPipe, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
				if err == unix.EINTR {
					continue
				}
				if err == unix.EAGAIN {
					return false
				}
				if err != nil {
					werr = err
					return true
				}
				inPipe -= int(n)
				left -= int(n)
				continue
			}
			n, err := unix.Sendfile(int(fd), f.FD, &off, left)
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				return false
			}
			if err != nil {
				werr = err
				return true
			}
			if n == 0 { // the file is shorter than it was
				return true
			}
			left -= n
		}
		return true
	})
	if pp != nil {
		putPipe(pp, inPipe == 0)
	}
	if err == nil && (werr == unix.EINVAL || werr == unix.ENOSYS) && left > 0 {
		// A file sendfile cannot read: copy what is left.
		err = c.copyFile(f.FD, off, &left)
	} else if err == nil {
		err = werr
	}
	if err == nil && left > 0 {
		// The record's length is sent: zeros keep it whole.
		var zeros [4096]byte
		for left > 0 && err == nil {
			var n int
			n, err = c.nc.Write(zeros[:min(left, len(zeros))])
			left -= n
		}
	}
	if err != nil {
		c.Close()
	}
	return err
}

// copyFile writes *left bytes of fd from off to the connection through
// a buffer, fewer if the file ends first (*left is what is not written).
func (c *Conn) copyFile(fd int, off int64, left *int) error {
	buf := getBuf()
	defer putBuf(buf)
	b := (*buf)[:cap(*buf)]
	if len(b) == 0 {
		b = make([]byte, 64<<10)
	}
	for *left > 0 {
		n, err := unix.Pread(fd, b[:min(*left, len(b))], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := c.nc.Write(b[:n]); err != nil {
			return err
		}
		off += int64(n)
		*left -= n
	}
	return nil
}

// pipeSize is the capacity asked for the pipes file data is spliced
// through: a READ's whole data, so that it enters the socket in a few
// large pushes (sendfile's own pipe holds 64 KiB, and each of its
// pushes runs the loopback's whole receive path).
const pipeSize = 1 << 20

// pipes are idle pipes (read and write ends), kept for the next file
// reply; at most cap(pipes) are kept, the others closed.
var pipes = make(chan *[2]int, 64)

// makePipe makes a pipe (a test makes it fail, for sendfile's path).
var makePipe = unix.Pipe2

// getPipe returns an empty pipe, nil if none can be made.
func getPipe() *[2]int {
	select {
	case p := <-pipes:
		return p
	default:
	}
	var p [2]int
	if err := makePipe(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil
	}
	// A smaller pipe (the limit of pipe-max-size or of the user's
	// pipe pages) still works, in more pushes.
	unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, pipeSize)
	return &p
}

// putPipe keeps p for the next reply if it is empty and there is room,
// and closes it otherwise.
func putPipe(p *[2]int, empty bool) {
	if empty {
		select {
		case pipes <- p:
			return
		default:
		}
	}
	unix.Close(p[0])
	unix.Close(p[1])
}
