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
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nlm.h>

/* How long one step may wait for its answer. */
#define STEP_TIMEOUT_MS 10000

/* The outcome of one asynchronous call, filled in by its callback. */
struct outcome {
	int done;
	int status;             /* RPC_STATUS_* */
	char error[256];        /* the error text when status is not success */
	uint32_t cookie;        /* the cookie sent, to compare with the reply's */
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

/* parse_u64 parses a decimal number or exits with a message. */
static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0') {
		fprintf(stderr, "libnfs_nlm: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* parse_hex decodes an even-length hex string into a new buffer. */
static char *parse_hex(const char *s, u_int *len)
{
	size_t n = strlen(s);
	if (n % 2 != 0) {
		fprintf(stderr, "libnfs_nlm: file handle %s has an odd number of hex digits\n", s);
		exit(2);
	}
	char *b = malloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "libnfs_nlm: file handle %s is not hex\n", s);
			exit(2);
		}
		b[i] = (char)v;
	}
	*len = (u_int)(n / 2);
	return b;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_for runs the event loop until out is done or the step times out. */
static int wait_for(struct rpc_context *rpc, struct outcome *out)
{
	int64_t deadline = now_ms() + STEP_TIMEOUT_MS;
	while (!out->done) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(out->error, sizeof(out->error), "no answer within %d ms", STEP_TIMEOUT_MS);
			return -1;
		}
		struct pollfd pfd = {
			.fd = rpc_get_fd(rpc),
			.events = (short)rpc_which_events(rpc),
		};
		int n = poll(&pfd, 1, left < 100 ? (int)left : 100);
		if (n < 0 && errno != EINTR) {
			snprintf(out->error, sizeof(out->error), "poll: %s", strerror(errno));
			return -1;
		}
		if (rpc_service(rpc, n > 0 ? pfd.revents : 0) < 0) {
			snprintf(out->error, sizeof(out->error), "rpc_service: %s", rpc_get_error(rpc));
			return -1;
		}
	}
	if (out->status != RPC_STATUS_SUCCESS)
		return -1;
	if (!out->cookie_ok) {
		snprintf(out->error, sizeof(out->error), "reply cookie differs from the call's");
		return -1;
	}
	return 0;
}

/* failed records an unsuccessful callback in out; it reports whether the
 * call failed. */
static int failed(int status, void *data, struct outcome *out)
{
	out->done = 1;
	out->status = status;
	if (status == RPC_STATUS_SUCCESS)
		return 0;
	snprintf(out->error, sizeof(out->error), "%s",
		 status == RPC_STATUS_ERROR && data ? (const char *)data :
		 status == RPC_STATUS_TIMEOUT ? "timed out" : "cancelled");
	return 1;
}

/* cookie_matches reports whether a reply's cookie is the 4 bytes sent. */
static int cookie_matches(const nlm_cookie *c, uint32_t sent)
{
	return c->data.data_len == sizeof(sent) && memcmp(c->data.data_val, &sent, sizeof(sent)) == 0;
}

static void connect_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	(void)rpc;
	failed(status, data, private_data);
	((struct outcome *)private_data)->cookie_ok = 1;
}

static void null_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	(void)rpc;
	failed(status, data, private_data);
	((struct outcome *)private_data)->cookie_ok = 1;
}

static void test_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
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
	if (failed(status, data, out))
		return;
	NLM4_LOCKres *res = data;
	out->cookie_ok = cookie_matches(&res->cookie, out->cookie);
	out->stat = res->status;
}

static void cancel_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
		return;
	NLM4_CANCres *res = data;
	out->cookie_ok = cookie_matches(&res->cookie, out->cookie);
	out->stat = res->status;
}

static void unlock_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (failed(status, data, out))
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
	int port = (int)parse_u64(argv[2], "port");
	u_int fh_len;
	char *fh = parse_hex(argv[3], &fh_len);
	char *caller = argv[4];

	struct rpc_context *rpc = rpc_init_context();
	if (rpc == NULL) {
		fprintf(stderr, "libnfs_nlm: rpc_init_context failed\n");
		return 1;
	}
	struct outcome out = {0};
	if (rpc_connect_async(rpc, host, port, connect_cb, &out) != 0 || wait_for(rpc, &out) != 0) {
		printf("connect error: %s\n", out.error[0] ? out.error : rpc_get_error(rpc));
		rpc_destroy_context(rpc);
		return 1;
	}

	uint32_t next_cookie = 0x6e6c6d00; /* a distinct cookie per call */
	int i = 5;
	while (i < argc) {
		const char *step = argv[i++];
		int is_unlock = strcmp(step, "unlock") == 0;
		int nargs = strcmp(step, "null") == 0 ? 0 : is_unlock ? 3 : 4;
		if (nargs == 4 && strcmp(step, "test") != 0 && strcmp(step, "lock") != 0 &&
		    strcmp(step, "block") != 0 && strcmp(step, "cancel") != 0) {
			fprintf(stderr, "libnfs_nlm: unknown step %s\n", step);
			usage();
		}
		if (i + nargs > argc) {
			fprintf(stderr, "libnfs_nlm: step %s needs %d arguments\n", step, nargs);
			usage();
		}

		uint32_t svid = 0, excl = 0;
		uint64_t off = 0, len = 0;
		if (nargs > 0) {
			svid = (uint32_t)parse_u64(argv[i++], "svid");
			if (!is_unlock)
				excl = (uint32_t)parse_u64(argv[i++], "exclusive flag");
			off = parse_u64(argv[i++], "offset");
			len = parse_u64(argv[i++], "length");
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

		memset(&out, 0, sizeof(out));
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
		if (queued != 0) {
			printf("%s error: cannot queue the call: %s\n", step, rpc_get_error(rpc));
			rpc_destroy_context(rpc);
			return 1;
		}
		if (wait_for(rpc, &out) != 0) {
			printf("%s error: %s\n", step, out.error);
			rpc_destroy_context(rpc);
			return 1;
		}

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
