// SPDX-License-Identifier: GPL-2.0
/*
 * notif-bench: what a syscall costs when seccomp or ptrace hands it to a
 * supervisor, and what it costs when the supervisor lets it run
 * (SECCOMP_USER_NOTIF_CONTINUE) rather than doing the work itself.
 *
 * Two syscalls: getppid (cheap; libc does not cache it) and openat+close
 * of a file on tmpfs (real work).  Twelve workloads:
 *
 *   native          no filter
 *   allow           a filter returning SECCOMP_RET_ALLOW
 *   continue        SECCOMP_RET_USER_NOTIF, answered CONTINUE
 *   spoof           SECCOMP_RET_USER_NOTIF, answered with a made-up result
 *   addfd           SECCOMP_RET_USER_NOTIF, the supervisor opens the file
 *                   and installs it (SECCOMP_ADDFD_FLAG_SEND); openat only
 *   continue-sync   as continue, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set
 *   ret-trace       SECCOMP_RET_TRACE, a ptrace supervisor lets it run
 *   ptrace-syscall  PTRACE_SYSCALL stops at entry and exit, let run
 *   nested-N        N filters (1, 2, 4 or 8) with SECCOMP_RET_USER_NOTIF
 *                   and SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS, each
 *                   listener kept by its own supervisor process, which
 *                   answers CONTINUE: the call is notified N times, newest
 *                   filter first (the nested-listeners RFC); getppid only
 *
 * The target is a child of this process, which is its supervisor (or
 * tracer); for nested-N, the parent of the N supervisors.  Each workload:
 * a warm-up, then REPS repetitions of COUNT calls timed with
 * CLOCK_MONOTONIC; the median, min and max per call are printed in ns
 * (under QEMU -icount shift=0, 1 ns is one guest instruction).  Every
 * result is checked: getppid returns the real parent (the spoofed value
 * when spoofed), openat the expected fd and close 0 (a spoofed openat
 * returns a number that close must find not open).  A wrong result fails
 * the run.  A kernel that refuses CONTINUE (or, for nested-N, the flag)
 * with EINVAL gives "n/a EINVAL" for the workloads that need it, and the
 * others still run.
 *
 * Output, one line per workload:
 *   notif-bench: SYSCALL WORKLOAD count=N reps=R median=X min=X max=X cs=C
 * (C: context switches per call, voluntary and not, of this process, the
 * target and the supervisors together, warm-up included)
 *   notif-bench: SYSCALL WORKLOAD n/a ERRNO-NAME
 *   notif-bench: FAIL SYSCALL WORKLOAD: what went wrong
 * and last "notif-bench: done, F failed".  Exit status 1 on any failure.
 *
 * Usage: notif-bench [-n COUNT] [-N NOTIF-COUNT] [-r REPS] [-c CPU|-u]
 *                    [-s SYSCALL,...] [-w WORKLOAD,...]
 *   -n  calls per repetition for native and allow (default 20000)
 *   -N  calls per repetition for the supervised workloads (default 2000)
 *   -r  repetitions (default 7)
 *   -c  pin supervisor and target to this CPU (default 0); -u: do not pin
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "notif-util.h"

#define MAX_REPS	64
/* The last call of a notified target: the supervisor stops on it. */
#define BENCH_MAGIC	0x62656e6368UL
#define SPOOF_PPID	424242
#define SPOOF_FD	1000
#define FILE_PATH	"/tmp/notif-bench.file"
#define MAX_HOPS	8

enum sys { SYS_GETPPID, SYS_OPENAT, NR_SYS };
enum wl {
	WL_NATIVE, WL_ALLOW, WL_CONTINUE, WL_SPOOF, WL_ADDFD, WL_SYNC,
	WL_TRACE, WL_PTRACE, WL_NESTED1, WL_NESTED2, WL_NESTED4, WL_NESTED8,
	NR_WL
};

static const char *const sys_names[NR_SYS] = { "getppid", "openat" };
static const char *const wl_names[NR_WL] = {
	"native", "allow", "continue", "spoof", "addfd", "continue-sync",
	"ret-trace", "ptrace-syscall", "nested-1", "nested-2", "nested-4",
	"nested-8",
};

struct bench {
	enum sys sys;
	enum wl wl;
	long count;
	int reps;
	pid_t ppid;		/* what getppid must return */
	int expect_fd;		/* what openat must return (target) */
};

/* What the target sends back to its supervisor. */
struct result {
	int status;		/* 0 ok, 1 failed, 2 n/a */
	int err;		/* the errno of n/a */
	char msg[160];
	double per_call[MAX_REPS];
};

static const char path[64] = FILE_PATH;

/* How many nested listeners a workload continues through (0: not nested). */
static int hops(enum wl wl)
{
	return wl >= WL_NESTED1 ? 1 << (wl - WL_NESTED1) : 0;
}

static int is_notif(enum wl wl)
{
	return wl == WL_CONTINUE || wl == WL_SPOOF || wl == WL_ADDFD ||
	       wl == WL_SYNC || hops(wl);
}

static int needs_continue(enum wl wl)
{
	return wl == WL_CONTINUE || wl == WL_SYNC || hops(wl);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int install_filter(const struct bench *b)
{
	unsigned int nr = b->sys == SYS_GETPPID ? __NR_getppid : __NR_openat;
	unsigned int action;
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),	/* the action, below */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(insns),
		.filter = insns,
	};
	unsigned int flags = 0;

	switch (b->wl) {
	case WL_ALLOW:
		action = SECCOMP_RET_ALLOW;
		break;
	case WL_TRACE:
		action = SECCOMP_RET_TRACE;
		break;
	default:
		action = SECCOMP_RET_USER_NOTIF;
		flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if (hops(b->wl))
			flags |= SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS;
		break;
	}
	insns[2].k = action;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/*
 * Call I of the workload returned RET instead of WANT: a refused CONTINUE
 * (EINVAL on the first call: res->status = 2) or a wrong result.
 */
static int wrong_result(const struct bench *b, long i, const char *sys,
			long ret, long want, struct result *res)
{
	int err = errno;

	if (ret < 0 && err == EINVAL && i == 0 && needs_continue(b->wl)) {
		res->status = 2;
		res->err = err;
		return -1;
	}
	snprintf(res->msg, sizeof(res->msg),
		 "call %ld: %s returned %ld (errno %d), expected %ld",
		 i, sys, ret, ret < 0 ? err : 0, want);
	return -1;
}

/*
 * One call of the workload's syscall, checked.  Returns 0, or -1 with
 * res->msg (or res->status = 2 for a refused CONTINUE) filled in.
 */
static int one_call(const struct bench *b, long i, struct result *res)
{
	long ret, want;
	int cret;

	if (b->sys == SYS_GETPPID) {
		ret = syscall(__NR_getppid, 0UL);
		want = b->wl == WL_SPOOF ? SPOOF_PPID : b->ppid;
		if (ret == want)
			return 0;
		return wrong_result(b, i, "getppid", ret, want, res);
	}

	ret = syscall(__NR_openat, AT_FDCWD, path, O_RDONLY);
	want = b->wl == WL_SPOOF ? SPOOF_FD : b->expect_fd;
	if (ret != want)
		return wrong_result(b, i, "openat", ret, want, res);
	cret = close(ret);
	if (b->wl == WL_SPOOF) {
		/* Nothing was opened: the number is not an fd. */
		if (cret == -1 && errno == EBADF)
			return 0;
		snprintf(res->msg, sizeof(res->msg),
			 "call %ld: close of the spoofed fd %ld returned %d, expected EBADF",
			 i, ret, cret);
		return -1;
	}
	if (cret) {
		snprintf(res->msg, sizeof(res->msg),
			 "call %ld: close(%ld) failed (errno %d)", i, ret, errno);
		return -1;
	}
	return 0;
}

static void target(struct bench *b, int sock, int out)
{
	struct result res = { 0 };
	long i, warm = b->count / 10 + 1;
	int r, fd, n;

	if (b->wl == WL_TRACE || b->wl == WL_PTRACE) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0)) {
			perror("notif-bench: PTRACE_TRACEME");
			_exit(1);
		}
		raise(SIGSTOP);
	}
	/* One filter, or one per hop, each listener to the supervisor. */
	for (n = 0; n < (hops(b->wl) ?: 1); n++) {
		if (b->wl == WL_NATIVE || b->wl == WL_PTRACE)
			break;
		fd = install_filter(b);
		if (fd < 0 && errno == EINVAL && !n && hops(b->wl)) {
			/* A kernel without the flag. */
			res.status = 2;
			res.err = EINVAL;
			goto out;
		}
		if (fd < 0) {
			snprintf(res.msg, sizeof(res.msg),
				 "installing filter %d: %s", n, strerror(errno));
			res.status = 1;
			goto out;
		}
		if (is_notif(b->wl)) {
			if (nu_send_fd(sock, fd, "f", 1)) {
				snprintf(res.msg, sizeof(res.msg),
					 "sending the listener: %s",
					 strerror(errno));
				res.status = 1;
				goto out;
			}
			close(fd);
		}
	}

	/* The fd that openat (or ADDFD) gives: the lowest free one. */
	b->expect_fd = dup(0);
	close(b->expect_fd);

	for (i = 0; i < warm; i++) {
		if (one_call(b, i, &res))
			goto failed;
	}
	for (r = 0; r < b->reps; r++) {
		double t0 = now_ns();

		for (i = 0; i < b->count; i++) {
			if (one_call(b, i, &res))
				goto failed;
		}
		res.per_call[r] = (now_ns() - t0) / b->count;
	}
	goto done;
failed:
	if (res.status != 2)
		res.status = 1;
done:
	/* A supervisor that refused CONTINUE waits for nothing more. */
	if (is_notif(b->wl) && res.status != 2)
		syscall(b->sys == SYS_GETPPID ? __NR_getppid : __NR_openat,
			BENCH_MAGIC, NULL, 0);
out:
	if (write(out, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

/* The supervisor's answer to one notification, as the workload wants. */
static int answer(const struct bench *b, int lfd, struct seccomp_notif *req,
		  int *refused)
{
	struct seccomp_notif_resp resp = { .id = req->id };
	struct seccomp_notif_addfd addfd = { .id = req->id };
	char name[sizeof(path)];
	struct iovec local = { .iov_base = name, .iov_len = sizeof(name) };
	struct iovec remote = {
		.iov_base = (void *)req->data.args[1],
		.iov_len = sizeof(name),
	};
	int fd, ret;

	switch (b->wl) {
	case WL_CONTINUE:
	case WL_SYNC:
	case WL_NESTED1:
	case WL_NESTED2:
	case WL_NESTED4:
	case WL_NESTED8:
		resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
		break;
	case WL_SPOOF:
		resp.val = b->sys == SYS_GETPPID ? SPOOF_PPID : SPOOF_FD;
		break;
	case WL_ADDFD:
		/* Do what the kernel would have: read the path, open it. */
		if (process_vm_readv(req->pid, &local, 1, &remote, 1, 0) !=
		    sizeof(name))
			return -1;
		name[sizeof(name) - 1] = '\0';
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id))
			return -1;
		fd = openat(AT_FDCWD, name, req->data.args[2]);
		if (fd < 0) {
			resp.error = -errno;
			break;
		}
		addfd.srcfd = fd;
		addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
		ret = ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
		close(fd);
		return ret < 0 ? -1 : 0;
	default:
		return -1;
	}
	if (!ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp))
		return 0;
	if (errno != EINVAL || !resp.flags)
		return -1;
	/* No CONTINUE in this kernel: the target gets the EINVAL. */
	*refused = 1;
	memset(&resp, 0, sizeof(resp));
	resp.id = req->id;
	resp.error = -EINVAL;
	return ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/*
 * Answer the notifications of listener LFD until the target's last call;
 * closes LFD.  Returns 0, or -1 with MSG.
 */
static int supervise_listener(const struct bench *b, int lfd, char *msg,
			      size_t len)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int refused = 0;

	if (b->wl == WL_SYNC &&
	    ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)) {
		snprintf(msg, len, "SECCOMP_IOCTL_NOTIF_SET_FLAGS: %s",
			 strerror(errno));
		close(lfd);
		return -1;
	}
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
			if (errno == EINTR)
				continue;
			snprintf(msg, len, "SECCOMP_IOCTL_NOTIF_RECV: %s",
				 strerror(errno));
			break;
		}
		if (req.data.args[0] == BENCH_MAGIC) {
			memset(&resp, 0, sizeof(resp));
			resp.id = req.id;
			/* The older nested listeners wait for it too. */
			if (hops(b->wl))
				resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
			ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			close(lfd);
			return 0;
		}
		if (answer(b, lfd, &req, &refused)) {
			snprintf(msg, len, "answering notification %llu: %s",
				 (unsigned long long)req.id, strerror(errno));
			break;
		}
		if (refused) {
			close(lfd);
			return 0;
		}
	}
	close(lfd);
	return -1;
}

/*
 * The supervisors of the target's listeners: this process for one, a
 * child process per listener for nested-N (their pids in SUPS, *NSUPS of
 * them; the caller reaps them).  Returns 0; 1 when the target sent no
 * listener at all (a kernel that refused its filter: its result says
 * why); -1 with MSG.
 */
static int supervise_notif(const struct bench *b, int sock, pid_t *sups,
			   int *nsups, char *msg, size_t len)
{
	int lfd, n, ret;
	char byte;
	pid_t pid;

	*nsups = 0;
	for (n = 0; n < (hops(b->wl) ?: 1); n++) {
		ret = nu_recv_fd(sock, &byte, 1, &lfd, 0);
		if (ret == 0 && n == 0)
			return 1;
		if (ret != 1 || lfd < 0) {
			snprintf(msg, len, "no listener %d from the target", n);
			return -1;
		}
		if (!hops(b->wl))
			return supervise_listener(b, lfd, msg, len);
		pid = fork();
		if (pid < 0) {
			snprintf(msg, len, "fork: %s", strerror(errno));
			close(lfd);
			return -1;
		}
		if (!pid) {
			close(sock);
			if (!supervise_listener(b, lfd, msg, len))
				_exit(0);
			printf("notif-bench: FAIL %s %s: supervisor %d: %s\n",
			       sys_names[b->sys], wl_names[b->wl], n, msg);
			_exit(1);
		}
		sups[(*nsups)++] = pid;
		close(lfd);
	}
	return 0;
}

/* Let every stop of the tracee run on, until it exits. */
static int supervise_ptrace(const struct bench *b, pid_t pid, char *msg,
			    size_t len)
{
	long opts = PTRACE_O_EXITKILL;
	int status, sig;
	enum __ptrace_request cont;

	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		snprintf(msg, len, "the tracee did not stop");
		return -1;
	}
	if (b->wl == WL_TRACE) {
		opts |= PTRACE_O_TRACESECCOMP;
		cont = PTRACE_CONT;
	} else {
		opts |= PTRACE_O_TRACESYSGOOD;
		cont = PTRACE_SYSCALL;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, opts) ||
	    ptrace(cont, pid, 0, 0)) {
		snprintf(msg, len, "ptrace: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (waitpid(pid, &status, __WALL) != pid) {
			snprintf(msg, len, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 1;
		sig = WSTOPSIG(status);
		if (sig == (SIGTRAP | 0x80) ||
		    status >> 8 == (SIGTRAP | PTRACE_EVENT_SECCOMP << 8))
			sig = 0;
		if (ptrace(cont, pid, 0, sig)) {
			snprintf(msg, len, "ptrace: %s", strerror(errno));
			return -1;
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Context switches so far of this process and its reaped children. */
static long ctx_switches(void)
{
	struct rusage self, children;

	if (getrusage(RUSAGE_SELF, &self) ||
	    getrusage(RUSAGE_CHILDREN, &children))
		return 0;
	return self.ru_nvcsw + self.ru_nivcsw + children.ru_nvcsw +
	       children.ru_nivcsw;
}

static int run(struct bench *b)
{
	const char *sn = sys_names[b->sys], *wn = wl_names[b->wl];
	struct result res = { 0 };
	char msg[160] = "";
	int sv[2], pipefd[2], status, sup = 0, reaped = 0, nsups = 0, i;
	pid_t pid, sups[MAX_HOPS];
	long cs0 = ctx_switches(), calls;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(pipefd)) {
		perror("notif-bench: socketpair/pipe");
		return -1;
	}
	b->ppid = getpid();
	pid = fork();
	if (pid < 0) {
		perror("notif-bench: fork");
		return -1;
	}
	if (!pid) {
		close(sv[0]);
		close(pipefd[0]);
		target(b, sv[1], pipefd[1]);
	}
	close(sv[1]);
	close(pipefd[1]);

	if (is_notif(b->wl)) {
		sup = supervise_notif(b, sv[0], sups, &nsups, msg, sizeof(msg));
		if (sup == 1)
			sup = 0;
	} else if (b->wl == WL_TRACE || b->wl == WL_PTRACE) {
		sup = supervise_ptrace(b, pid, msg, sizeof(msg));
		if (sup == 1) {
			reaped = 1;
			sup = 0;
		}
	}
	if (sup)
		kill(pid, SIGKILL);
	n = read(pipefd[0], &res, sizeof(res));
	if (!reaped)
		waitpid(pid, &status, 0);
	close(sv[0]);
	close(pipefd[0]);
	/* The nested supervisors left on the target's last call. */
	for (i = 0; i < nsups; i++) {
		int gone = sup || n != sizeof(res) || res.status;

		/* After a failure a supervisor may wait for nothing more. */
		if (gone)
			kill(sups[i], SIGKILL);
		if (waitpid(sups[i], &status, 0) != sups[i] ||
		    (!gone && (!WIFEXITED(status) || WEXITSTATUS(status)))) {
			snprintf(msg, sizeof(msg), "nested supervisor %d failed", i);
			sup = -1;
		}
	}

	if (sup) {
		printf("notif-bench: FAIL %s %s: supervisor: %s\n", sn, wn, msg);
		return -1;
	}
	if (n != sizeof(res)) {
		printf("notif-bench: FAIL %s %s: no result from the target\n",
		       sn, wn);
		return -1;
	}
	if (res.status == 2) {
		printf("notif-bench: %s %s n/a %s\n", sn, wn,
		       res.err == EINVAL ? "EINVAL" : strerror(res.err));
		return 0;
	}
	if (res.status) {
		printf("notif-bench: FAIL %s %s: %s\n", sn, wn, res.msg);
		return -1;
	}
	qsort(res.per_call, b->reps, sizeof(double), cmp_double);
	calls = b->count * b->reps + b->count / 10 + 1;
	printf("notif-bench: %s %s count=%ld reps=%d median=%.1f min=%.1f max=%.1f cs=%.2f\n",
	       sn, wn, b->count, b->reps, res.per_call[b->reps / 2],
	       res.per_call[0], res.per_call[b->reps - 1],
	       (double)(ctx_switches() - cs0) / calls);
	return 0;
}

/* Parse "a,b,c" against NAMES into the bitmask *MASK. */
static int parse_list(const char *arg, const char *const *names, int nr,
		      unsigned int *mask)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int i;

	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nr; i++) {
			if (!strcmp(tok, names[i]))
				break;
		}
		if (i == nr) {
			fprintf(stderr, "notif-bench: unknown name '%s'\n", tok);
			free(copy);
			return -1;
		}
		*mask |= 1U << i;
	}
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int sys_mask = (1U << NR_SYS) - 1, wl_mask = (1U << NR_WL) - 1;
	long count = 20000, notif_count = 2000;
	int reps = 7, cpu = 0, opt, s, w, fd, failed = 0;
	struct bench b;

	while ((opt = getopt(argc, argv, "n:N:r:c:us:w:")) != -1) {
		switch (opt) {
		case 'n':
			count = atol(optarg);
			break;
		case 'N':
			notif_count = atol(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'u':
			cpu = -1;
			break;
		case 's':
			if (parse_list(optarg, sys_names, NR_SYS, &sys_mask))
				return 2;
			break;
		case 'w':
			if (parse_list(optarg, wl_names, NR_WL, &wl_mask))
				return 2;
			break;
		default:
			fprintf(stderr, "usage: %s [-n COUNT] [-N NOTIF-COUNT] [-r REPS] [-c CPU|-u] [-s SYSCALL,...] [-w WORKLOAD,...]\n",
				argv[0]);
			return 2;
		}
	}
	if (count < 1 || notif_count < 1 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "notif-bench: counts >= 1, 1 <= reps <= %d\n",
			MAX_REPS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("notif-bench: sched_setaffinity");
			return 1;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "notif-bench\n", 12) != 12 || close(fd)) {
		perror("notif-bench: " FILE_PATH);
		return 1;
	}
	if (cpu < 0)
		printf("notif-bench: cpu=unpinned clock=CLOCK_MONOTONIC unit=ns\n");
	else
		printf("notif-bench: cpu=pinned:%d clock=CLOCK_MONOTONIC unit=ns\n",
		       cpu);
	for (s = 0; s < NR_SYS; s++) {
		if (!(sys_mask & 1U << s))
			continue;
		for (w = 0; w < NR_WL; w++) {
			if (!(wl_mask & 1U << w))
				continue;
			if (w == WL_ADDFD && s != SYS_OPENAT)
				continue;
			if (hops(w) && s != SYS_GETPPID)
				continue;
			b = (struct bench) {
				.sys = s, .wl = w, .reps = reps,
				.count = w == WL_NATIVE || w == WL_ALLOW ?
					 count : notif_count,
			};
			if (run(&b))
				failed++;
		}
	}
	printf("notif-bench: done, %d failed\n", failed);
	return failed ? 1 : 0;
}
