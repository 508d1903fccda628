/*
 * libnfs_nlm drives an NLM version 4 server through libnfs's raw RPC layer,
 * an XDR implementation independent of nfskit's, over TCP.
 *
 * Usage:
 *   libnfs_nlm HOST PORT FH_HEX CALLER_NAME STEP...
 *
 * where each STEP is one of
 *   null
 *   test   SVID EXCL OFFSET LENGTH
 *   lock   SVID EXCL OFFSET LENGTH
 *   block  SVID EXCL OFFSET LENGTH
 *   cancel SVID EXCL OFFSET LENGTH
 *   unlock SVID OFFSET LENGTH
 *
 * The owner handle (oh) of a step is "owner-SVID", so steps with the same
 * svid are one lock owner. LOCK asks for the lock without waiting, BLOCK
 * asks to wait for it (a server that cannot grant it at once answers
 * BLOCKED and grants it later), and CANCEL has block set, as a client
 * cancels a blocked request.
 *
 * Each step prints one line: its name and the nlm4_stats number the server
 * answered, and for a TEST answered DENIED the holder as
 * "EXCL SVID OFFSET LENGTH OH". A step that gets no answer, a reply that
 * does not decode or a cookie that is not echoed prints "NAME error: WHY"
 * and ends the program with status 1; bad arguments end it with status 2.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nlm.h>

#include "libnfs_steps.h"

#define PROG "libnfs_nlm"

/* The outcome of one asynchronous call, filled in by its callback. */
struct outcome {
	struct call call;
	uint32_t cookie; /* the cookie sent, to compare with the reply's */
	int cookie_ok;
	nlmstat4 stat;
	/* The holder of a TEST answered DENIED. */
	uint32_t h_excl, h_svid;
	uint64_t h_off, h_len;
	char h_oh[64];
};

static void usage(void)
{
	fprintf(stderr, "usage: libnfs_nlm HOST PORT FH_HEX CALLER_NAME STEP...\n"
		"steps: null | test|lock|block|cancel SVID EXCL OFFSET LENGTH | unlock SVID OFFSET LENGTH\n");
	exit(2);
}

/* parse_fh decodes a file handle, an even-length hex string, into a new
 * buffer. */
static char *parse_fh(const char *s, u_int *len)
{
	size_t n = strlen(s);
	if (n % 2 != 0) {
		fprintf(stderr, PROG ": file handle %s has an odd number of hex digits\n", s);
		exit(2);
	}
	char *b = malloc(n / 2 + 1);
	parse_hex(PROG, s, "file handle", b, n / 2);
	*len = (u_int)(n / 2);
	return b;
}

/* cookie_matches reports whether a reply's cookie is the 4 bytes sent. */
static int cookie_matches(const nlm_cookie *c, uint32_t sent)
{
	return c->data.data_len == sizeof(sent) && memcmp(c->data.data_val, &sent, sizeof(sent)) == 0;
}

static void null_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	call_failed(&out->call, status, data);
	out->cookie_ok = 1;
}

static void test_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NLM4_TESTres *res = data;
	out->cookie_ok = cookie_matches(&res->cookie, out->cookie);
	out->stat = res->reply.status;
	if (res->reply.status == NLM4_DENIED) {
		nlm4_holder *h = &res->reply.nlm4_testreply_u.lock.holder;
		out->h_excl = h->exclusive;
		out->h_svid = h->svid;
		out->h_off = h->l_offset;
		out->h_len = h->l_len;
		/* The owner handle decodes as a string of the bytes sent. */
		snprintf(out->h_oh, sizeof(out->h_oh), "%s", h->oh ? h->oh : "");
	}
}

static void lock_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NLM4_LOCKres *res = data;
	out->cookie_ok = cookie_matches(&res->cookie, out->cookie);
	out->stat = res->status;
}

static void cancel_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NLM4_CANCres *res = data;
	out->cookie_ok = cookie_matches(&res->cookie, out->cookie);
	out->stat = res->status;
}

static void unlock_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	NLM4_UNLOCKres *res = data;
	out->cookie_ok = cookie_matches(&res->cookie, out->cookie);
	out->stat = res->status;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		usage();
	const char *host = argv[1];
	int port = (int)parse_u64(PROG, argv[2], "port");
	u_int fh_len;
	char *fh = parse_fh(argv[3], &fh_len);
	char *caller = argv[4];

	struct rpc_context *rpc = connect_to(PROG, host, port);

	uint32_t next_cookie = 0x6e6c6d00; /* a distinct cookie per call */
	int i = 5;
	while (i < argc) {
		const char *step = argv[i++];
		int is_unlock = strcmp(step, "unlock") == 0;
		int nargs = strcmp(step, "null") == 0 ? 0 : is_unlock ? 3 : 4;
		if (nargs == 4 && strcmp(step, "test") != 0 && strcmp(step, "lock") != 0 &&
		    strcmp(step, "block") != 0 && strcmp(step, "cancel") != 0) {
			fprintf(stderr, PROG ": unknown step %s\n", step);
			usage();
		}
		if (i + nargs > argc) {
			fprintf(stderr, PROG ": step %s needs %d arguments\n", step, nargs);
			usage();
		}

		uint32_t svid = 0, excl = 0;
		uint64_t off = 0, len = 0;
		if (nargs > 0) {
			svid = (uint32_t)parse_u64(PROG, argv[i++], "svid");
			if (!is_unlock)
				excl = (uint32_t)parse_u64(PROG, argv[i++], "exclusive flag");
			off = parse_u64(PROG, argv[i++], "offset");
			len = parse_u64(PROG, argv[i++], "length");
		}

		char oh[32];
		snprintf(oh, sizeof(oh), "owner-%" PRIu32, svid);
		nlm4_lock lock = {
			.caller_name = caller,
			.fh = {.data = {.data_len = fh_len, .data_val = fh}},
			.oh = oh,
			.svid = svid,
			.l_offset = off,
			.l_len = len,
		};

		struct outcome out = {0};
		out.cookie = ++next_cookie;
		nlm_cookie cookie = {.data = {.data_len = sizeof(out.cookie), .data_val = (char *)&out.cookie}};
		int queued;
		if (strcmp(step, "null") == 0) {
			queued = rpc_nlm4_null_async(rpc, null_cb, &out);
		} else if (strcmp(step, "test") == 0) {
			NLM4_TESTargs args = {.cookie = cookie, .exclusive = excl, .lock = lock};
			queued = rpc_nlm4_test_async(rpc, test_cb, &args, &out);
		} else if (strcmp(step, "lock") == 0 || strcmp(step, "block") == 0) {
			NLM4_LOCKargs args = {.cookie = cookie, .block = step[0] == 'b', .exclusive = excl, .lock = lock,
					      .reclaim = 0, .state = 1};
			queued = rpc_nlm4_lock_async(rpc, lock_cb, &args, &out);
		} else if (strcmp(step, "cancel") == 0) {
			NLM4_CANCargs args = {.cookie = cookie, .block = 1, .exclusive = excl, .lock = lock};
			queued = rpc_nlm4_cancel_async(rpc, cancel_cb, &args, &out);
		} else {
			NLM4_UNLOCKargs args = {.cookie = cookie, .lock = lock};
			queued = rpc_nlm4_unlock_async(rpc, unlock_cb, &args, &out);
		}
		finish_step(rpc, step, queued, &out.call);
		if (!out.cookie_ok)
			step_failed(rpc, step, "reply cookie differs from the call's");

		if (strcmp(step, "null") == 0)
			printf("null ok\n");
		else if (strcmp(step, "test") == 0 && out.stat == NLM4_DENIED)
			printf("test %d %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %s\n", (int)out.stat,
			       out.h_excl, out.h_svid, out.h_off, out.h_len, out.h_oh);
		else
			printf("%s %d\n", step, (int)out.stat);
		fflush(stdout);
	}

	rpc_destroy_context(rpc);
	free(fh);
	return 0;
}
