// SPDX-License-Identifier: GPL-2.0
/*
 * notif-fuzz: random SECCOMP_IOCTL_NOTIF_{SEND,RECV,ID_VALID,ADDFD,
 * SET_FLAGS} calls against live notifications, each checked against what
 * the series documents (patch 1's uapi comment and commit message, patch
 * 5's seccomp_filter.rst) and what kernel/seccomp.c does in order:
 *
 * SEND: flags & ~CONTINUE -> EINVAL; CONTINUE with error or val -> EINVAL
 *   (both before the lookup, so the notification stays pending); unknown
 *   id -> ENOENT; not in SENT state (not yet received, or replied) ->
 *   EINPROGRESS (or ENOENT once the target has left); else 0.
 * ADDFD: size < 24 or >= PAGE_SIZE -> EINVAL; non-zero bytes past the
 *   struct -> E2BIG; newfd_flags & ~O_CLOEXEC, flags & ~(SETFD|SEND),
 *   newfd without SETFD -> EINVAL; bad srcfd -> EBADF; unknown id ->
 *   ENOENT; not SENT -> EINPROGRESS; SETFD at or above RLIMIT_NOFILE ->
 *   EBADF (with SEND the notification stays pending); else the fd number
 *   in the target, and with SEND that number is the reply.
 * ID_VALID: 0 for a received, unanswered notification, else ENOENT.
 * RECV with a non-zeroed buffer -> EINVAL.  SET_FLAGS: only
 *   SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP -> 0, else EINVAL.
 *
 * A target child makes one intercepted getppid(token) per case and
 * reports what it returned; it must be exactly what the accepted reply
 * says: the real parent for a continue reply, error ?: val otherwise, the
 * added fd for ADDFD_FLAG_SEND.  Each call brings exactly one
 * notification, with the next id.  fds added to the target must be there,
 * on the marker file, with the close-on-exec flag asked for.  Before a
 * notification is received its id is predictable (ids count up), so
 * replies to it are tried before RECV too (EINPROGRESS).
 *
 * Error and val in -516..-512 (the kernel's ERESTART* codes) are left out:
 * they mean "restart" to the syscall exit path, not a result.
 *
 * Seed: -s SEED or VMTEST_SEED; else from the time.  Printed, and a
 * failing case can be replayed with it (the target's timing does not
 * change the ioctl sequence).  Cases: 300 x VMTEST_SCALE.
 *
 * Test-only switches: -DBREAK_FDCHECK (the target expects the wrong
 * close-on-exec flag), -DBREAK_SPLAT (writes a fake WARNING to the log).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <sys/resource.h>

#include "notif-util.h"

#define CASES		300
#define MAXOPS		6
#define MAXFDS		16
#define WAIT_MS		10000
#define MAXMSGS		20
#define MARKER_PATH	"/tmp/notif-fuzz.marker"

/* What the fuzzer sends the target, and what the target answers. */
struct cmd {
	uint32_t token;
	int quit;
	int nfds;
	int fd[MAXFDS];
	int cloexec[MAXFDS];
};

struct res {
	long raw;
	int fd_bad;
	int fd_checked;
};

enum { OP_SEND, OP_ADDFD, OP_ID_VALID, OP_RECV, OP_SET_FLAGS, NOPS };

static const char * const op_name[NOPS] = {
	"SEND", "ADDFD", "ID_VALID", "RECV", "SET_FLAGS",
};

/* Results we count, by op: 0 for success, else the errno. */
static const int res_err[] = {
	0, EINVAL, ENOENT, EINPROGRESS, EBADF, E2BIG, EBUSY, EFAULT,
};
#define NRES (sizeof(res_err) / sizeof(res_err[0]))
static long tally[NOPS][NRES + 1];

static struct nu_rand rnd;
static uint64_t seed;
static int listener, sock, mfd, msgs;
static long ops, bad_ops, calls, bad_calls, fds_checked, bad_fds;
static unsigned long rlim_nofile;
static pid_t target;

/* The notification under test and what the model knows about it. */
static struct {
	uint64_t id, prev;
	int received, replied, have_prev;
	long expect;
	int nfds;
	int fd[MAXFDS], cloexec[MAXFDS];
} cur;

#define report(fmt, ...) do {						\
	if (msgs++ < MAXMSGS)						\
		ksft_print_msg("FAIL: " fmt "\n", ##__VA_ARGS__);	\
	} while (0)

static const char *ename(int e)
{
	static char buf[32];

	if (!e)
		return "0";
	snprintf(buf, sizeof(buf), "%s", strerror(e));
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EINPROGRESS: return "EINPROGRESS";
	case EBADF: return "EBADF";
	case E2BIG: return "E2BIG";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	}
	return buf;
}

static void count(int op, int err)
{
	unsigned int i;

	for (i = 0; i < NRES; i++)
		if (res_err[i] == err)
			break;
	tally[op][i]++;
}

/* want: errno expected (0: success); alt: a second allowed one, or -1 */
static int check(int caseno, int opno, int op, int err, int want, int alt,
		 const char *desc)
{
	ops++;
	count(op, err);
	if (err == want || err == alt)
		return 1;
	bad_ops++;
	report("case %d op %d: %s(%s) gave %s, expected %s%s%s (replay: VMTEST_SEED=%" PRIu64 ")",
	       caseno, opno, op_name[op], desc, ename(err), ename(want),
	       alt >= 0 ? " or " : "", alt >= 0 ? ename(alt) : "", seed);
	return 0;
}

static int32_t pick_s32(void)
{
	int32_t v;

	switch (nu_below(&rnd, 6)) {
	case 0:
	case 1:
		return 0;
	case 2:
		v = -(int32_t)(1 + nu_below(&rnd, 133));
		break;
	case 3:
		v = 1 + nu_below(&rnd, 1000);
		break;
	case 4:
		v = -1;
		break;
	default:
		v = (int32_t)nu_rand64(&rnd);
	}
	if (v >= -516 && v <= -512)
		v = -EPERM;
	return v;
}

static int64_t pick_val(void)
{
	int64_t v;

	switch (nu_below(&rnd, 6)) {
	case 0:
	case 1:
		return 0;
	case 2:
		v = 1 + nu_below(&rnd, 100000);
		break;
	case 3:
		v = -(int64_t)nu_below(&rnd, 5000);
		break;
	default:
		v = (int64_t)nu_rand64(&rnd);
	}
	if (v >= -516 && v <= -512)
		v = 7;
	return v;
}

static uint32_t pick_flags(void)
{
	switch (nu_below(&rnd, 8)) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
	case 4:
		return SECCOMP_USER_NOTIF_CONTINUE;
	case 5:
		return SECCOMP_USER_NOTIF_CONTINUE | 1U << (1 + nu_below(&rnd, 31));
	case 6:
		return 1U << (1 + nu_below(&rnd, 31));
	default:
		return (uint32_t)nu_rand64(&rnd);
	}
}

/*
 * An id to use, and what it is: 0 the notification under test, 1 one
 * that is gone (or never existed).  When pending, the notification is
 * not received yet.
 */
static uint64_t pick_id(int *is_cur)
{
	uint64_t id;

	switch (nu_below(&rnd, 8)) {
	case 0:
	case 1:
	case 2:
	case 3:
		id = cur.id;
		break;
	case 4:
		id = cur.have_prev ? cur.prev : nu_rand64(&rnd);
		break;
	case 5:
		id = cur.id + 1;
		break;
	case 6:
		id = 0;
		break;
	default:
		id = nu_rand64(&rnd);
	}
	*is_cur = id == cur.id;
	return id;
}

static void note_fd(int fd, int cloexec)
{
	int i;

	for (i = 0; i < cur.nfds; i++)
		if (cur.fd[i] == fd) {
			cur.cloexec[i] = cloexec;
			return;
		}
	if (cur.nfds < MAXFDS) {
		cur.fd[cur.nfds] = fd;
		cur.cloexec[cur.nfds++] = cloexec;
	}
}

/* The state-dependent part of SEND and ADDFD: the lookup. */
static int lookup_want(int is_cur, int *alt)
{
	*alt = -1;
	if (!is_cur)
		return ENOENT;
	if (!cur.received)
		return EINPROGRESS;
	if (cur.replied) {
		*alt = ENOENT;
		return EINPROGRESS;
	}
	return 0;
}

static void op_send(int caseno, int opno, int must)
{
	struct seccomp_notif_resp resp = { 0 };
	int is_cur, want, alt = -1, err, bad_ptr = 0;
	char desc[160];
	long rc;

	if (must) {
		resp.id = cur.id;
		is_cur = 1;
		switch (nu_below(&rnd, 3)) {
		case 0:
			resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
			break;
		case 1:
			resp.error = pick_s32();
			/* fall through */
		default:
			resp.val = pick_val();
		}
	} else {
		resp.id = pick_id(&is_cur);
		resp.flags = pick_flags();
		resp.error = pick_s32();
		resp.val = pick_val();
		bad_ptr = !nu_below(&rnd, 40);
	}
	snprintf(desc, sizeof(desc),
		 "id %s, flags %#x, error %d, val %lld%s",
		 is_cur ? "cur" : "other", resp.flags, resp.error,
		 (long long)resp.val, bad_ptr ? ", bad pointer" : "");

	if (bad_ptr)
		want = EFAULT;
	else if (resp.flags & ~SECCOMP_USER_NOTIF_CONTINUE)
		want = EINVAL;
	else if ((resp.flags & SECCOMP_USER_NOTIF_CONTINUE) &&
		 (resp.error || resp.val))
		want = EINVAL;
	else
		want = lookup_want(is_cur, &alt);

	rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND,
		   bad_ptr ? (void *)8 : (void *)&resp);
	err = rc ? errno : 0;
	check(caseno, opno, OP_SEND, err, want, alt, desc);
	if (!err && is_cur && cur.received && !cur.replied) {
		cur.replied = 1;
		if (resp.flags & SECCOMP_USER_NOTIF_CONTINUE)
			cur.expect = getpid();
		else
			cur.expect = resp.error ? (long)resp.error : resp.val;
	}
}

static void op_addfd(int caseno, int opno, int must)
{
	struct {
		struct seccomp_notif_addfd a;
		char tail[8];
	} buf = { 0 };
	struct seccomp_notif_addfd *a = &buf.a;
	unsigned int size = sizeof(*a), cmd;
	int is_cur, want, alt = -1, err, setfd, send;
	char desc[200];
	long rc;

	if (must) {
		a->id = cur.id;
		is_cur = 1;
		a->srcfd = mfd;
		a->flags = SECCOMP_ADDFD_FLAG_SEND;
		a->newfd_flags = nu_below(&rnd, 2) ? O_CLOEXEC : 0;
	} else {
		a->id = pick_id(&is_cur);
		switch (nu_below(&rnd, 8)) {
		case 0:
			a->flags = SECCOMP_ADDFD_FLAG_SETFD;
			break;
		case 1:
		case 2:
			a->flags = SECCOMP_ADDFD_FLAG_SEND;
			break;
		case 3:
			a->flags = SECCOMP_ADDFD_FLAG_SETFD |
				   SECCOMP_ADDFD_FLAG_SEND;
			break;
		case 4:
			a->flags = (uint32_t)nu_rand64(&rnd);
			break;
		default:
			a->flags = 0;
		}
		switch (nu_below(&rnd, 8)) {
		case 0:
			a->srcfd = -1;
			break;
		case 1:
			a->srcfd = 1000 + nu_below(&rnd, 1000);
			break;
		default:
			a->srcfd = mfd;
		}
		switch (nu_below(&rnd, 8)) {
		case 0:
		case 1:
		case 2:
			a->newfd = 100 + nu_below(&rnd, 4);
			break;
		case 3:
			a->newfd = rlim_nofile + nu_below(&rnd, 2) * 7;
			break;
		case 4:
			a->newfd = 0x7fffffff;
			break;
		default:
			a->newfd = 0;
		}
		switch (nu_below(&rnd, 8)) {
		case 0:
			a->newfd_flags = (uint32_t)nu_rand64(&rnd);
			break;
		case 1:
		case 2:
		case 3:
			a->newfd_flags = O_CLOEXEC;
			break;
		default:
			a->newfd_flags = 0;
		}
		switch (nu_below(&rnd, 16)) {
		case 0:
			size = 16;
			break;
		case 1:
			size = sizeof(buf);
			break;
		case 2:
			size = sizeof(buf);
			buf.tail[nu_below(&rnd, 8)] = 1 + nu_below(&rnd, 255);
			break;
		}
	}
	setfd = a->flags & SECCOMP_ADDFD_FLAG_SETFD;
	send = a->flags & SECCOMP_ADDFD_FLAG_SEND;
	snprintf(desc, sizeof(desc),
		 "size %u, id %s, flags %#x, srcfd %d, newfd %u, newfd_flags %#x",
		 size, is_cur ? "cur" : "other", a->flags, (int)a->srcfd,
		 a->newfd, a->newfd_flags);

	if (size < 24)	/* SECCOMP_NOTIFY_ADDFD_SIZE_VER0 */
		want = EINVAL;
	else if (size > sizeof(*a) && memcmp(buf.tail, "\0\0\0\0\0\0\0\0", 8))
		want = E2BIG;
	else if (a->newfd_flags & ~O_CLOEXEC)
		want = EINVAL;
	else if (a->flags & ~(SECCOMP_ADDFD_FLAG_SETFD |
			      SECCOMP_ADDFD_FLAG_SEND))
		want = EINVAL;
	else if (a->newfd && !setfd)
		want = EINVAL;
	else if ((int)a->srcfd != mfd)
		want = EBADF;
	else
		want = lookup_want(is_cur, &alt);
	/* Reaches the target, which may refuse the fd number. */
	if (want == 0 && setfd && a->newfd >= rlim_nofile)
		want = EBADF;

	cmd = _IOC(_IOC_WRITE, SECCOMP_IOC_MAGIC, 3, size);
	rc = ioctl(listener, cmd, &buf);
	err = rc < 0 ? errno : 0;
	if (!check(caseno, opno, OP_ADDFD, err, want, alt, desc) || err)
		return;
	if (setfd && rc != (long)a->newfd) {
		bad_ops++;
		report("case %d op %d: ADDFD(%s) returned fd %ld (replay: VMTEST_SEED=%" PRIu64 ")",
		       caseno, opno, desc, rc, seed);
	}
	note_fd(rc, !!(a->newfd_flags & O_CLOEXEC));
	if (send && is_cur && cur.received && !cur.replied) {
		cur.replied = 1;
		cur.expect = rc;
	}
}

static void op_id_valid(int caseno, int opno)
{
	int is_cur, err;
	uint64_t id = pick_id(&is_cur);
	char desc[64];

	snprintf(desc, sizeof(desc), "id %s", is_cur ? "cur" : "other");
	err = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) ? errno : 0;
	check(caseno, opno, OP_ID_VALID, err,
	      is_cur && cur.received && !cur.replied ? 0 : ENOENT, -1, desc);
}

static void op_recv_garbage(int caseno, int opno)
{
	struct seccomp_notif req;
	int err;

	memset(&req, 0, sizeof(req));
	((unsigned char *)&req)[nu_below(&rnd, sizeof(req))] =
		1 + nu_below(&rnd, 255);
	err = ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) ? errno : 0;
	check(caseno, opno, OP_RECV, err, EINVAL, -1, "non-zeroed buffer");
}

static void op_set_flags(int caseno, int opno)
{
	unsigned long f = nu_below(&rnd, 2) ? nu_below(&rnd, 2) :
					       (uint32_t)nu_rand64(&rnd);
	char desc[32];
	int err;

	snprintf(desc, sizeof(desc), "%#lx", f);
	err = ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, f) ? errno : 0;
	check(caseno, opno, OP_SET_FLAGS, err,
	      f & ~SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP ? EINVAL : 0, -1, desc);
}

static void random_op(int caseno, int opno)
{
	switch (nu_below(&rnd, 12)) {
	case 0: case 1: case 2: case 3: case 4:
		op_send(caseno, opno, 0);
		break;
	case 5: case 6: case 7: case 8:
		op_addfd(caseno, opno, 0);
		break;
	case 9:
		op_id_valid(caseno, opno);
		break;
	case 10:
		op_recv_garbage(caseno, opno);
		break;
	default:
		op_set_flags(caseno, opno);
	}
}

static int wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void __attribute__((noreturn)) target_main(int s)
{
	struct res r;
	struct cmd c;
	struct stat st, mst;
	int i, l, fl, want;

	alarm(600);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	if (stat(MARKER_PATH, &mst))
		_exit(3);
	l = nu_install_filter(0);
	if (l < 0 || nu_send_fd(s, l, "L", 1))
		_exit(4);
	close(l);
	while (read(s, &c, sizeof(c)) == sizeof(c)) {
		memset(&r, 0, sizeof(r));
		for (i = 0; i < c.nfds && i < MAXFDS; i++) {
			fl = fcntl(c.fd[i], F_GETFD);
			want = c.cloexec[i] ? FD_CLOEXEC : 0;
#ifdef BREAK_FDCHECK
			want ^= FD_CLOEXEC;
#endif
			r.fd_checked++;
			if (fl < 0 || (fl & FD_CLOEXEC) != want ||
			    fstat(c.fd[i], &st) || st.st_ino != mst.st_ino)
				r.fd_bad++;
			close(c.fd[i]);
		}
		if (!c.quit) {
			r.raw = syscall(__NR_getppid, NU_ARG(c.token));
			r.raw = nu_raw(r.raw, errno);
		}
		if (write(s, &r, sizeof(r)) != sizeof(r) || c.quit)
			break;
	}
	_exit(0);
}

/* Send the command for a case (or the last, quit); false on failure. */
static int send_cmd(uint32_t token, int quit)
{
	struct cmd c = { .token = token, .quit = quit, .nfds = cur.nfds };

	memcpy(c.fd, cur.fd, sizeof(c.fd));
	memcpy(c.cloexec, cur.cloexec, sizeof(c.cloexec));
	cur.nfds = 0;
	return write(sock, &c, sizeof(c)) == sizeof(c);
}

static int get_res(struct res *r, int caseno)
{
	if (!wait_in(sock, WAIT_MS) || read(sock, r, sizeof(*r)) != sizeof(*r)) {
		report("case %d: target did not answer within %d ms (replay: VMTEST_SEED=%" PRIu64 ")",
		       caseno, WAIT_MS, seed);
		return 0;
	}
	fds_checked += r->fd_checked;
	bad_fds += r->fd_bad;
	if (r->fd_bad)
		report("case %d: %d of %d fds added to the target wrong (replay: VMTEST_SEED=%" PRIu64 ")",
		       caseno - 1, r->fd_bad, r->fd_checked, seed);
	return 1;
}

static void print_tally(void)
{
	char line[256];
	unsigned int i;
	int op, n;

	for (op = 0; op < NOPS; op++) {
		n = snprintf(line, sizeof(line), "%-9s", op_name[op]);
		for (i = 0; i <= NRES; i++)
			if (tally[op][i] && n < (int)sizeof(line))
				n += snprintf(line + n, sizeof(line) - n,
					      " %s %ld,",
					      i < NRES ? ename(res_err[i]) :
							 "other",
					      tally[op][i]);
		ksft_print_msg("%s\n", line);
	}
}

int main(int argc, char **argv)
{
	static const char mark[] = "notif-fuzz: start\n";
	int scale, ncases, i, k, n, sv[2], status, aborted = 0;
	long bad_ids = 0, extra = 0;
	struct seccomp_notif req;
	struct rlimit rl;
	struct res r;
	char why[256];
	const char *s;
	int opt;

	ksft_print_header();
	seed = (uint64_t)time(NULL) * 1000003 ^ getpid();
	s = getenv("VMTEST_SEED");
	if (s && *s)
		seed = strtoull(s, NULL, 0);
	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			ksft_exit_fail_msg("usage: %s [-s SEED]\n", argv[0]);
		seed = strtoull(optarg, NULL, 0);
	}
	scale = nu_env_int("VMTEST_SCALE", 1, 1, 1000);
	ncases = CASES * scale;
	ksft_print_msg("seed %" PRIu64 " (replay: VMTEST_SEED=%" PRIu64 " or -s %" PRIu64 "), %d cases\n",
		       seed, seed, seed, ncases);
	rnd.s = seed;

	switch (nu_probe_continue(why, sizeof(why))) {
	case 0:
		ksft_exit_skip("%s\n", why);
	case -1:
		ksft_exit_fail_msg("%s\n", why);
	}
	ksft_set_plan(4);

	if (getrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_fail_msg("getrlimit: %s\n", strerror(errno));
	rlim_nofile = rl.rlim_cur > 0x7ffffff0 ? 0x7ffffff0 : rl.rlim_cur;
	unlink(MARKER_PATH);
	mfd = open(MARKER_PATH, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (mfd < 0)
		ksft_exit_fail_msg("create %s: %s\n", MARKER_PATH,
				   strerror(errno));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		ksft_exit_fail_msg("socketpair: %s\n", strerror(errno));
	nu_kmsg_mark(mark);
#ifdef BREAK_SPLAT
	nu_kmsg_mark("WARNING: fake splat written by notif-fuzz -DBREAK_SPLAT\n");
#endif
	fflush(stdout);
	target = fork();
	if (target < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (target == 0) {
		close(sv[0]);
		target_main(sv[1]);
	}
	close(sv[1]);
	sock = sv[0];
	if (!wait_in(sock, WAIT_MS) ||
	    nu_recv_fd(sock, why, 1, &listener, 0) != 1 || listener < 0)
		ksft_exit_fail_msg("target sent no listener\n");

	for (i = 0; i < ncases && !aborted; i++) {
		if (!send_cmd(i, 0) || !wait_in(listener, WAIT_MS)) {
			report("case %d: no notification (replay: VMTEST_SEED=%" PRIu64 ")",
			       i, seed);
			aborted = 1;
			break;
		}
		cur.received = 0;
		cur.replied = 0;
		/* Before RECV: the id is known only from the previous one. */
		if (cur.have_prev) {
			cur.id = cur.prev + 1;
			n = nu_below(&rnd, 3);
			for (k = 0; k < n; k++)
				nu_below(&rnd, 2) ? op_send(i, -1 - k, 0) :
						    op_addfd(i, -1 - k, 0);
		}
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
			report("case %d: RECV: %s", i, strerror(errno));
			aborted = 1;
			break;
		}
		calls++;
		if (req.data.nr != __NR_getppid ||
		    req.data.args[0] != NU_ARG(i) ||
		    (cur.have_prev && req.id != cur.prev + 1)) {
			bad_ids++;
			report("case %d: notification nr %d arg %#llx id %#llx, expected token %d id %#llx",
			       i, req.data.nr,
			       (unsigned long long)req.data.args[0],
			       (unsigned long long)req.id, i,
			       (unsigned long long)(cur.prev + 1));
		}
		cur.id = req.id;
		cur.received = 1;
		n = 1 + nu_below(&rnd, MAXOPS);
		for (k = 0; k < n; k++)
			random_op(i, k);
		if (!cur.replied) {
			if (nu_below(&rnd, 4))
				op_send(i, k, 1);
			else
				op_addfd(i, k, 1);
		}
		if (!cur.replied) {
			report("case %d: no reply accepted (replay: VMTEST_SEED=%" PRIu64 ")",
			       i, seed);
			aborted = 1;
			break;
		}
		if (!get_res(&r, i)) {
			aborted = 1;
			break;
		}
		if (r.raw != cur.expect) {
			bad_calls++;
			report("case %d: getppid() returned %ld, the accepted reply says %ld (replay: VMTEST_SEED=%" PRIu64 ")",
			       i, r.raw, cur.expect, seed);
		}
		/* Exactly once: nothing more from this call. */
		if (wait_in(listener, 0)) {
			extra++;
			report("case %d: a second notification came", i);
			aborted = 1;
		}
		cur.prev = cur.id;
		cur.have_prev = 1;
	}
	if (!aborted && send_cmd(0, 1))
		get_res(&r, ncases);
	if (aborted)
		kill(target, SIGKILL);
	close(sock);
	close(listener);
	waitpid(target, &status, 0);
	if (!aborted && (!WIFEXITED(status) || WEXITSTATUS(status)))
		report("target ended with status %#x", status);

	print_tally();
	ksft_print_msg("%ld ioctls checked, %ld wrong; %ld calls, %ld wrong outcome, %ld wrong notification; %ld added fds checked, %ld wrong\n",
		       ops, bad_ops, calls, bad_calls, bad_ids, fds_checked,
		       bad_fds);
	/* Names without counts: a case keeps its name from run to run. */
	ksft_test_result(!bad_ops && ops,
			 "ioctls: every result as documented\n");
	ksft_test_result(!aborted && !bad_calls && !bad_ids && !extra &&
			 calls == ncases,
			 "calls: each completed once, as the accepted reply says\n");
	ksft_test_result(!aborted && !bad_fds && fds_checked,
			 "addfd: added fds present with the flags asked\n");
	nu_result_splats(mark);
	close(mfd);
	unlink(MARKER_PATH);
	if (ksft_get_fail_cnt())
		ksft_print_msg("replay with VMTEST_SEED=%" PRIu64 " (or -s %" PRIu64 ")\n",
			       seed, seed);
	ksft_print_cnts();
	ksft_print_msg("%u passed, %u failed\n", ksft_get_pass_cnt(),
		       ksft_get_fail_cnt());
	exit(ksft_get_fail_cnt() ? KSFT_FAIL : KSFT_PASS);
}
