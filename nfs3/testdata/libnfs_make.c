/*
 * libnfs_make makes files on an NFSv3 server through libnfs's raw RPC
 * layer, an XDR implementation independent of nfskit's, over TCP, as a
 * caller of its choosing (AUTH_SYS uid and gid), with settable
 * attributes a server may not apply as they are.
 *
 * Usage:
 *   libnfs_make HOST PORT UID GID DIRFH_HEX STEP...
 *
 * where DIRFH_HEX is the directory's file handle in hex, and each STEP is
 * one of
 *   create   NAME SET_UID SET_GID   (GUARDED, mode 0644)
 *   mkdir    NAME SET_UID SET_GID   (mode 0755)
 *   symlink  NAME TARGET SET_SIZE
 *
 * A SET_ value of -1 leaves that attribute unset. Each step prints one
 * line: "create STATUS UID GID", "mkdir STATUS UID GID" or "symlink
 * STATUS SIZE", with the nfsstat3 number and the new object's attributes
 * (or "- -" and "-" when the server sent none). A step that gets no answer
 * or whose reply does not decode prints "NAME error: WHY" and ends the
 * program with status 1; bad arguments end it with status 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>

#include "libnfs_steps.h"

#define PROG "libnfs_make"

/* The outcome of one asynchronous call, filled in by its callback. */
struct outcome {
	struct call call;
	char line[128]; /* what the step prints when it succeeded */
};

static void usage(void)
{
	fprintf(stderr, "usage: libnfs_make HOST PORT UID GID DIRFH_HEX STEP...\n"
		"steps: create NAME SET_UID SET_GID | mkdir NAME SET_UID SET_GID |\n"
		"       symlink NAME TARGET SET_SIZE\n");
	exit(2);
}

/* owner formats the status and the owner of a made object. */
static void owner(struct outcome *out, nfsstat3 st, post_op_attr *a)
{
	if (st == NFS3_OK && a->attributes_follow)
		snprintf(out->line, sizeof(out->line), "%d %u %u", (int)st,
			 a->post_op_attr_u.attributes.uid, a->post_op_attr_u.attributes.gid);
	else
		snprintf(out->line, sizeof(out->line), "%d - -", (int)st);
}

static void create_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	CREATE3res *res = data;
	owner(out, res->status, &res->CREATE3res_u.resok.obj_attributes);
}

static void mkdir_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	MKDIR3res *res = data;
	owner(out, res->status, &res->MKDIR3res_u.resok.obj_attributes);
}

static void symlink_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct outcome *out = private_data;
	(void)rpc;
	if (call_failed(&out->call, status, data))
		return;
	SYMLINK3res *res = data;
	post_op_attr *a = &res->SYMLINK3res_u.resok.obj_attributes;
	if (res->status == NFS3_OK && a->attributes_follow)
		snprintf(out->line, sizeof(out->line), "%d %llu", (int)res->status,
			 (unsigned long long)a->post_op_attr_u.attributes.size);
	else
		snprintf(out->line, sizeof(out->line), "%d -", (int)res->status);
}

/* owner_attrs returns settable attributes with the mode, and the uid and
 * gid read from argv at *i where not -1. */
static sattr3 owner_attrs(uint32_t mode, char **argv, int *i)
{
	sattr3 s;
	memset(&s, 0, sizeof(s));
	s.mode.set_it = 1;
	s.mode.set_mode3_u.mode = mode;
	int uid = parse_int(PROG, argv[(*i)++], "uid");
	int gid = parse_int(PROG, argv[(*i)++], "gid");
	if (uid >= 0) {
		s.uid.set_it = 1;
		s.uid.set_uid3_u.uid = (uint32_t)uid;
	}
	if (gid >= 0) {
		s.gid.set_it = 1;
		s.gid.set_gid3_u.gid = (uint32_t)gid;
	}
	return s;
}

/* nargs returns how many arguments a step takes, or -1 if it is unknown. */
static int nargs(const char *step)
{
	if (strcmp(step, "create") == 0 || strcmp(step, "mkdir") == 0 || strcmp(step, "symlink") == 0)
		return 3;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 6)
		usage();
	const char *host = argv[1];
	int port = parse_int(PROG, argv[2], "port");
	int uid = parse_int(PROG, argv[3], "uid");
	int gid = parse_int(PROG, argv[4], "gid");
	const char *hex = argv[5];
	size_t fhlen = strlen(hex) / 2;
	if (fhlen == 0 || fhlen > 64 || strlen(hex) % 2 != 0) {
		fprintf(stderr, PROG ": bad file handle %s\n", hex);
		exit(2);
	}
	char fh[64];
	parse_hex(PROG, hex, "file handle", fh, fhlen);
	struct rpc_context *rpc = connect_to(PROG, host, port);
	rpc_set_uid(rpc, uid);
	rpc_set_gid(rpc, gid);
	nfs_fh3 dir = {.data = {.data_len = (u_int)fhlen, .data_val = fh}};

	int i = 6;
	while (i < argc) {
		const char *step = argv[i++];
		int n = nargs(step);
		if (n < 0) {
			fprintf(stderr, PROG ": unknown step %s\n", step);
			usage();
		}
		if (i + n > argc) {
			fprintf(stderr, PROG ": step %s needs %d arguments\n", step, n);
			usage();
		}

		struct outcome out = {0};
		int queued;
		char *name = argv[i++];
		if (strcmp(step, "create") == 0) {
			CREATE3args args;
			memset(&args, 0, sizeof(args));
			args.where.dir = dir;
			args.where.name = name;
			args.how.mode = GUARDED;
			args.how.createhow3_u.obj_attributes = owner_attrs(0644, argv, &i);
			queued = rpc_nfs3_create_async(rpc, create_cb, &args, &out);
		} else if (strcmp(step, "mkdir") == 0) {
			MKDIR3args args;
			memset(&args, 0, sizeof(args));
			args.where.dir = dir;
			args.where.name = name;
			args.attributes = owner_attrs(0755, argv, &i);
			queued = rpc_nfs3_mkdir_async(rpc, mkdir_cb, &args, &out);
		} else {
			SYMLINK3args args;
			memset(&args, 0, sizeof(args));
			args.where.dir = dir;
			args.where.name = name;
			args.symlink.symlink_data = argv[i++];
			int64_t size = (int64_t)parse_int(PROG, argv[i++], "size");
			if (size >= 0) {
				args.symlink.symlink_attributes.size.set_it = 1;
				args.symlink.symlink_attributes.size.set_size3_u.size = (uint64_t)size;
			}
			queued = rpc_nfs3_symlink_async(rpc, symlink_cb, &args, &out);
		}
		finish_step(rpc, step, queued, &out.call);
		printf("%s %s\n", step, out.line);
		fflush(stdout);
	}

	rpc_destroy_context(rpc);
	return 0;
}
