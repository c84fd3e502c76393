// SPDX-License-Identifier: GPL-2.0
/*
 * nested-fuzz: random seccomp filter chains, installed in a child that
 * then makes one syscall, against the model in nested-model.h: who is
 * asked (listeners and the tracer), in which order, with what, and what
 * the syscall returns, or how the task dies.
 *
 * A chain is 1..8 filters.  Each filter looks at one syscall only,
 * write(DATA_FD, buf, count) with count NM_COUNT_A or NM_COUNT_B, and has
 * an action for each (ALLOW, LOG, ERRNO, TRAP, KILL_PROCESS, USER_NOTIF,
 * TRACE), SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS or not, and a
 * listener or not, kept by a supervisor or closed right after the install.
 * The chain may have a tracer.  Each listener has a script of replies
 * (CONTINUE, a value, an error, or closing the listener), one per
 * notification it gets; the tracer one action (continue, skip the syscall
 * with a value, or change the count to NM_COUNT_B).
 *
 * Processes.  The fuzzer (P) is a child subreaper and the only supervisor
 * and tracer: one thread, one poll() loop, so every reply is a function of
 * the listener and how many times it was asked, never of timing.  For each
 * chain P forks a child that installs the filters in order, forking
 * before some layers (the parent of that fork exits; the task that makes
 * the syscall, T, is reparented to P).  After each install it reports the
 * result over a SOCK_SEQPACKET socket, with the listener (SCM_RIGHTS) if a
 * supervisor is to keep it, and closes its own copy; so a kept listener
 * is live from its install on, a closed one is gone before the next
 * install, and the install rule's outcome is deterministic.  A NEW_LISTENER
 * install that fails with EBUSY is retried without NEW_LISTENER (the
 * filter stays, without a listener).  T then reports its pid; P attaches
 * with PTRACE_SEIZE and PTRACE_O_TRACESECCOMP if the chain has a tracer,
 * and tells T to go.  T makes the write() and reports its return value (a
 * SIGSYS handler reports a TRAP's si_errno).  P answers each notification
 * from the script, handles the tracer stop, reaps T, and reads the pipe
 * behind DATA_FD to see whether the write ran.
 *
 * Checks, each chain against the model: every install (EBUSY or not);
 * the events in order (each notification's filter and the count it saw;
 * each tracer stop's filter, from PTRACE_GETEVENTMSG); the outcome
 * (return value, TRAP data, death by SIGSYS) and the bytes written.  Each
 * notification also carries T's pid, __NR_write, the arch, DATA_FD and
 * the buffer, and a listener asked twice gives ids that follow.
 *
 * Modes: by default the flag is set at random; on a kernel that refuses
 * it with EINVAL (mainline, the stock kernel) the fuzzer says so and never
 * sets it, which checks the model's stock decision against that kernel.
 * --no-flags (or NESTED_FUZZ_NO_FLAGS=1) never sets it on any kernel.
 * The mode is in the summary line ("flags" or "no flags").  SKIP on a
 * kernel without SECCOMP_USER_NOTIF_FLAG_CONTINUE.
 *
 * Seed: -s SEED or VMTEST_SEED, else from the time; printed.  A chain is
 * generated from the seed alone, so -s SEED -o K replays chain K.
 * Chains: CHAINS x VMTEST_SCALE (-n to override), stopped early at
 * DEADLINE_S x VMTEST_SCALE seconds.  Each chain must end within CHAIN_MS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "nested-model.h"
#include "notif-util.h"

#ifndef PTRACE_EVENT_SECCOMP
#define PTRACE_EVENT_SECCOMP 7
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/*
 * The tracer's register edits (skip, divert) are written for x86; on
 * other arches the tracer only continues.
 */
#if defined(__x86_64__)
#define NF_ARCH		AUDIT_ARCH_X86_64
#define NF_EDIT_REGS	1
#define REG_NR(r)	((r).orig_rax)
#define REG_RET(r)	((r).rax)
#define REG_ARG2(r)	((r).rdx)
#elif defined(__i386__)
#define NF_ARCH		AUDIT_ARCH_I386
#define NF_EDIT_REGS	1
#define REG_NR(r)	((r).orig_eax)
#define REG_RET(r)	((r).eax)
#define REG_ARG2(r)	((r).edx)
#elif defined(__aarch64__)
#define NF_ARCH		AUDIT_ARCH_AARCH64
#define NF_EDIT_REGS	0
#else
#error "nested-fuzz: add this architecture's AUDIT_ARCH_*"
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nested-fuzz: the filter reads the lower half of an argument"
#endif

#define CHAINS		500
#define DATA_FD		100	/* T's write end of the pipe */
#define CTL_FD		101	/* T's end of the report socket */
#define CHAIN_MS	10000	/* a chain that takes longer hangs */
#define DEADLINE_S	90
#define MAXMSGS		10
#define ARG_LO(n)	(offsetof(struct seccomp_data, args) + 8 * (n))

/* Reports from the chain's processes to P. */
enum { MSG_INSTALL, MSG_SETUP, MSG_READY, MSG_RESULT, MSG_TRAP };

struct msg {
	int32_t type;
	int32_t filter;		/* MSG_INSTALL */
	int32_t err;		/* MSG_INSTALL: of NEW_LISTENER; MSG_SETUP */
	int32_t pid;		/* MSG_READY */
	int64_t val;		/* MSG_RESULT: the return; MSG_TRAP: si_errno */
	int32_t nr;		/* MSG_TRAP: si_syscall */
	uint32_t arch;		/* MSG_TRAP: si_arch */
};

struct chain {
	struct nm_chain m;
	bool fork_before[NM_MAXF];
};

/* What P saw of one chain, in the model's terms, and the details. */
struct seen {
	struct nm_result r;
	bool installed[NM_MAXF];
	int lfd[NM_MAXF];
	uint64_t id[NM_MAXF];
	pid_t t;
	bool ready, got_out, reaped, setup_failed, no_continue, hang;
	int setup_err, status;
	int bad_notif;		/* notifications with a wrong field */
	char bad[160];		/* the first of them, or another oddity */
};

/* splitmix64 */
/* The chains come from the seed alone (notif-util.h's splitmix64). */
static struct nu_rand rnd;

static uint64_t seed;
static bool no_flags;
static int msgs, sigfd;
static long n_chains, n_checks, n_diffs, n_bad_notif, n_hangs;
static char buf[16] = "nested-fuzz-data";

/* Coverage: how often each decision of the model was taken. */
enum {
	COV_NOTIFY, COV_HOPS2, COV_HOPS3, COV_ENOSYS_L, COV_ENOSYS_L_HOP2,
	COV_TRACE_NOTRACER, COV_STOP, COV_STOP_AFTER_NOTIFY, COV_RECHECK_ASK,
	COV_DIVERT, COV_SKIP, COV_EBUSY, COV_NESTED_OK, COV_TIE, COV_DENIAL,
	COV_RUN, COV_REPLY_END, COV_TRAP, COV_KILL, COV_FORK, NCOV
};

static const char * const cov_name[NCOV] = {
	"notify", "2hops", "3hops", "enosys-listener", "enosys-hop2",
	"trace-notracer", "stop", "stop-after-notify", "recheck-asks",
	"divert", "skip", "ebusy", "nested-install", "tie", "denial", "ran",
	"reply-ends", "trap", "killed", "fork",
};
static long cov[NCOV];

#define report(fmt, ...) do {						\
	if (msgs++ < MAXMSGS * 8)					\
		ksft_print_msg(fmt "\n", ##__VA_ARGS__);		\
	} while (0)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Chain generation: from the seed only. */

/*
 * Weights of the actions, by chain: some chains are mostly listeners,
 * some mostly tracer stops; a quarter may have denials.
 */
struct weights {
	unsigned int w[NM_NACTS];
	unsigned int total;
};

static void pick_weights(struct weights *wt)
{
	static const unsigned int notif[] = { 2, 6, 12 };
	static const unsigned int trace[] = { 1, 3, 6 };
	bool denials = !nu_below(&rnd, 4);
	int a;

	wt->w[NM_KILL] = denials;
	wt->w[NM_TRAP] = denials;
	wt->w[NM_ERRNO] = denials * 2;
	wt->w[NM_NOTIF] = notif[nu_below(&rnd, 3)];
	wt->w[NM_TRACE] = trace[nu_below(&rnd, 3)];
	wt->w[NM_LOG] = 2;
	wt->w[NM_ALLOW] = 3;
	for (wt->total = 0, a = 0; a < NM_NACTS; a++)
		wt->total += wt->w[a];
}

static enum nm_act pick_act(const struct weights *wt)
{
	unsigned int r = nu_below(&rnd, wt->total);
	int a;

	for (a = 0; r >= wt->w[a]; a++)
		r -= wt->w[a];
	return a;
}

static enum nm_reply pick_reply(void)
{
	static const enum nm_reply replies[] = {
		NM_R_CONTINUE, NM_R_CONTINUE, NM_R_CONTINUE, NM_R_CONTINUE,
		NM_R_CONTINUE, NM_R_CONTINUE, NM_R_VAL, NM_R_VAL, NM_R_ERROR,
		NM_R_ERROR, NM_R_CLOSE,
	};

	return replies[nu_below(&rnd, ARRAY_SIZE(replies))];
}

static void gen_chain(struct chain *ch)
{
	static const unsigned int live_pct[] = { 15, 40, 75 };
	unsigned int live, r;
	struct weights wt;
	struct nm_filter *f;
	bool notif;
	int i, k;

	memset(ch, 0, sizeof(*ch));
	ch->m.n = 1 + nu_below(&rnd, NM_MAXF);
	pick_weights(&wt);
	live = live_pct[nu_below(&rnd, 3)];
	for (i = 0; i < ch->m.n; i++) {
		f = &ch->m.f[i];
		f->act[NM_ARGS_A] = pick_act(&wt);
		f->act[NM_ARGS_B] = pick_act(&wt);
		r = nu_below(&rnd, 10);
		f->nested = !no_flags && r < 6;
		notif = f->act[NM_ARGS_A] == NM_NOTIF ||
			f->act[NM_ARGS_B] == NM_NOTIF;
		r = nu_below(&rnd, 100);
		if (r < (notif ? live : 10))
			f->listener = NM_L_LIVE;
		else if (r < (notif ? live + 10 : 15))
			f->listener = NM_L_CLOSED;
		else
			f->listener = NM_L_NONE;
		for (k = 0; k < NM_MAXASK; k++)
			f->reply[k] = pick_reply();
		ch->fork_before[i] = i && !nu_below(&rnd, 6);
	}
	/*
	 * Half the chains give a live listener to the newest filter that
	 * notifies, the one asked first; without flags the older ones then
	 * mostly close theirs, else it would get EBUSY.
	 */
	if (nu_below(&rnd, 2)) {
		for (i = ch->m.n - 1; i >= 0; i--)
			if (ch->m.f[i].act[NM_ARGS_A] == NM_NOTIF)
				break;
		if (i >= 0)
			ch->m.f[i].listener = NM_L_LIVE;
		while (no_flags && --i >= 0)
			if (ch->m.f[i].listener == NM_L_LIVE && nu_below(&rnd, 4))
				ch->m.f[i].listener = NM_L_CLOSED;
	}
	ch->m.tracer = nu_below(&rnd, 2);
	r = nu_below(&rnd, 5);
	if (!NF_EDIT_REGS || r < 3)
		ch->m.tracer_act = NM_T_CONT;
	else
		ch->m.tracer_act = r == 3 ? NM_T_SKIP : NM_T_DIVERT;
}

static void chain_str(char *s, size_t len, const struct chain *ch)
{
	static const char * const tname[] = { "cont", "skip", "divert" };
	int i, n;

	n = snprintf(s, len, "%d filters, %s%s", ch->m.n,
		     ch->m.tracer ? "tracer " : "no tracer",
		     ch->m.tracer ? tname[ch->m.tracer_act] : "");
	for (i = 0; i < ch->m.n && n < (int)len; i++) {
		n += snprintf(s + n, len - n, "; %s",
			      ch->fork_before[i] ? "fork, " : "");
		if (n < (int)len)
			n += nm_filter_str(s + n, len - n, &ch->m, i);
	}
}

/* The chain's processes. */

static void send_msg(const struct msg *m, int fd)
{
	int ret = fd >= 0 ? nu_send_fd(CTL_FD, fd, m, sizeof(*m)) :
		  send(CTL_FD, m, sizeof(*m), MSG_NOSIGNAL) == sizeof(*m) ? 0 : -1;

	if (ret)
		_exit(4);
}

static void __noreturn setup_failed(int err)
{
	struct msg m = { .type = MSG_SETUP, .err = err };

	send_msg(&m, -1);
	_exit(3);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct msg m = {
		.type = MSG_TRAP,
		.val = si->si_errno,
		.nr = si->si_syscall,
		.arch = si->si_arch,
	};

	send_msg(&m, -1);
	_exit(0);
}

static uint32_t filter_ret(enum nm_act act, int i)
{
	switch (act) {
	case NM_KILL:
		return SECCOMP_RET_KILL_PROCESS;
	case NM_TRAP:
		return SECCOMP_RET_TRAP | nm_trap_data(i);
	case NM_ERRNO:
		return SECCOMP_RET_ERRNO | nm_errno_data(i);
	case NM_NOTIF:
		return SECCOMP_RET_USER_NOTIF;
	case NM_TRACE:
		return SECCOMP_RET_TRACE | nm_trace_data(i);
	case NM_LOG:
		return SECCOMP_RET_LOG;
	default:
		return SECCOMP_RET_ALLOW;
	}
}

/* Filter i of the chain; returns its listener, 0 without, -1 on error. */
static int install_filter(const struct nm_filter *f, int i,
			  unsigned long flags)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NF_ARCH, 0, 9),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DATA_FD, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NM_COUNT_A, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NM_COUNT_B, 1, 2),
		BPF_STMT(BPF_RET | BPF_K, filter_ret(f->act[NM_ARGS_A], i)),
		BPF_STMT(BPF_RET | BPF_K, filter_ret(f->act[NM_ARGS_B], i)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(insns),
		.filter = insns,
	};

	return nu_seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void __noreturn chain_child(const struct chain *ch, int ctl, int data)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };
	struct rlimit rl = { 0, 0 };
	struct msg m = { 0 };
	struct pollfd pfd;
	unsigned long flags;
	sigset_t none;
	int i, fd, err;
	long ret;
	pid_t pid;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(ctl, CTL_FD) != CTL_FD || dup2(data, DATA_FD) != DATA_FD)
		_exit(2);
	for (fd = 3; fd < 1024; fd++)
		if (fd != CTL_FD && fd != DATA_FD)
			close(fd);
	alarm(CHAIN_MS / 1000 + 5);
	setrlimit(RLIMIT_CORE, &rl);
	if (sigaction(SIGSYS, &sa, NULL))
		setup_failed(errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		setup_failed(errno);

	for (i = 0; i < ch->m.n; i++) {
		const struct nm_filter *f = &ch->m.f[i];

		if (ch->fork_before[i]) {
			pid = fork();
			if (pid < 0)
				setup_failed(errno);
			if (pid)
				_exit(0);
		}
		flags = f->nested ? SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS : 0;
		if (f->listener != NM_L_NONE)
			flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		fd = install_filter(f, i, flags);
		err = fd < 0 ? errno : 0;
		if (err == EBUSY && f->listener != NM_L_NONE)
			fd = install_filter(f, i,
					    flags & ~SECCOMP_FILTER_FLAG_NEW_LISTENER);
		if (fd < 0)
			setup_failed(errno);
		m.type = MSG_INSTALL;
		m.filter = i;
		m.err = err;
		if (f->listener == NM_L_LIVE && !err) {
			send_msg(&m, fd);
			close(fd);
		} else {
			send_msg(&m, -1);
			if (fd > 0)
				close(fd);
		}
	}

	memset(&m, 0, sizeof(m));
	m.type = MSG_READY;
	m.pid = getpid();
	send_msg(&m, -1);
	pfd.fd = CTL_FD;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, CHAIN_MS) != 1 || read(CTL_FD, &m, 1) != 1)
		_exit(5);

	ret = syscall(__NR_write, DATA_FD, buf, NM_COUNT_A);
	memset(&m, 0, sizeof(m));
	m.type = MSG_RESULT;
	m.val = ret == -1 ? -errno : ret;
	send_msg(&m, -1);
	_exit(0);
}

/* P: supervisors and tracer. */

static void oddity(struct seen *s, const char *fmt, ...)
	__printf(2, 3);

static void oddity(struct seen *s, const char *fmt, ...)
{
	va_list ap;

	if (s->bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->bad, sizeof(s->bad), fmt, ap);
	va_end(ap);
}

static void seen_event(struct seen *s, enum nm_ev_kind kind, int filter,
		       enum nm_args a)
{
	if (s->r.nev < NM_MAXEV)
		nm_event(&s->r, kind, filter, a);
	else
		s->r.overflow = 1;
}

static void on_ctl(const struct chain *ch, struct seen *s, int ctl)
{
	struct msg m;
	ssize_t len;
	int fd;

	for (;;) {
		len = nu_recv_fd(ctl, &m, sizeof(m), &fd, MSG_DONTWAIT);
		if (len <= 0)
			return;
		if (len != sizeof(m)) {
			oddity(s, "short report (%zd bytes)", len);
			if (fd >= 0)
				close(fd);
			continue;
		}
		switch (m.type) {
		case MSG_INSTALL:
			if (m.filter < 0 || m.filter >= ch->m.n ||
			    s->installed[m.filter]) {
				oddity(s, "bad install report %d", m.filter);
				if (fd >= 0)
					close(fd);
				break;
			}
			s->installed[m.filter] = true;
			s->r.install_err[m.filter] = m.err;
			s->lfd[m.filter] = fd;
			break;
		case MSG_SETUP:
			s->setup_failed = true;
			s->setup_err = m.err;
			break;
		case MSG_READY:
			s->ready = true;
			s->t = m.pid;
			break;
		case MSG_RESULT:
			s->got_out = true;
			s->r.out = NM_OUT_RET;
			s->r.ret = m.val;
			break;
		case MSG_TRAP:
			s->got_out = true;
			s->r.out = NM_OUT_TRAP;
			s->r.trap_data = m.val;
			if (m.nr != __NR_write || m.arch != NF_ARCH)
				oddity(s, "SIGSYS for nr %d arch %#x", m.nr,
				       m.arch);
			break;
		}
	}
}

static void on_notif(const struct chain *ch, struct seen *s, int i)
{
	struct seccomp_notif_resp resp = { 0 };
	struct seccomp_notif req;
	enum nm_reply reply;
	enum nm_args a;
	int k;

	memset(&req, 0, sizeof(req));
	if (ioctl(s->lfd[i], SECCOMP_IOCTL_NOTIF_RECV, &req)) {
		oddity(s, "f%d: NOTIF_RECV: %s", i, strerror(errno));
		return;
	}
	a = req.data.args[2] == NM_COUNT_B ? NM_ARGS_B : NM_ARGS_A;
	seen_event(s, NM_EV_NOTIFY, i, a);
	k = s->r.asked[i]++;
	if ((pid_t)req.pid != s->t || req.data.nr != __NR_write ||
	    req.data.arch != NF_ARCH || req.data.args[0] != DATA_FD ||
	    req.data.args[1] != (uintptr_t)buf ||
	    (req.data.args[2] != NM_COUNT_A &&
	     req.data.args[2] != NM_COUNT_B) ||
	    (k && req.id != s->id[i] + 1)) {
		s->bad_notif++;
		oddity(s, "f%d: notification pid %u nr %d arch %#x args %#llx %#llx %#llx id %#llx (T %d, id before %#llx)",
		       i, req.pid, req.data.nr, req.data.arch,
		       (unsigned long long)req.data.args[0],
		       (unsigned long long)req.data.args[1],
		       (unsigned long long)req.data.args[2],
		       (unsigned long long)req.id, s->t,
		       (unsigned long long)s->id[i]);
	}
	s->id[i] = req.id;
	reply = k < NM_MAXASK ? ch->m.f[i].reply[k] : NM_R_ERROR;
	resp.id = req.id;
	switch (reply) {
	case NM_R_CONTINUE:
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		break;
	case NM_R_VAL:
		resp.val = nm_reply_val(i, k);
		break;
	case NM_R_ERROR:
		resp.error = -nm_reply_errno(i, k);
		break;
	case NM_R_CLOSE:
		close(s->lfd[i]);
		s->lfd[i] = -1;
		return;
	}
	if (!ioctl(s->lfd[i], SECCOMP_IOCTL_NOTIF_SEND, &resp))
		return;
	if (errno == EINVAL && reply == NM_R_CONTINUE)
		s->no_continue = true;
	else
		oddity(s, "f%d: NOTIF_SEND: %s", i, strerror(errno));
	resp.flags = 0;
	resp.error = -ENOSYS;
	ioctl(s->lfd[i], SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void on_stop(const struct chain *ch, struct seen *s, int status)
{
	unsigned long msg = 0;
	int sig = 0, i;

	if (status >> 8 == (SIGTRAP | PTRACE_EVENT_SECCOMP << 8)) {
		if (ptrace(PTRACE_GETEVENTMSG, s->t, NULL, &msg))
			oddity(s, "PTRACE_GETEVENTMSG: %s", strerror(errno));
		i = msg - nm_trace_data(0);
		if (i < 0 || i >= ch->m.n) {
			oddity(s, "tracer stop with data %lu", msg);
			i = -1;
		}
		seen_event(s, NM_EV_STOP, i, NM_ARGS_A);
#if NF_EDIT_REGS
		if (ch->m.tracer_act != NM_T_CONT) {
			struct user_regs_struct regs;

			if (ptrace(PTRACE_GETREGS, s->t, NULL, &regs))
				oddity(s, "PTRACE_GETREGS: %s",
				       strerror(errno));
			if (ch->m.tracer_act == NM_T_SKIP) {
				REG_NR(regs) = -1;
				REG_RET(regs) = NM_SKIP_VAL;
			} else {
				REG_ARG2(regs) = NM_COUNT_B;
			}
			if (ptrace(PTRACE_SETREGS, s->t, NULL, &regs))
				oddity(s, "PTRACE_SETREGS: %s",
				       strerror(errno));
		}
#endif
	} else if (status >> 16 != PTRACE_EVENT_STOP) {
		sig = WSTOPSIG(status);
	}
	if (ptrace(PTRACE_CONT, s->t, NULL, (void *)(long)sig))
		oddity(s, "PTRACE_CONT: %s", strerror(errno));
}

/* Reap what can be reaped; T's stops go to the tracer. */
static void reap(const struct chain *ch, struct seen *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		if (!s->ready || pid != s->t)
			continue;
		if (WIFSTOPPED(status)) {
			on_stop(ch, s, status);
			continue;
		}
		s->reaped = true;
		s->status = status;
	}
}

/* Kill and reap everything left of the chain, within a second. */
static void cleanup(pid_t pgid)
{
	long long end = now_ms() + 1000;
	int status;

	kill(-pgid, SIGKILL);
	while (now_ms() < end) {
		if (waitpid(-1, &status, WNOHANG | __WALL) < 0 &&
		    errno == ECHILD)
			return;
		usleep(1000);
	}
}

/* Run the chain; s gets what happened. */
static void run_chain(const struct chain *ch, struct seen *s)
{
	struct pollfd pfd[2 + NM_MAXF];
	int sv[2], dp[2], idx[2 + NM_MAXF];
	struct signalfd_siginfo si;
	long long end;
	char go = 'g', tmp[64];
	int i, n, t;
	ssize_t len;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NM_MAXF; i++)
		s->lfd[i] = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(dp, O_CLOEXEC))
		ksft_exit_fail_msg("socketpair/pipe: %s\n", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (pid == 0)
		chain_child(ch, sv[1], dp[1]);
	setpgid(pid, pid);
	close(sv[1]);
	close(dp[1]);
	fcntl(dp[0], F_SETFL, O_NONBLOCK);

	end = now_ms() + CHAIN_MS;
	while (!s->reaped) {
		n = 0;
		pfd[n].fd = sv[0];
		pfd[n].events = POLLIN;
		idx[n++] = -1;
		pfd[n].fd = sigfd;
		pfd[n].events = POLLIN;
		idx[n++] = -2;
		for (i = 0; i < ch->m.n; i++) {
			if (s->lfd[i] < 0)
				continue;
			pfd[n].fd = s->lfd[i];
			pfd[n].events = POLLIN;
			idx[n++] = i;
		}
		t = end - now_ms();
		if (t <= 0) {
			s->hang = true;
			break;
		}
		if (poll(pfd, n, t < 50 ? t : 50) < 0 && errno != EINTR)
			ksft_exit_fail_msg("poll: %s\n", strerror(errno));
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (idx[i] == -1) {
				bool was_ready = s->ready;

				on_ctl(ch, s, sv[0]);
				if (!was_ready && s->ready) {
					if (ch->m.tracer &&
					    ptrace(PTRACE_SEIZE, s->t, NULL,
						   (void *)(PTRACE_O_TRACESECCOMP |
							    PTRACE_O_EXITKILL)))
						oddity(s, "PTRACE_SEIZE: %s",
						       strerror(errno));
					if (write(sv[0], &go, 1) != 1)
						oddity(s, "go: %s",
						       strerror(errno));
				}
			} else if (idx[i] == -2) {
				while (read(sigfd, &si, sizeof(si)) > 0)
					;
			} else if (s->lfd[idx[i]] >= 0) {
				on_notif(ch, s, idx[i]);
			}
		}
		reap(ch, s);
		if (s->setup_failed && !s->ready) {
			cleanup(pid);
			break;
		}
	}
	on_ctl(ch, s, sv[0]);
	while ((len = read(dp[0], tmp, sizeof(tmp))) > 0)
		s->r.ran += len;
	if (s->reaped) {
		if (WIFSIGNALED(s->status) && WTERMSIG(s->status) == SIGSYS &&
		    !s->got_out) {
			s->r.out = NM_OUT_KILLED;
			s->got_out = true;
		} else if (!WIFEXITED(s->status) || WEXITSTATUS(s->status)) {
			oddity(s, "T ended with status %#x", s->status);
		}
	}
	if (!s->got_out && !s->setup_failed)
		oddity(s, "no outcome");
	/* T is gone: no listener may still have a notification for it. */
	for (i = 0; s->reaped && i < ch->m.n; i++) {
		if (s->lfd[i] < 0)
			continue;
		pfd[0].fd = s->lfd[i];
		pfd[0].events = POLLIN;
		if (poll(pfd, 1, 0) == 1 && (pfd[0].revents & POLLIN))
			oddity(s, "f%d: a notification left after T ended", i);
	}
	cleanup(pid);
	for (i = 0; i < NM_MAXF; i++)
		if (s->lfd[i] >= 0)
			close(s->lfd[i]);
	close(sv[0]);
	close(dp[0]);
}

/* Compare; returns the number of differences. */
static int compare(const struct chain *ch, const struct nm_result *want,
		   const struct seen *s)
{
	const struct nm_result *got = &s->r;
	int i, diffs = 0;

	for (i = 0; i < ch->m.n; i++) {
		n_checks++;
		if (!s->installed[i] ||
		    got->install_err[i] != want->install_err[i])
			diffs++;
	}
	n_checks++;
	if (got->nev != want->nev)
		diffs++;
	for (i = 0; i < got->nev && i < want->nev; i++) {
		n_checks++;
		if (got->ev[i].kind != want->ev[i].kind ||
		    got->ev[i].filter != want->ev[i].filter ||
		    got->ev[i].args != want->ev[i].args)
			diffs++;
	}
	n_checks += 3;
	if (got->out != want->out || got->ran != want->ran ||
	    (got->out == NM_OUT_RET && got->ret != want->ret) ||
	    (got->out == NM_OUT_TRAP && got->trap_data != want->trap_data))
		diffs++;
	if (s->bad[0] || got->overflow || want->overflow)
		diffs++;
	return diffs;
}

static void print_diff(int idx, const struct chain *ch,
		       const struct nm_result *want, const struct seen *s)
{
	char line[1024];
	int i, n;

	if (msgs >= MAXMSGS * 8)
		return;
	chain_str(line, sizeof(line), ch);
	report("FAIL chain %d: the kernel differs from the model (replay: VMTEST_SEED=%" PRIu64 " or -s %" PRIu64 " -o %d%s)",
	       idx, seed, seed, idx, no_flags ? " --no-flags" : "");
	report("  chain:  %s", line);
	n = snprintf(line, sizeof(line), "model");
	for (i = 0; i < ch->m.n; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s",
			      ch->m.f[i].listener == NM_L_NONE ? "-" :
			      want->install_err[i] ? "EBUSY" : "ok");
	n += snprintf(line + n, sizeof(line) - n, ", kernel");
	for (i = 0; i < ch->m.n; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s",
			      !s->installed[i] ? "?" :
			      ch->m.f[i].listener == NM_L_NONE ? "-" :
			      s->r.install_err[i] ? "EBUSY" : "ok");
	report("  install: %s", line);
	n = nm_result_str(line, sizeof(line), want);
	if (n < (int)sizeof(line))
		nm_why_str(line + n, sizeof(line) - n, want);
	report("  model:  %s%s", line, want->overflow ? " (model overflow)" : "");
	nm_result_str(line, sizeof(line), &s->r);
	report("  kernel: %s%s", line, s->r.overflow ? " (overflow)" : "");
	if (s->bad[0])
		report("  kernel: %s", s->bad);
}

/* Coverage of the model's decisions, from its own result. */
static void note_coverage(const struct chain *ch, const struct nm_result *r)
{
	int i, hops = 0, best = NM_ALLOW, ties = 0, live = 0;
	bool stopped = false;

	for (i = 0; i < ch->m.n; i++) {
		if (ch->m.f[i].listener != NM_L_NONE && r->install_err[i])
			cov[COV_EBUSY]++;
		/* A listener installed next to a live one. */
		if (ch->m.f[i].listener != NM_L_NONE && !r->install_err[i] &&
		    live)
			cov[COV_NESTED_OK]++;
		if (ch->m.f[i].listener == NM_L_LIVE && !r->install_err[i])
			live++;
		if ((int)ch->m.f[i].act[NM_ARGS_A] < best) {
			best = ch->m.f[i].act[NM_ARGS_A];
			ties = 0;
		} else if ((int)ch->m.f[i].act[NM_ARGS_A] == best) {
			ties++;
		}
	}
	if (ties && best != NM_ALLOW)
		cov[COV_TIE]++;
	if (best < NM_NOTIF)
		cov[COV_DENIAL]++;
	for (i = 0; i < r->nev; i++) {
		if (r->ev[i].kind == NM_EV_STOP) {
			cov[COV_STOP]++;
			if (hops)
				cov[COV_STOP_AFTER_NOTIFY]++;
			stopped = true;
			hops = 0;
			continue;
		}
		cov[COV_NOTIFY]++;
		if (++hops == 2)
			cov[COV_HOPS2]++;
		if (hops == 3)
			cov[COV_HOPS3]++;
		if (stopped)
			cov[COV_RECHECK_ASK]++;
	}
	if (r->why == NM_WHY_NO_LISTENER)
		cov[hops ? COV_ENOSYS_L_HOP2 : COV_ENOSYS_L]++;
	if (r->why == NM_WHY_NO_TRACER)
		cov[COV_TRACE_NOTRACER]++;
	if (stopped && ch->m.tracer_act == NM_T_DIVERT)
		cov[COV_DIVERT]++;
	if (stopped && ch->m.tracer_act == NM_T_SKIP)
		cov[COV_SKIP]++;
	if (r->ran)
		cov[COV_RUN]++;
	if (r->why == NM_WHY_REPLY)
		cov[COV_REPLY_END]++;
	if (r->out == NM_OUT_TRAP)
		cov[COV_TRAP]++;
	if (r->out == NM_OUT_KILLED)
		cov[COV_KILL]++;
	for (i = 0; i < ch->m.n; i++)
		if (ch->fork_before[i]) {
			cov[COV_FORK]++;
			break;
		}
}

/*
 * Can this kernel run the fuzzer?  One chain with a live listener that
 * continues (SECCOMP_USER_NOTIF_FLAG_CONTINUE), and unless --no-flags one
 * flagged filter (SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS).
 */
static void probe(void)
{
	struct chain ch;
	struct seen s;

	memset(&ch, 0, sizeof(ch));
	ch.m.n = 1;
	ch.m.f[0].act[NM_ARGS_A] = NM_NOTIF;
	ch.m.f[0].listener = NM_L_LIVE;
	run_chain(&ch, &s);
	if (s.no_continue)
		ksft_exit_skip("kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE\n");
	if (s.setup_failed || s.hang || s.r.ret != NM_COUNT_A)
		ksft_exit_fail_msg("probe chain failed: setup %s, %s, returned %lld%s%s\n",
				   s.setup_failed ? strerror(s.setup_err) : "ok",
				   s.hang ? "hang" : "no hang",
				   (long long)s.r.ret, s.bad[0] ? ", " : "",
				   s.bad);
	if (no_flags)
		return;
	ch.m.f[0].act[NM_ARGS_A] = NM_ALLOW;
	ch.m.f[0].listener = NM_L_NONE;
	ch.m.f[0].nested = true;
	run_chain(&ch, &s);
	if (s.setup_failed && s.setup_err == EINVAL) {
		ksft_print_msg("the kernel refuses SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS (EINVAL): no flags, the stock decision\n");
		no_flags = true;
		return;
	}
	if (s.setup_failed || s.hang)
		ksft_exit_fail_msg("probe chain with the flag failed: %s\n",
				   s.setup_failed ? strerror(s.setup_err) :
						    "hang");
}

int main(int argc, char **argv)
{
	static const char mark[] = "nested-fuzz: start\n";
	static const struct option opts[] = {
		{ "no-flags", no_argument, NULL, 'F' },
		{ "seed", required_argument, NULL, 's' },
		{ "chains", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	static const int need_nested[] = {
		COV_HOPS2, COV_STOP_AFTER_NOTIFY, COV_RECHECK_ASK,
		COV_NESTED_OK, COV_ENOSYS_L_HOP2,
	};
	static const int need_any[] = {
		COV_NOTIFY, COV_ENOSYS_L, COV_TRACE_NOTRACER, COV_STOP,
		COV_EBUSY, COV_TIE, COV_DENIAL, COV_RUN, COV_REPLY_END,
		COV_TRAP, COV_KILL, COV_FORK,
	};
	int scale, nchains, only = -1, opt, i, diffs;
	long long t0, deadline;
	struct nm_result want;
	bool cov_ok = true, stopped = false;
	struct chain ch;
	struct seen s;
	sigset_t mask;
	const char *e;
	char line[512];
	int n;

	ksft_print_header();
	seed = (uint64_t)time(NULL) * 1000003 ^ getpid();
	e = getenv("VMTEST_SEED");
	if (e && *e)
		seed = strtoull(e, NULL, 0);
	e = getenv("NESTED_FUZZ_NO_FLAGS");
	no_flags = e && *e && strcmp(e, "0");
	scale = nu_env_int("VMTEST_SCALE", 1, 1, 1000);
	nchains = CHAINS * scale;
	while ((opt = getopt_long(argc, argv, "Fs:n:o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'F':
			no_flags = true;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nchains = atoi(optarg);
			break;
		case 'o':
			only = atoi(optarg);
			nchains = only + 1;
			break;
		default:
			ksft_exit_fail_msg("usage: %s [--no-flags] [-s SEED] [-n CHAINS] [-o CHAIN]\n",
					   argv[0]);
		}
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		ksft_exit_fail_msg("PR_SET_CHILD_SUBREAPER: %s\n",
				   strerror(errno));
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		ksft_exit_fail_msg("signalfd: %s\n", strerror(errno));

	probe();
	ksft_print_msg("seed %" PRIu64 " (replay: VMTEST_SEED=%" PRIu64 " or -s %" PRIu64 "), %s %d, %s\n",
		       seed, seed, seed, only >= 0 ? "only chain" : "chains",
		       only >= 0 ? only : nchains,
		       no_flags ? "no flags (the stock decision)" :
				  "flags at random (the nested decision)");
	ksft_set_plan(5);
	nu_kmsg_mark(mark);

	rnd.s = seed;
	t0 = now_ms();
	deadline = t0 + DEADLINE_S * 1000LL * scale;
	for (i = 0; i < nchains; i++) {
		gen_chain(&ch);
		if (only >= 0 && i != only)
			continue;
		if (now_ms() > deadline) {
			ksft_print_msg("deadline: stopped after %ld chains\n",
				       n_chains);
			stopped = true;
			break;
		}
		nm_model(&ch.m, &want);
		run_chain(&ch, &s);
		n_chains++;
		note_coverage(&ch, &want);
		if (s.hang) {
			n_hangs++;
			chain_str(line, sizeof(line), &ch);
			report("FAIL chain %d: no end within %d ms (replay: VMTEST_SEED=%" PRIu64 " or -s %" PRIu64 " -o %d%s)",
			       i, CHAIN_MS, seed, seed, i,
			       no_flags ? " --no-flags" : "");
			report("  chain:  %s", line);
			break;
		}
		if (s.setup_failed) {
			n_diffs++;
			report("FAIL chain %d: setup failed: %s (replay: -s %" PRIu64 " -o %d)",
			       i, strerror(s.setup_err), seed, i);
			continue;
		}
		n_bad_notif += s.bad_notif;
		diffs = compare(&ch, &want, &s);
		if (diffs) {
			n_diffs++;
			print_diff(i, &ch, &want, &s);
		}
	}

	n = 0;
	for (i = 0; i < NCOV; i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%s %ld",
			      i ? ", " : "", cov_name[i], cov[i]);
	ksft_print_msg("coverage: %s\n", line);
	for (i = 0; i < (int)ARRAY_SIZE(need_any); i++)
		cov_ok &= cov[need_any[i]] > 0;
	for (i = 0; !no_flags &&
		    i < (int)ARRAY_SIZE(need_nested); i++)
		cov_ok &= cov[need_nested[i]] > 0;
	ksft_print_msg("nested-fuzz: %ld chains, %ld checks, %ld differences, %ld bad notifications, %ld hangs, %.1f s (seed %" PRIu64 ", %s)\n",
		       n_chains, n_checks, n_diffs, n_bad_notif, n_hangs,
		       (now_ms() - t0) / 1e3, seed,
		       no_flags ? "no flags" : "flags");

	ksft_test_result(!n_diffs && n_chains, "model agrees on every chain\n");
	ksft_test_result(!n_bad_notif && n_chains,
			 "notifications: the task's pid, nr, args, ids in sequence\n");
	ksft_test_result(!n_hangs, "no hang\n");
	if (only >= 0 || stopped)
		ksft_test_result_skip("coverage: every decision of the model taken (partial run)\n");
	else
		ksft_test_result(cov_ok, "coverage: every decision of the model taken\n");
	nu_result_splats(mark);
	if (ksft_get_fail_cnt())
		ksft_print_msg("replay with VMTEST_SEED=%" PRIu64 " (or -s %" PRIu64 ")%s\n",
			       seed, seed, no_flags ? " --no-flags" : "");
	ksft_print_cnts();
	exit(ksft_get_fail_cnt() ? KSFT_FAIL : KSFT_PASS);
}
