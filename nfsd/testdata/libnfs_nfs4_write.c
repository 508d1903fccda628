/*
 * libnfs_nfs4_write writes a local file into an NFSv4.0 server and reads
 * it back, through libnfs's raw NFSv4 COMPOUND call and its XDR, an
 * implementation independent of nfskit's, over TCP. It uses no part of
 * libnfs's own NFSv4 client: every COMPOUND is built here.
 *
 * Usage:
 *   libnfs_nfs4_write HOST PORT EXPORT NAME SRC DST [INFLIGHT]
 *
 * EXPORT is the export's path in the server's NFSv4 name space (such as
 * /export), NAME the file to create in it, SRC the local file to write
 * and DST the local file that receives what is read back. INFLIGHT (16
 * by default) is how many WRITEs or READs are under way at once.
 *
 * The COMPOUNDs, each tagged with its step's name:
 *   setclientid          SETCLIENTID
 *   setclientid_confirm  SETCLIENTID_CONFIRM
 *   lookup               PUTROOTFH, LOOKUP for each component of EXPORT,
 *                        GETFH, GETATTR (lease_time, maxread, maxwrite)
 *   open                 PUTFH, OPEN (create UNCHECKED, mode 0644, share
 *                        access WRITE, open-owner "writer"), GETFH
 *   open_confirm         PUTFH, OPEN_CONFIRM, when OPEN asks for it
 *   write                PUTFH, WRITE (UNSTABLE), for each chunk
 *   commit               PUTFH, COMMIT, GETATTR (size)
 *   close                PUTFH, CLOSE
 *   renew                RENEW, after that CLOSE, and during WRITEs and
 *                        READs whenever a third of the lease passed
 *   open                 PUTFH, OPEN (no create, share access READ,
 *                        open-owner "reader"), GETFH; open_confirm again
 *   read                 PUTFH, READ, for each chunk; unless one answered
 *                        eof, one more at the end of the file must
 *   close                PUTFH, CLOSE
 *
 * libnfs 4.0's rpc_nfs4_compound_async encodes a call into a buffer of
 * 4 KiB whatever its size, so a WRITE carries at most WRITE_MAX bytes:
 * less than the server's maxwrite. READs ask for up to 1 MiB (or the
 * server's maxread if smaller), as their replies have no such limit.
 *
 * Each step prints one line, "STEP ok" with what it learnt; the program
 * ends with "copied N bytes" once DST is written. A step that fails
 * prints "STEP error: WHY", where WHY names the operation that failed and
 * its nfsstat4 ("OPEN NFS4ERR_ACCESS (13)"), and ends the program with
 * status 1; bad arguments end it with status 2.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs4.h>

#include "libnfs_steps.h"

#define PROG "libnfs_nfs4_write"

/* The most data one WRITE carries: the 4 KiB libnfs 4.0 encodes a call
 * into, less the RPC header (with an AUTH_UNIX credential of up to 64
 * bytes of machine name and 16 groups), a PUTFH of a file handle of up
 * to NFS4_FHSIZE bytes and the WRITE's own arguments, about 400 bytes. */
#define WRITE_MAX 3584

/* The most data one READ asks for. */
#define READ_MAX (1024 * 1024)

/* The most operations one COMPOUND of this program has. */
#define MAX_OPS 16

/* What the steps learn and the calls under way share. */
struct client {
	struct rpc_context *rpc;
	clientid4 clientid;
	verifier4 confirm;
	uint32_t lease;         /* seconds, from the lookup step */
	uint64_t maxread, maxwrite;
	int64_t last_renew_ms;  /* when the lease was last renewed */
	char dir_fh[NFS4_FHSIZE];
	u_int dir_fh_len;
	char fh[NFS4_FHSIZE];   /* the file's */
	u_int fh_len;
	stateid4 stateid;       /* of the open under way */
	uint32_t rflags;        /* of the last OPEN */
	uint64_t size;          /* the file's, from GETATTR */
	int have_size;
	verifier4 commit_verf;

	/* The WRITEs or READs under way. */
	char *buf;              /* the data written, or read back */
	uint64_t len;           /* its length */
	uint64_t next;          /* the first byte no call has asked for yet */
	uint64_t done;          /* bytes written or read so far */
	int inflight, max_inflight;
	int calls;              /* WRITEs or READs sent */
	int eof_seen;           /* a READ answered eof */
	int eof_data;           /* the bytes a READ at the end of the file got */
	verifier4 write_verf;
	int have_write_verf;
	int unstable;           /* some WRITE was answered UNSTABLE4 */
	int renewing;           /* a RENEW is under way */
	int failed;
	char error[256];
};

/* One WRITE or READ under way: the byte range it asked for. */
struct io {
	struct client *cl;
	uint64_t off;
	uint32_t len;
	struct io *next;        /* in the list of ranges to ask for again */
};

/* The ranges a short WRITE or READ left to ask for again. */
static struct io *retry;

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " HOST PORT EXPORT NAME SRC DST [INFLIGHT]\n");
	exit(2);
}

/* op_name names an operation of the COMPOUNDs this program sends. */
static const char *op_name(nfs_opnum4 op)
{
	switch (op) {
	case OP_CLOSE: return "CLOSE";
	case OP_COMMIT: return "COMMIT";
	case OP_GETATTR: return "GETATTR";
	case OP_GETFH: return "GETFH";
	case OP_LOOKUP: return "LOOKUP";
	case OP_OPEN: return "OPEN";
	case OP_OPEN_CONFIRM: return "OPEN_CONFIRM";
	case OP_PUTFH: return "PUTFH";
	case OP_PUTROOTFH: return "PUTROOTFH";
	case OP_READ: return "READ";
	case OP_RENEW: return "RENEW";
	case OP_SETCLIENTID: return "SETCLIENTID";
	case OP_SETCLIENTID_CONFIRM: return "SETCLIENTID_CONFIRM";
	case OP_WRITE: return "WRITE";
	case OP_ILLEGAL: return "ILLEGAL";
	default: return "operation";
	}
}

/* op_status is the nfsstat4 of a result: every result of an operation
 * starts with it. */
static nfsstat4 op_status(const nfs_resop4 *r)
{
	return r->nfs_resop4_u.opillegal.status;
}

/* compound_failed describes into error a COMPOUND that did not succeed
 * or whose results do not match the operations sent, and reports
 * whether it did. */
static int compound_failed(const COMPOUND4res *res, const nfs_opnum4 *sent, u_int n, char *error, size_t size)
{
	u_int got = res->resarray.resarray_len;
	for (u_int i = 0; i < got; i++) {
		const nfs_resop4 *r = &res->resarray.resarray_val[i];
		if (i >= n || r->resop != sent[i]) {
			snprintf(error, size, "result %u is of %s, not of %s", i, op_name(r->resop),
				 i < n ? op_name(sent[i]) : "an operation sent");
			return 1;
		}
		if (op_status(r) != NFS4_OK) {
			snprintf(error, size, "%s %s (%d)", op_name(r->resop), nfsstat4_to_str(op_status(r)),
				 (int)op_status(r));
			return 1;
		}
	}
	if (res->status != NFS4_OK) {
		snprintf(error, size, "COMPOUND %s (%d) after %u results", nfsstat4_to_str(res->status),
			 (int)res->status, got);
		return 1;
	}
	if (got != n) {
		snprintf(error, size, "%u results for %u operations", got, n);
		return 1;
	}
	return 0;
}

/* A COMPOUND being built. */
struct compound {
	const char *tag;
	nfs_argop4 ops[MAX_OPS];
	nfs_opnum4 sent[MAX_OPS];
	u_int n;
};

/* add appends an operation to c and returns its arguments to fill in. */
static nfs_argop4 *add(struct compound *c, nfs_opnum4 op)
{
	if (c->n == MAX_OPS) {
		fprintf(stderr, PROG ": more than %d operations in %s\n", MAX_OPS, c->tag);
		exit(2);
	}
	nfs_argop4 *a = &c->ops[c->n];
	memset(a, 0, sizeof(*a));
	a->argop = op;
	c->sent[c->n++] = op;
	return a;
}

/* put_fh appends a PUTFH of the file handle fh. */
static void put_fh(struct compound *c, char *fh, u_int len)
{
	nfs_argop4 *a = add(c, OP_PUTFH);
	a->nfs_argop4_u.opputfh.object.nfs_fh4_len = len;
	a->nfs_argop4_u.opputfh.object.nfs_fh4_val = fh;
}

/* send_compound queues c, to be answered to cb with private_data. libnfs
 * encodes it at once, so c may go when this returns. */
static int send_compound(struct client *cl, struct compound *c, rpc_cb cb, void *private_data)
{
	COMPOUND4args args;
	memset(&args, 0, sizeof(args));
	args.tag.utf8string_len = strlen(c->tag);
	args.tag.utf8string_val = (char *)c->tag;
	args.minorversion = 0;
	args.argarray.argarray_len = c->n;
	args.argarray.argarray_val = c->ops;
	return rpc_nfs4_compound_async(cl->rpc, cb, &args, private_data);
}

/* A step: one COMPOUND whose results take fills into the client. */
typedef void (*take_fn)(struct client *cl, const COMPOUND4res *res);

struct step {
	struct call call;
	struct client *cl;
	struct compound *c;
	take_fn take;
};

static void step_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct step *s = private_data;
	(void)rpc;
	if (call_failed(&s->call, status, data))
		return;
	const COMPOUND4res *res = data;
	if (compound_failed(res, s->c->sent, s->c->n, s->call.error, sizeof(s->call.error))) {
		s->call.status = RPC_STATUS_ERROR;
		return;
	}
	if (s->take)
		s->take(s->cl, res);
}

/* run_step sends c and waits for its results, which take reads; a
 * failure ends the program. */
static void run_step(struct client *cl, struct compound *c, take_fn take)
{
	struct step s = {.cl = cl, .c = c, .take = take};
	finish_step(cl->rpc, c->tag, send_compound(cl, c, step_cb, &s), &s.call);
}

/* result returns the result of operation i of res (compound_failed has
 * checked that there is one, of the operation sent). */
static const nfs_resop4 *result(const COMPOUND4res *res, u_int i)
{
	return &res->resarray.resarray_val[i];
}

/* get_u32 and get_u64 read a big-endian number from attribute values,
 * or fail the step unless there are enough bytes left. */
static uint64_t get_be(const attrlist4 *v, u_int *pos, u_int size, const char *what)
{
	if (v->attrlist4_len < *pos || v->attrlist4_len - *pos < size) {
		printf("attributes error: %s runs past the %u bytes of values\n", what, v->attrlist4_len);
		exit(1);
	}
	uint64_t x = 0;
	for (u_int i = 0; i < size; i++)
		x = x << 8 | (unsigned char)v->attrlist4_val[*pos + i];
	*pos += size;
	return x;
}

/* has_attr reports whether attribute number n is in the mask. */
static int has_attr(const bitmap4 *m, unsigned n)
{
	return n / 32 < m->bitmap4_len && (m->bitmap4_val[n / 32] >> (n % 32) & 1);
}

/* Attribute masks this program asks for. */
static uint32_t attrs_lookup[1] = {1u << FATTR4_LEASE_TIME | 1u << FATTR4_MAXREAD | 1u << FATTR4_MAXWRITE};
static uint32_t attrs_size[1] = {1u << FATTR4_SIZE};

static void add_getattr(struct compound *c, uint32_t *mask)
{
	nfs_argop4 *a = add(c, OP_GETATTR);
	a->nfs_argop4_u.opgetattr.attr_request.bitmap4_len = 1;
	a->nfs_argop4_u.opgetattr.attr_request.bitmap4_val = mask;
}

/* take_attrs reads the attributes this program asks for, in the order
 * of their numbers, from the GETATTR result i of res. */
static void take_attrs(struct client *cl, const COMPOUND4res *res, u_int i)
{
	const fattr4 *f = &result(res, i)->nfs_resop4_u.opgetattr.GETATTR4res_u.resok4.obj_attributes;
	u_int pos = 0;
	for (unsigned n = 0; n < 32 * f->attrmask.bitmap4_len; n++) {
		if (!has_attr(&f->attrmask, n))
			continue;
		switch (n) {
		case FATTR4_SIZE:
			cl->size = get_be(&f->attr_vals, &pos, 8, "size");
			cl->have_size = 1;
			break;
		case FATTR4_LEASE_TIME:
			cl->lease = (uint32_t)get_be(&f->attr_vals, &pos, 4, "lease_time");
			break;
		case FATTR4_MAXREAD:
			cl->maxread = get_be(&f->attr_vals, &pos, 8, "maxread");
			break;
		case FATTR4_MAXWRITE:
			cl->maxwrite = get_be(&f->attr_vals, &pos, 8, "maxwrite");
			break;
		default:
			printf("attributes error: attribute %u was not asked for\n", n);
			exit(1);
		}
	}
}

static void take_setclientid(struct client *cl, const COMPOUND4res *res)
{
	const SETCLIENTID4resok *ok = &result(res, 0)->nfs_resop4_u.opsetclientid.SETCLIENTID4res_u.resok4;
	cl->clientid = ok->clientid;
	memcpy(cl->confirm, ok->setclientid_confirm, sizeof(cl->confirm));
}

/* take_fh copies the file handle of the GETFH result i of res into fh. */
static void take_fh(const COMPOUND4res *res, u_int i, char *fh, u_int *len)
{
	const nfs_fh4 *o = &result(res, i)->nfs_resop4_u.opgetfh.GETFH4res_u.resok4.object;
	if (o->nfs_fh4_len > NFS4_FHSIZE) {
		printf("GETFH error: a file handle of %u bytes\n", o->nfs_fh4_len);
		exit(1);
	}
	memcpy(fh, o->nfs_fh4_val, o->nfs_fh4_len);
	*len = o->nfs_fh4_len;
}

static void take_lookup(struct client *cl, const COMPOUND4res *res)
{
	u_int n = res->resarray.resarray_len;
	take_fh(res, n - 2, cl->dir_fh, &cl->dir_fh_len);
	take_attrs(cl, res, n - 1);
}

static void take_open(struct client *cl, const COMPOUND4res *res)
{
	const OPEN4resok *ok = &result(res, 1)->nfs_resop4_u.opopen.OPEN4res_u.resok4;
	cl->stateid = ok->stateid;
	cl->rflags = ok->rflags;
	take_fh(res, 2, cl->fh, &cl->fh_len);
}

static void take_open_confirm(struct client *cl, const COMPOUND4res *res)
{
	cl->stateid = result(res, 1)->nfs_resop4_u.opopen_confirm.OPEN_CONFIRM4res_u.resok4.open_stateid;
}

static void take_commit(struct client *cl, const COMPOUND4res *res)
{
	memcpy(cl->commit_verf, result(res, 1)->nfs_resop4_u.opcommit.COMMIT4res_u.resok4.writeverf,
	       sizeof(cl->commit_verf));
	take_attrs(cl, res, 2);
}

static void take_close(struct client *cl, const COMPOUND4res *res)
{
	cl->stateid = result(res, 1)->nfs_resop4_u.opclose.CLOSE4res_u.open_stateid;
}

static void take_read_at_end(struct client *cl, const COMPOUND4res *res)
{
	const READ4resok *ok = &result(res, 1)->nfs_resop4_u.opread.READ4res_u.resok4;
	cl->eof_seen = ok->eof != 0;
	cl->eof_data = (int)ok->data.data_len;
}

/* add_renew appends a RENEW of the client's lease. */
static void add_renew(struct client *cl, struct compound *c)
{
	add(c, OP_RENEW)->nfs_argop4_u.oprenew.clientid = cl->clientid;
}

static void renew(struct client *cl)
{
	struct compound c = {.tag = "renew"};
	add_renew(cl, &c);
	run_step(cl, &c, NULL);
	cl->last_renew_ms = now_ms();
	printf("renew ok\n");
}

/* open_file opens NAME in the export for owner, creating it if create
 * is set, confirms the open if the server asks and prints what it got.
 * The open-owner is new, so its first seqid is 0. */
static void open_file(struct client *cl, const char *name, const char *owner, uint32_t access, int create)
{
	static uint32_t mode_attr[2] = {0, 1u << (FATTR4_MODE - 32)};
	char mode_val[4] = {0, 0, 0x01, 0xa4}; /* 0644 */
	struct compound c = {.tag = "open"};
	put_fh(&c, cl->dir_fh, cl->dir_fh_len);
	OPEN4args *o = &add(&c, OP_OPEN)->nfs_argop4_u.opopen;
	o->seqid = 0;
	o->share_access = access;
	o->share_deny = OPEN4_SHARE_DENY_NONE;
	o->owner.clientid = cl->clientid;
	o->owner.owner.owner_len = strlen(owner);
	o->owner.owner.owner_val = (char *)owner;
	if (create) {
		o->openhow.opentype = OPEN4_CREATE;
		o->openhow.openflag4_u.how.mode = UNCHECKED4;
		fattr4 *f = &o->openhow.openflag4_u.how.createhow4_u.createattrs;
		f->attrmask.bitmap4_len = 2;
		f->attrmask.bitmap4_val = mode_attr;
		f->attr_vals.attrlist4_len = sizeof(mode_val);
		f->attr_vals.attrlist4_val = mode_val;
	} else {
		o->openhow.opentype = OPEN4_NOCREATE;
	}
	o->claim.claim = CLAIM_NULL;
	o->claim.open_claim4_u.file.utf8string_len = strlen(name);
	o->claim.open_claim4_u.file.utf8string_val = (char *)name;
	add(&c, OP_GETFH);
	run_step(cl, &c, take_open);
	int confirm = (cl->rflags & OPEN4_RESULT_CONFIRM) != 0;
	printf("open ok %s confirm=%d\n", owner, confirm);
	if (!confirm)
		return;
	struct compound cc = {.tag = "open_confirm"};
	put_fh(&cc, cl->fh, cl->fh_len);
	OPEN_CONFIRM4args *oc = &add(&cc, OP_OPEN_CONFIRM)->nfs_argop4_u.opopen_confirm;
	oc->open_stateid = cl->stateid;
	oc->seqid = 1;
	run_step(cl, &cc, take_open_confirm);
	printf("open_confirm ok\n");
}

/* close_file closes the open under way, whose owner used seqid
 * (confirmed ? 2 : 1) next. */
static void close_file(struct client *cl, int confirmed)
{
	struct compound c = {.tag = "close"};
	put_fh(&c, cl->fh, cl->fh_len);
	CLOSE4args *a = &add(&c, OP_CLOSE)->nfs_argop4_u.opclose;
	a->seqid = confirmed ? 2 : 1;
	a->open_stateid = cl->stateid;
	run_step(cl, &c, take_close);
	printf("close ok\n");
}

/* io_failed records the first failure of the calls under way. */
__attribute__((format(printf, 2, 3)))
static void io_failed(struct client *cl, const char *fmt, ...)
{
	if (cl->failed)
		return;
	cl->failed = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cl->error, sizeof(cl->error), fmt, ap);
	va_end(ap);
}

/* io_ended takes the answer to a WRITE or READ of io: it failed, or it
 * did n of io's bytes and the rest, if any, is to be asked for again. */
static void io_ended(struct io *io, uint32_t n)
{
	struct client *cl = io->cl;
	cl->done += n;
	if (n < io->len) {
		io->off += n;
		io->len -= n;
		io->next = retry;
		retry = io;
		return;
	}
	free(io);
}

static const nfs_opnum4 write_ops[] = {OP_PUTFH, OP_WRITE};
static const nfs_opnum4 read_ops[] = {OP_PUTFH, OP_READ};
static const nfs_opnum4 renew_ops[] = {OP_RENEW};

/* io_abort records why the call of io failed, and frees io. */
__attribute__((format(printf, 2, 3)))
static void io_abort(struct io *io, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	io_failed(io->cl, "at offset %" PRIu64 ": %s", io->off, why);
	free(io);
}

/* io_result takes the answer to the call of io, a PUTFH and the
 * operation ops[1], and returns the latter's result, or NULL if the call
 * failed (io_abort has then taken io). */
static const nfs_resop4 *io_result(struct io *io, int status, void *data, const nfs_opnum4 *ops)
{
	struct call c = {0};
	io->cl->inflight--;
	if (call_failed(&c, status, data) || compound_failed(data, ops, 2, c.error, sizeof(c.error))) {
		io_abort(io, "%s", c.error);
		return NULL;
	}
	return result(data, 1);
}

static void write_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct io *io = private_data;
	struct client *cl = io->cl;
	(void)rpc;
	const nfs_resop4 *r = io_result(io, status, data, write_ops);
	if (r == NULL)
		return;
	const WRITE4resok *ok = &r->nfs_resop4_u.opwrite.WRITE4res_u.resok4;
	if (ok->count == 0 || ok->count > io->len) {
		io_abort(io, "wrote %u of %u bytes", ok->count, io->len);
		return;
	}
	if (cl->have_write_verf && memcmp(cl->write_verf, ok->writeverf, sizeof(verifier4)) != 0)
		io_failed(cl, "at offset %" PRIu64 ": the write verifier changed", io->off);
	memcpy(cl->write_verf, ok->writeverf, sizeof(verifier4));
	cl->have_write_verf = 1;
	if (ok->committed == UNSTABLE4)
		cl->unstable = 1;
	io_ended(io, ok->count);
}

static void read_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct io *io = private_data;
	struct client *cl = io->cl;
	(void)rpc;
	const nfs_resop4 *r = io_result(io, status, data, read_ops);
	if (r == NULL)
		return;
	const READ4resok *ok = &r->nfs_resop4_u.opread.READ4res_u.resok4;
	u_int n = ok->data.data_len;
	if (n == 0 || n > io->len) {
		io_abort(io, "%u bytes (eof %u) for a READ of %u, %" PRIu64 " bytes before the end",
			 n, ok->eof, io->len, cl->len - io->off);
		return;
	}
	memcpy(cl->buf + io->off, ok->data.data_val, n);
	if (ok->eof)
		cl->eof_seen = 1;
	io_ended(io, n);
}

static void renew_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct client *cl = private_data;
	struct call c = {0};
	(void)rpc;
	cl->renewing = 0;
	if (call_failed(&c, status, data) || compound_failed(data, renew_ops, 1, c.error, sizeof(c.error)))
		io_failed(cl, "renew: %s", c.error);
}

/* maybe_renew sends a RENEW, not waiting for it, once a third of the
 * lease has passed since the last. */
static void maybe_renew(struct client *cl)
{
	if (cl->renewing || now_ms() - cl->last_renew_ms < (int64_t)cl->lease * 1000 / 3)
		return;
	struct compound c = {.tag = "renew"};
	add_renew(cl, &c);
	if (send_compound(cl, &c, renew_cb, cl) != 0) {
		io_failed(cl, "renew: cannot queue the call: %s", rpc_get_error(cl->rpc));
		return;
	}
	cl->renewing = 1;
	cl->last_renew_ms = now_ms();
}

/* send_io sends a WRITE (write set) or READ of the range of io. */
static int send_io(struct client *cl, struct io *io, int write)
{
	struct compound c = {.tag = write ? "write" : "read"};
	put_fh(&c, cl->fh, cl->fh_len);
	if (write) {
		WRITE4args *w = &add(&c, OP_WRITE)->nfs_argop4_u.opwrite;
		w->stateid = cl->stateid;
		w->offset = io->off;
		w->stable = UNSTABLE4;
		w->data.data_len = io->len;
		w->data.data_val = cl->buf + io->off;
	} else {
		READ4args *r = &add(&c, OP_READ)->nfs_argop4_u.opread;
		r->stateid = cl->stateid;
		r->offset = io->off;
		r->count = io->len;
	}
	if (send_compound(cl, &c, write ? write_cb : read_cb, io) != 0)
		return -1;
	cl->inflight++;
	cl->calls++;
	return 0;
}

/* transfer writes (write set) cl->buf into the file, or reads the file
 * into it, in calls of up to chunk bytes, max_inflight at a time. */
static void transfer(struct client *cl, int write, uint64_t chunk)
{
	const char *step = write ? "write" : "read";
	cl->next = cl->done = 0;
	cl->calls = 0;
	int64_t progress = now_ms();
	uint64_t done = 0;
	while (!cl->failed && (cl->done < cl->len || cl->inflight > 0 || cl->renewing)) {
		while (!cl->failed && cl->inflight < cl->max_inflight && (retry || cl->next < cl->len)) {
			struct io *io = retry;
			if (io) {
				retry = io->next;
			} else {
				io = calloc(1, sizeof(*io));
				if (io == NULL)
					step_failed(cl->rpc, step, "out of memory");
				io->cl = cl;
				io->off = cl->next;
				io->len = (uint32_t)(cl->len - cl->next < chunk ? cl->len - cl->next : chunk);
				cl->next += io->len;
			}
			if (send_io(cl, io, write) != 0)
				step_failed(cl->rpc, step, "cannot queue the call: %s", rpc_get_error(cl->rpc));
		}
		maybe_renew(cl);
		if (cl->done != done) {
			done = cl->done;
			progress = now_ms();
		} else if (now_ms() - progress > STEP_TIMEOUT_MS) {
			step_failed(cl->rpc, step, "no answer within %d ms, %" PRIu64 " of %" PRIu64 " bytes done",
				    STEP_TIMEOUT_MS, cl->done, cl->len);
		}
		char error[256];
		if (service_once(cl->rpc, 100, error, sizeof(error)) != 0)
			step_failed(cl->rpc, step, "%s", error);
	}
	if (cl->failed)
		step_failed(cl->rpc, step, "%s", cl->error);
}

/* read_file reads the local file path into a new buffer. */
static char *read_file(const char *path, uint64_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char *b = malloc(st.st_size ? st.st_size : 1);
	if (b == NULL || fread(b, 1, st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, PROG ": reading %s failed\n", path);
		exit(2);
	}
	fclose(f);
	*len = st.st_size;
	return b;
}

/* write_file writes len bytes of b into the local file path. */
static void write_file(const char *path, const char *b, uint64_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(b, 1, len, f) != len || fclose(f) != 0) {
		printf("copy error: writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 7 && argc != 8)
		usage();
	const char *host = argv[1];
	int port = parse_int(PROG, argv[2], "port");
	char *export = strdup(argv[3]);
	const char *name = argv[4];
	const char *src = argv[5], *dst = argv[6];
	struct client cl = {.max_inflight = 16};
	if (argc == 8)
		cl.max_inflight = parse_int(PROG, argv[7], "inflight");
	if (cl.max_inflight < 1) {
		fprintf(stderr, PROG ": inflight must be at least 1\n");
		exit(2);
	}
	uint64_t len;
	char *data = read_file(src, &len);
	cl.rpc = connect_to(PROG, host, port);

	/* The client's identity is new for every run, so the server has no
	 * state of an earlier one to confirm or clear. */
	char id[128];
	snprintf(id, sizeof(id), PROG "-%d-%" PRId64, (int)getpid(), now_ms());
	struct compound c = {.tag = "setclientid"};
	SETCLIENTID4args *sc = &add(&c, OP_SETCLIENTID)->nfs_argop4_u.opsetclientid;
	int64_t boot = now_ms();
	memcpy(sc->client.verifier, &boot, sizeof(verifier4));
	sc->client.id.id_len = strlen(id);
	sc->client.id.id_val = id;
	sc->callback.cb_program = 0x40000000;
	sc->callback.cb_location.r_netid = "tcp";
	sc->callback.cb_location.r_addr = "127.0.0.1.0.0";
	sc->callback_ident = 1;
	run_step(&cl, &c, take_setclientid);
	printf("setclientid ok\n");

	struct compound cc = {.tag = "setclientid_confirm"};
	SETCLIENTID_CONFIRM4args *scc = &add(&cc, OP_SETCLIENTID_CONFIRM)->nfs_argop4_u.opsetclientid_confirm;
	scc->clientid = cl.clientid;
	memcpy(scc->setclientid_confirm, cl.confirm, sizeof(verifier4));
	run_step(&cl, &cc, NULL);
	cl.last_renew_ms = now_ms();
	printf("setclientid_confirm ok\n");

	struct compound lc = {.tag = "lookup"};
	add(&lc, OP_PUTROOTFH);
	for (char *save, *comp = strtok_r(export, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		LOOKUP4args *l = &add(&lc, OP_LOOKUP)->nfs_argop4_u.oplookup;
		l->objname.utf8string_len = strlen(comp);
		l->objname.utf8string_val = comp;
	}
	add(&lc, OP_GETFH);
	add_getattr(&lc, attrs_lookup);
	cl.lease = 0;
	run_step(&cl, &lc, take_lookup);
	if (cl.lease == 0 || cl.maxread == 0 || cl.maxwrite == 0) {
		printf("lookup error: lease_time %u, maxread %" PRIu64 ", maxwrite %" PRIu64 " (0: not given)\n",
		       cl.lease, cl.maxread, cl.maxwrite);
		return 1;
	}
	printf("lookup ok lease=%u maxread=%" PRIu64 " maxwrite=%" PRIu64 "\n", cl.lease, cl.maxread, cl.maxwrite);

	open_file(&cl, name, "writer", OPEN4_SHARE_ACCESS_WRITE, 1);
	int confirmed = (cl.rflags & OPEN4_RESULT_CONFIRM) != 0;
	uint64_t wchunk = cl.maxwrite < WRITE_MAX ? cl.maxwrite : WRITE_MAX;
	cl.buf = data;
	cl.len = len;
	int64_t start = now_ms();
	transfer(&cl, 1, wchunk);
	printf("write ok %" PRIu64 " bytes in %d WRITEs of up to %" PRIu64 " bytes, %" PRId64 " ms\n",
	       cl.done, cl.calls, wchunk, now_ms() - start);

	struct compound mc = {.tag = "commit"};
	put_fh(&mc, cl.fh, cl.fh_len);
	add(&mc, OP_COMMIT); /* offset 0, count 0: the whole file */
	add_getattr(&mc, attrs_size);
	cl.have_size = 0;
	run_step(&cl, &mc, take_commit);
	if (cl.unstable && memcmp(cl.commit_verf, cl.write_verf, sizeof(verifier4)) != 0) {
		printf("commit error: the verifier differs from the WRITEs': the data may be lost\n");
		return 1;
	}
	if (!cl.have_size || cl.size != len) {
		printf("commit error: the file's size is %" PRIu64 " (given: %d), not %" PRIu64 "\n",
		       cl.size, cl.have_size, len);
		return 1;
	}
	printf("commit ok size=%" PRIu64 "\n", cl.size);
	close_file(&cl, confirmed);
	renew(&cl);

	open_file(&cl, name, "reader", OPEN4_SHARE_ACCESS_READ, 0);
	confirmed = (cl.rflags & OPEN4_RESULT_CONFIRM) != 0;
	uint64_t rchunk = cl.maxread < READ_MAX ? cl.maxread : READ_MAX;
	cl.buf = malloc(len ? len : 1);
	if (cl.buf == NULL)
		step_failed(cl.rpc, "read", "out of memory");
	memset(cl.buf, 0, len);
	cl.eof_seen = 0;
	start = now_ms();
	transfer(&cl, 0, rchunk);
	int calls = cl.calls;
	if (!cl.eof_seen) {
		/* A READ at the end of the file must answer eof and no data. */
		struct compound ec = {.tag = "read"};
		put_fh(&ec, cl.fh, cl.fh_len);
		READ4args *r = &add(&ec, OP_READ)->nfs_argop4_u.opread;
		r->stateid = cl.stateid;
		r->offset = len;
		r->count = 1;
		cl.eof_data = -1;
		run_step(&cl, &ec, take_read_at_end);
		if (!cl.eof_seen || cl.eof_data != 0)
			step_failed(cl.rpc, "read", "a READ at the end of the file: eof %d, %d bytes",
				    cl.eof_seen, cl.eof_data);
		calls++;
	}
	printf("read ok %" PRIu64 " bytes in %d READs of up to %" PRIu64 " bytes, %" PRId64 " ms\n",
	       len, calls, rchunk, now_ms() - start);
	close_file(&cl, confirmed);

	write_file(dst, cl.buf, len);
	printf("copied %" PRIu64 " bytes\n", len);
	rpc_destroy_context(cl.rpc);
	return 0;
}
