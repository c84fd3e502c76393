// SPDX-License-Identifier: GPL-2.0
/*
 * notif-stress: many seccomp user notifications at once, answered at
 * random with SECCOMP_USER_NOTIF_CONTINUE, a spoofed value, an error,
 * SECCOMP_IOCTL_NOTIF_ADDFD then a continue reply, or an ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND, while the targets get signals and the
 * supervisor is killed (or stopped) and restarted.
 *
 * Processes (all forked from the controller, which is the test itself):
 *  - NTARGETS targets, each with NWORKERS threads that make intercepted
 *    getppid() and openat() calls in a loop, and a manager thread.
 *  - one supervisor at a time, with NSUPTHREADS threads that all poll all
 *    listeners and answer what they receive.
 *
 * Supervisor restarts ("epochs").  A filter's listener can't be reopened,
 * and only a filter's installer gets its listener, so each epoch needs a
 * new filter in every target: when supervisor e is up, each target's
 * manager installs a new filter (TSYNC, so all its threads get it) with a
 * new listener, sends the listener to supervisor e over a unix socket and
 * closes its own copy.  The kernel asks the newest filter, so epoch e's
 * listener answers.  When supervisor e dies, nothing else holds its
 * listeners: the calls waiting on it and every call made until the target
 * has installed the filter of epoch e + 1 fail with ENOSYS, which is the
 * kernel's answer when no listener exists, and the test checks that
 * ENOSYS comes only then.  A listener still queued in a socket when its
 * supervisor dies is closed, unused, by the next supervisor ("stale"), and
 * until then the target can't install the next filter (EBUSY: one live
 * listener per task), so the target retries.  Odd restarts are SIGKILL,
 * even ones and the last a graceful stop.
 *
 * Which reply did a call get?  Each call carries a token (its index in
 * the shared table) in an argument the syscall ignores; the supervisor
 * records its decision for the token in shared memory before it replies,
 * one slot per notification (a call interrupted by a signal is restarted
 * and brings a new notification with a new id).  The last notification
 * (highest epoch, then id) decides the outcome.
 *
 * Invariants, each a KTAP test:
 *  1 every call returned what its last reply allows: a continued getppid()
 *    the real parent, a continued openat() an fd of the file, a spoofed
 *    value that value, an error that errno, ADDFD + continue the real
 *    result and an fd of the marker file, ADDFD_FLAG_SEND an fd of the
 *    marker file; ENOSYS only when the supervisor of its epoch is gone;
 *  2 no call is in flight longer than HANG_NS, everything ends in time;
 *  3 per supervisor: notifications received = replies accepted + replies
 *    refused with ENOENT (ESRCH for ADDFD) because the target left; a
 *    killed supervisor may have up to NSUPTHREADS unanswered; no other
 *    ioctl error;
 *  4 a gracefully stopped supervisor has as many fds as when it started;
 *  5 coverage: all reply kinds accepted, signals handled, all restarts;
 *  6 no kernel splat in the log.
 *
 * Test-only switches that falsify one check each (never in the default
 * build): -DBREAK_DECISION (records a wrong spoofed value), -DBREAK_HANG
 * (the last supervisor never answers one call), -DBREAK_ACCOUNT
 * (miscounts received notifications), -DBREAK_FDLEAK (leaks the ADDFD
 * source fd).
 *
 * Scale: VMTEST_SCALE (default 1) multiplies the calls and restarts.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "notif-util.h"

#define NTARGETS	3
#define NWORKERS	3
#define NSUPTHREADS	3
#define ITERS		400
#define RESTARTS	8
#define NSLOTS		8
#define HANG_NS		(15 * 1000000000LL)
#define DEADLINE_NS	(100 * 1000000000LL)
#define MAXMSGS		20

#define FILE_PATH	"/tmp/notif-stress.file"
#define MARKER_PATH	"/tmp/notif-stress.marker"

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_SEQ_CST)

enum kind { K_CONT, K_SPOOF, K_ERROR, K_ADDFD_CONT, K_ADDFD_SEND, NKINDS };

static const char * const kind_name[NKINDS] = {
	"continue", "spoof", "error", "addfd+continue", "addfd-send",
};

enum { SC_GETPPID, SC_OPENAT };

/* One notification's decision, written before the reply is sent. */
struct slot {
	uint64_t id;
	int64_t val;
	int32_t epoch;
	int32_t kind;
	int32_t err;
	int32_t addfd;
	uint32_t valid;
	uint32_t accepted;
};

struct call_rec {
	uint32_t nslots;
	uint32_t pad;
	struct slot s[NSLOTS];
};

struct epoch_stat {
	pid_t pid;
	int ready, gone, stop, graceful;
	long received, accepted, aborted, recv_enoent, unexpected, stale;
	long kinds[NKINDS];
	int fd_before, fd_after;
};

struct worker_stat {
	int tid;
	uint32_t token;
	long long start_ns;
};

struct shared {
	int ncalls, iters, nepochs, ready_epoch;
	pid_t ctl;
	ino_t file_ino, marker_ino;
	long done_calls;
	long ok[NKINDS], enosys, bad, unverified, overflow, sig_handled;
	long msgs;
	struct worker_stat w[NTARGETS][NWORKERS];
};

static struct shared *sh;
static struct epoch_stat *g_ep;
static struct call_rec *g_rec;

#define fail_msg(fmt, ...) do {						\
	if (INC(sh->msgs) < MAXMSGS)					\
		ksft_print_msg("FAIL: " fmt "\n", ##__VA_ARGS__);	\
	} while (0)

static int fd_is(int fd, ino_t ino)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) && st.st_ino == ino;
}

/* ---- targets ---- */

static int t_idx, t_sock, t_epoch, t_workers_done;
static __thread volatile sig_atomic_t t_sigs;

static void on_sigusr1(int sig)
{
	t_sigs++;
	INC(sh->sig_handled);
}

/* Is a continued call's result the real one?  Closes what it opened. */
static int real_result(int sc, long raw)
{
	if (sc == SC_GETPPID)
		return raw == sh->ctl;
	if (!fd_is(raw, sh->file_ino))
		return 0;
	close(raw);
	return 1;
}

static void check_call(uint32_t token, int sc, long raw, int eb, int ea,
		       int signalled)
{
	struct call_rec *rec = &g_rec[token];
	struct slot *s, *last = NULL;
	uint32_t i, n = LOAD(rec->nslots);
	int ok;

	if (n > NSLOTS) {
		INC(sh->unverified);
		return;
	}
	for (i = 0; i < n; i++) {
		s = &rec->s[i];
		if (!LOAD(s->valid))
			continue;
		if (!last || s->epoch > last->epoch ||
		    (s->epoch == last->epoch && s->id > last->id))
			last = s;
	}

	if (raw == -ENOSYS) {
		/*
		 * No listener: the supervisor of the call's epoch is gone.
		 * If the epoch changed during the call we don't know which
		 * filter took it; only the old one may have said ENOSYS then,
		 * so no decision of the new epoch may exist.  A reply
		 * accepted for the last notification excludes ENOSYS, unless
		 * a signal raced with it (the reply then has no effect and
		 * the restarted call may have found no listener).
		 */
		ok = LOAD(g_ep[ea].gone) ||
		     (eb != ea && LOAD(g_ep[eb].gone) &&
		      !(last && last->epoch == ea));
		if (last && LOAD(last->accepted) && !signalled)
			ok = 0;
		if (ok) {
			INC(sh->enosys);
			return;
		}
		fail_msg("token %u: ENOSYS with epoch %d/%d alive, last reply %s (accepted %u)",
			 token, eb, ea, last ? kind_name[last->kind] : "none",
			 last ? LOAD(last->accepted) : 0);
		INC(sh->bad);
		return;
	}
	if (!last) {
		fail_msg("token %u: result %ld without any reply", token, raw);
		INC(sh->bad);
		return;
	}

	switch (last->kind) {
	case K_CONT:
		ok = real_result(sc, raw);
		break;
	case K_SPOOF:
		ok = raw == last->val;
		break;
	case K_ERROR:
		ok = raw == -last->err;
		break;
	case K_ADDFD_CONT:
		ok = real_result(sc, raw) && fd_is(last->addfd, sh->marker_ino);
		if (last->addfd >= 0)
			close(last->addfd);
		break;
	case K_ADDFD_SEND:
		ok = fd_is(raw, sh->marker_ino);
		if (ok)
			close(raw);
		break;
	default:
		ok = 0;
	}
	if (ok) {
		INC(sh->ok[last->kind]);
		return;
	}
	INC(sh->bad);
	fail_msg("token %u: %s reply (val %ld err %d addfd %d, epoch %d) but %s returned %ld",
		 token, kind_name[last->kind], (long)last->val, last->err,
		 last->addfd, last->epoch,
		 sc == SC_GETPPID ? "getppid" : "openat", raw);
}

static void *worker(void *arg)
{
	int w = (long)arg;
	struct worker_stat *ws = &sh->w[t_idx][w];
	struct nu_rand r = { nu_now_ns() ^ (t_idx << 8 | w) };
	long long t0 = nu_now_ns();
	int i, sc, eb, ea, err;
	sig_atomic_t sigs;
	uint32_t token;
	long ret;

	STORE(ws->tid, gettid());
	while (!LOAD(t_epoch)) {
		if (nu_now_ns() - t0 > HANG_NS) {
			fail_msg("target %d: no filter installed", t_idx);
			break;
		}
		nu_sleep_us(1000);
	}
	for (i = 0; i < sh->iters && LOAD(t_epoch); i++) {
		token = (t_idx * NWORKERS + w) * sh->iters + i;
		sc = nu_below(&r, 3) ? SC_GETPPID : SC_OPENAT;
		eb = LOAD(t_epoch);
		sigs = t_sigs;
		STORE(ws->token, token);
		STORE(ws->start_ns, nu_now_ns());
		if (sc == SC_GETPPID)
			ret = syscall(__NR_getppid, NU_ARG(token));
		else
			ret = syscall(__NR_openat, AT_FDCWD, FILE_PATH,
				      O_RDONLY | O_CLOEXEC, NU_ARG(token));
		err = errno;
		STORE(ws->start_ns, 0);
		ea = LOAD(t_epoch);
		ret = nu_raw(ret, err);
		check_call(token, sc, ret, eb, ea, t_sigs != sigs);
		INC(sh->done_calls);
		if (ret == -ENOSYS)
			nu_sleep_us(2000);
	}
	INC(t_workers_done);
	return NULL;
}

static int install(int e)
{
	long long t0 = nu_now_ns();
	int msg[2] = { t_idx, e };
	int l;

	for (;;) {
		l = nu_install_filter(SECCOMP_FILTER_FLAG_TSYNC |
				      SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
		if (l >= 0)
			break;
		if (errno != EBUSY || nu_now_ns() - t0 > HANG_NS) {
			fail_msg("target %d: install filter of epoch %d: %s",
				 t_idx, e, strerror(errno));
			return -1;
		}
		nu_sleep_us(1000);
	}
	if (nu_send_fd(t_sock, l, msg, sizeof(msg)))
		fail_msg("target %d: send listener: %s", t_idx,
			 strerror(errno));
	close(l);
	STORE(t_epoch, e);
	return 0;
}

static void __attribute__((noreturn)) target_main(int t, int sock)
{
	struct sigaction sa = { .sa_handler = on_sigusr1,
				.sa_flags = SA_RESTART };
	pthread_t th[NWORKERS];
	int w, e, rc = 0;

	t_idx = t;
	t_sock = sock;
	sigaction(SIGUSR1, &sa, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	for (w = 0; w < NWORKERS; w++)
		if (pthread_create(&th[w], NULL, worker, (void *)(long)w))
			_exit(3);
	while (LOAD(t_workers_done) < NWORKERS) {
		e = LOAD(sh->ready_epoch);
		if (e > t_epoch && !LOAD(g_ep[e].gone) && install(e))
			rc = 1;
		nu_sleep_us(1000);
	}
	for (w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	fflush(stdout);
	_exit(rc);
}

/* ---- supervisor ---- */

static int s_epoch, s_quit;
static int s_socks[NTARGETS], s_listener[NTARGETS], s_hup[NTARGETS];
static int s_claim[NTARGETS];

static const int errnos[] = {
	EPERM, EACCES, EIO, EAGAIN, EBUSY, EXDEV, ENOTTY, EROFS, E2BIG,
};

static void count_reply(struct epoch_stat *ep, struct slot *s, int kind,
			long rc, int err, const char *what)
{
	if (rc >= 0) {
		STORE(s->accepted, 1);
		INC(ep->accepted);
		INC(ep->kinds[kind]);
	} else if (err == ENOENT || (kind == K_ADDFD_SEND && err == ESRCH)) {
		INC(ep->aborted);
	} else {
		INC(ep->unexpected);
		fail_msg("supervisor %d: %s: %s", s_epoch, what, strerror(err));
	}
}

static void handle(int l, struct seccomp_notif *req, struct nu_rand *r)
{
	struct epoch_stat *ep = &g_ep[s_epoch];
	struct seccomp_notif_resp resp = { .id = req->id };
	struct seccomp_notif_addfd addfd = { .id = req->id };
	struct slot dummy = { 0 }, *s = &dummy;
	uint64_t arg;
	uint32_t token, i;
	int kind, mfd, err;
	long rc;

	INC(ep->received);
	arg = req->data.nr == __NR_getppid ? req->data.args[0] :
					      req->data.args[3];
	token = (uint32_t)arg;
	if (arg >> 32 != NU_MAGIC || token >= (uint32_t)sh->ncalls) {
		INC(ep->unexpected);
		fail_msg("supervisor %d: notification for nr %d arg %#llx",
			 s_epoch, req->data.nr, (unsigned long long)arg);
		resp.error = -EPERM;
		ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		return;
	}
#ifdef BREAK_HANG
	{
		/* Never answer one call (a restarted call comes back). */
		static uint32_t dropped = UINT32_MAX;
		uint32_t none = UINT32_MAX;

		if (s_epoch == sh->nepochs) {
			__atomic_compare_exchange_n(&dropped, &none, token, 0,
						    __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST);
			if (LOAD(dropped) == token)
				return;
		}
	}
#endif
	kind = nu_below(r, NKINDS);
	i = INC(g_rec[token].nslots);
	if (i < NSLOTS)
		s = &g_rec[token].s[i];
	else
		INC(sh->overflow);
	s->id = req->id;
	s->epoch = s_epoch;
	s->kind = kind;
	s->addfd = -1;

	switch (kind) {
	case K_CONT:
		resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
		break;
	case K_SPOOF:
		resp.val = 1000000 + nu_below(r, 1 << 30);
		s->val = resp.val;
#ifdef BREAK_DECISION
		s->val = resp.val + 1;
#endif
		break;
	case K_ERROR:
		s->err = errnos[nu_below(r, sizeof(errnos) / sizeof(errnos[0]))];
		resp.error = -s->err;
		break;
	case K_ADDFD_CONT:
	case K_ADDFD_SEND:
		mfd = open(MARKER_PATH, O_RDONLY | O_CLOEXEC);
		if (mfd < 0) {
			INC(ep->unexpected);
			fail_msg("supervisor: open marker: %s", strerror(errno));
		}
		addfd.srcfd = mfd;
		addfd.newfd_flags = nu_below(r, 2) ? O_CLOEXEC : 0;
		if (kind == K_ADDFD_SEND) {
			addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
			STORE(s->valid, 1);
			rc = ioctl(l, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
			err = errno;
			s->addfd = rc >= 0 ? rc : -err;
			close(mfd);
			count_reply(ep, s, kind, rc, err, "ADDFD_FLAG_SEND");
			if (rc >= 0 || err == ENOENT || err == ESRCH)
				return;
			/* Still pending: answer it some other way. */
			s = &dummy;
			resp.error = -EIO;
			break;
		}
		rc = ioctl(l, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
		s->addfd = rc >= 0 ? rc : -errno;
		if (rc < 0 && errno != ENOENT && errno != ESRCH) {
			INC(ep->unexpected);
			fail_msg("supervisor %d: ADDFD: %s", s_epoch,
				 strerror(errno));
		}
#ifndef BREAK_FDLEAK
		close(mfd);
#endif
		resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
		break;
	}
	STORE(s->valid, 1);
	rc = ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	count_reply(ep, s, kind, rc, errno, "SEND");
#ifdef BREAK_ACCOUNT
	if (kind == K_ERROR)
		INC(ep->received);
#endif
}

static void *sup_thread(void *arg)
{
	struct nu_rand r = { nu_now_ns() ^ ((long)arg << 16 | s_epoch) };
	struct epoch_stat *ep = &g_ep[s_epoch];
	struct pollfd pfd[NTARGETS], one;
	struct seccomp_notif req;
	int idx[NTARGETS];
	int t, n, i, rc, err, zero;

	while (!LOAD(s_quit)) {
		for (n = 0, t = 0; t < NTARGETS; t++) {
			if (LOAD(s_listener[t]) < 0 || LOAD(s_hup[t]))
				continue;
			pfd[n].fd = s_listener[t];
			pfd[n].events = POLLIN;
			idx[n++] = t;
		}
		if (!n) {
			nu_sleep_us(5000);
			continue;
		}
		if (poll(pfd, n, 20) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			t = idx[i];
			if (!(pfd[i].revents & POLLIN)) {
				if (pfd[i].revents & (POLLHUP | POLLERR))
					STORE(s_hup[t], 1);
				continue;
			}
			/*
			 * Only the thread holding the claim receives from a
			 * listener, after seeing POLLIN again: RECV then
			 * can't block (a notification waits, or one just
			 * left and RECV says ENOENT).
			 */
			zero = 0;
			if (!__atomic_compare_exchange_n(&s_claim[t], &zero, 1,
							 0, __ATOMIC_SEQ_CST,
							 __ATOMIC_SEQ_CST))
				continue;
			one.fd = pfd[i].fd;
			one.events = POLLIN;
			rc = -2;
			if (poll(&one, 1, 0) == 1 && (one.revents & POLLIN)) {
				memset(&req, 0, sizeof(req));
				rc = ioctl(one.fd, SECCOMP_IOCTL_NOTIF_RECV,
					   &req);
				err = errno;
			}
			STORE(s_claim[t], 0);
			if (rc == 0) {
				handle(one.fd, &req, &r);
			} else if (rc == -1 && err == ENOENT) {
				INC(ep->recv_enoent);
			} else if (rc == -1) {
				INC(ep->unexpected);
				fail_msg("supervisor %d: RECV: %s", s_epoch,
					 strerror(err));
			}
		}
	}
	return NULL;
}

static void take(int fd, const int *msg, ssize_t len)
{
	struct epoch_stat *ep = &g_ep[s_epoch];
	int t = msg[0];

	if (fd < 0) {
		INC(ep->unexpected);
		fail_msg("supervisor %d: message without fd", s_epoch);
		return;
	}
	if (len == 2 * sizeof(int) && msg[1] == s_epoch && t >= 0 &&
	    t < NTARGETS && LOAD(s_listener[t]) < 0) {
		STORE(s_listener[t], fd);
		return;
	}
	INC(ep->stale);
	close(fd);
}

static void __attribute__((noreturn)) sup_main(int e, const int *socks)
{
	struct epoch_stat *ep = &g_ep[e];
	pthread_t th[NSUPTHREADS];
	struct pollfd pfd[NTARGETS];
	int t, fd, msg[2];
	ssize_t len;

	s_epoch = e;
	signal(SIGPIPE, SIG_IGN);
	for (t = 0; t < NTARGETS; t++) {
		s_socks[t] = socks[t];
		s_listener[t] = -1;
	}
	STORE(ep->fd_before, nu_count_fds());
	/* Listeners sent to a supervisor that died before reading them. */
	for (t = 0; t < NTARGETS; t++)
		while ((len = nu_recv_fd(socks[t], msg, sizeof(msg), &fd,
					 MSG_DONTWAIT)) > 0)
			take(fd, msg, len);
	for (t = 0; t < NSUPTHREADS; t++)
		if (pthread_create(&th[t], NULL, sup_thread, (void *)(long)t))
			_exit(3);
	STORE(ep->ready, 1);
	STORE(sh->ready_epoch, e);
	while (!LOAD(ep->stop)) {
		for (t = 0; t < NTARGETS; t++) {
			pfd[t].fd = socks[t];
			pfd[t].events = POLLIN;
		}
		if (poll(pfd, NTARGETS, 10) <= 0)
			continue;
		for (t = 0; t < NTARGETS; t++)
			if (pfd[t].revents & POLLIN) {
				len = nu_recv_fd(socks[t], msg, sizeof(msg),
						 &fd, MSG_DONTWAIT);
				if (len > 0)
					take(fd, msg, len);
			}
	}
	STORE(s_quit, 1);
	for (t = 0; t < NSUPTHREADS; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < NTARGETS; t++)
		if (s_listener[t] >= 0)
			close(s_listener[t]);
	STORE(ep->fd_after, nu_count_fds());
	fflush(stdout);
	_exit(0);
}

/* ---- controller ---- */

static pid_t c_targets[NTARGETS];
static int c_tstatus[NTARGETS], c_reaped[NTARGETS];
static int c_hung, c_late, c_stuck, c_badexit;
static long c_sigs_sent;
static struct nu_rand c_rand;
static long long c_t0, c_deadline;

static int create_file(const char *path, ino_t *ino)
{
	struct stat st;
	int fd;

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st))
		return -1;
	*ino = st.st_ino;
	close(fd);
	return 0;
}

static int all_reaped(void)
{
	int t;

	for (t = 0; t < NTARGETS; t++)
		if (!c_reaped[t])
			return 0;
	return 1;
}

/* One controller step: a signal now and then, reaping, the hang bound. */
static int tick(void)
{
	long long now;
	int t, w, tid;
	pid_t p;

	nu_sleep_us(2000);
	if (!nu_below(&c_rand, 3)) {
		t = nu_below(&c_rand, NTARGETS);
		w = nu_below(&c_rand, NWORKERS);
		tid = LOAD(sh->w[t][w].tid);
		if (!c_reaped[t] && tid &&
		    !syscall(__NR_tgkill, c_targets[t], tid, SIGUSR1))
			c_sigs_sent++;
	}
	for (t = 0; t < NTARGETS; t++) {
		if (c_reaped[t])
			continue;
		p = waitpid(c_targets[t], &c_tstatus[t], WNOHANG);
		if (p == c_targets[t]) {
			c_reaped[t] = 1;
			if (!WIFEXITED(c_tstatus[t]) ||
			    WEXITSTATUS(c_tstatus[t])) {
				c_badexit++;
				fail_msg("target %d ended with status %#x", t,
					 c_tstatus[t]);
			}
		}
	}
	now = nu_now_ns();
	for (t = 0; t < NTARGETS; t++)
		for (w = 0; w < NWORKERS; w++) {
			long long s = LOAD(sh->w[t][w].start_ns);

			if (s && now - s > HANG_NS && !c_reaped[t]) {
				fail_msg("target %d thread %d: call with token %u in flight for %lld ms",
					 t, w, LOAD(sh->w[t][w].token),
					 (now - s) / 1000000);
				c_hung = 1;
			}
		}
	if (now > c_deadline) {
		fail_msg("not done after %lld s", (now - c_t0) / 1000000000);
		c_late = 1;
	}
	return c_hung || c_late;
}

static void stop_sup(int e, int graceful)
{
	struct epoch_stat *ep = &g_ep[e];
	long long t0 = nu_now_ns();
	int status;
	pid_t p;

	STORE(ep->graceful, graceful);
	STORE(ep->gone, 1);
	if (graceful)
		STORE(ep->stop, 1);
	else
		kill(ep->pid, SIGKILL);
	while ((p = waitpid(ep->pid, &status, WNOHANG)) == 0) {
		if (nu_now_ns() - t0 > HANG_NS) {
			fail_msg("supervisor %d did not stop", e);
			c_stuck = 1;
			kill(ep->pid, SIGKILL);
			waitpid(ep->pid, &status, 0);
			return;
		}
		nu_sleep_us(1000);
	}
	if (graceful ? !WIFEXITED(status) || WEXITSTATUS(status) :
		       !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		fail_msg("supervisor %d ended with status %#x", e, status);
		c_stuck = 1;
	}
}

int main(void)
{
	static const char mark[] = "notif-stress: start\n";
	int sv[NTARGETS][2], ssock[NTARGETS];
	int scale, t, u, e, ok, n, kills = 0, graceful = 0;
	long recv = 0, acc = 0, abrt = 0, renoent = 0, stale = 0, unexp = 0;
	long kinds[NKINDS] = { 0 }, calls_ok = 0, goal, diff;
	char why[256];
	size_t size;
	pid_t pid;

	ksft_print_header();
	scale = nu_env_int("VMTEST_SCALE", 1, 1, 1000);
	switch (nu_probe_continue(why, sizeof(why))) {
	case 0:
		ksft_exit_skip("%s\n", why);
	case -1:
		ksft_exit_fail_msg("%s\n", why);
	}
	ksft_set_plan(6);

	n = RESTARTS * scale + 1;
	size = sizeof(*sh) + (n + 1) * sizeof(*g_ep) +
	       (size_t)NTARGETS * NWORKERS * ITERS * scale * sizeof(*g_rec);
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap %zu: %s\n", size, strerror(errno));
	g_ep = (struct epoch_stat *)(sh + 1);
	g_rec = (struct call_rec *)(g_ep + n + 1);
	sh->nepochs = n;
	sh->iters = ITERS * scale;
	sh->ncalls = NTARGETS * NWORKERS * sh->iters;
	sh->ctl = getpid();
	if (create_file(FILE_PATH, &sh->file_ino) ||
	    create_file(MARKER_PATH, &sh->marker_ino))
		ksft_exit_fail_msg("create files in /tmp: %s\n",
				   strerror(errno));
	ksft_print_msg("scale %d: %d targets x %d threads x %d calls, %d supervisor threads, %d restarts\n",
		       scale, NTARGETS, NWORKERS, sh->iters, NSUPTHREADS,
		       n - 1);

	for (t = 0; t < NTARGETS; t++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			       sv[t]))
			ksft_exit_fail_msg("socketpair: %s\n", strerror(errno));
	nu_kmsg_mark(mark);
	c_rand.s = nu_now_ns();
	c_t0 = nu_now_ns();
	c_deadline = c_t0 + DEADLINE_NS * scale;
	fflush(stdout);
	for (t = 0; t < NTARGETS; t++) {
		pid = fork();
		if (pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid == 0) {
			for (u = 0; u < NTARGETS; u++) {
				close(sv[u][0]);
				if (u != t)
					close(sv[u][1]);
			}
			target_main(t, sv[t][1]);
		}
		c_targets[t] = pid;
	}
	for (t = 0; t < NTARGETS; t++) {
		close(sv[t][1]);
		ssock[t] = sv[t][0];
	}

	for (e = 1; e <= n; e++) {
		long long t0 = nu_now_ns();

		pid = fork();
		if (pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid == 0)
			sup_main(e, ssock);
		g_ep[e].pid = pid;
		while (!LOAD(g_ep[e].ready) && nu_now_ns() - t0 < HANG_NS)
			nu_sleep_us(1000);
		if (!LOAD(g_ep[e].ready)) {
			fail_msg("supervisor %d did not start", e);
			c_stuck = 1;
		}
		goal = e == n ? sh->ncalls : (long)sh->ncalls * e / n;
		while (!c_stuck && LOAD(sh->done_calls) < goal && !all_reaped())
			if (tick())
				break;
		if (e == n)
			while (!c_hung && !c_late && !c_stuck && !all_reaped())
				tick();
		if (c_hung || c_late || c_stuck) {
			for (t = 0; t < NTARGETS; t++)
				if (!c_reaped[t]) {
					kill(c_targets[t], SIGKILL);
					waitpid(c_targets[t], &c_tstatus[t], 0);
					c_reaped[t] = 1;
				}
			stop_sup(e, 0);
			break;
		}
		stop_sup(e, e == n || e % 2 == 0);
		if (e < n)
			g_ep[e].graceful ? graceful++ : kills++;
	}
	if (e > n)
		e = n;

	/* Totals */
	ok = 1;
	for (u = 1; u <= e; u++) {
		struct epoch_stat *ep = &g_ep[u];
		int gr = ep->graceful && !c_hung && !c_stuck;

		recv += ep->received;
		acc += ep->accepted;
		abrt += ep->aborted;
		renoent += ep->recv_enoent;
		stale += ep->stale;
		unexp += ep->unexpected;
		for (t = 0; t < NKINDS; t++)
			kinds[t] += ep->kinds[t];
		diff = ep->received - ep->accepted - ep->aborted;
		if (ep->unexpected || diff < 0 || (gr && diff) ||
		    diff > NSUPTHREADS) {
			ksft_print_msg("FAIL: supervisor %d (%s): received %ld, accepted %ld, aborted %ld, unexpected %ld\n",
				       u, ep->graceful ? "stopped" : "killed",
				       ep->received, ep->accepted, ep->aborted,
				       ep->unexpected);
			ok = 0;
		}
	}
	for (t = 0; t < NKINDS; t++)
		calls_ok += sh->ok[t];
	ksft_print_msg("notifications handled: %ld (replies accepted %ld, refused as aborted %ld, RECV ENOENT %ld)\n",
		       recv, acc, abrt, renoent);
	ksft_print_msg("replies by kind: %s %ld, %s %ld, %s %ld, %s %ld, %s %ld\n",
		       kind_name[0], kinds[0], kind_name[1], kinds[1],
		       kind_name[2], kinds[2], kind_name[3], kinds[3],
		       kind_name[4], kinds[4]);
	ksft_print_msg("calls: %d planned, %ld done, %ld as replied, %ld ENOSYS without listener, %ld wrong, %ld unverified (slot overflow %ld)\n",
		       sh->ncalls, sh->done_calls, calls_ok, sh->enosys, sh->bad,
		       sh->unverified, sh->overflow);
	ksft_print_msg("signals: %ld sent, %ld handled\n", c_sigs_sent,
		       sh->sig_handled);
	ksft_print_msg("supervisor restarts: %d (%d killed, %d stopped), stale listeners closed %ld, %.1f s\n",
		       kills + graceful, kills, graceful, stale,
		       (nu_now_ns() - c_t0) / 1e9);

	ksft_test_result(!sh->bad && calls_ok && sh->done_calls == sh->ncalls,
			 "outcomes: every call returned what its reply allows\n");
	ksft_test_result(!c_hung && !c_late && !c_stuck && !c_badexit,
			 "bounded: no call in flight over %lld s, all processes ended\n",
			 HANG_NS / 1000000000);
	ksft_test_result(ok && !unexp,
			 "accounting: received = accepted + aborted per supervisor\n");
	for (ok = 1, n = 0, u = 1; u <= e; u++) {
		struct epoch_stat *ep = &g_ep[u];

		if (!ep->graceful || c_stuck)
			continue;
		n++;
		if (ep->fd_before <= 0 || ep->fd_before != ep->fd_after) {
			ksft_print_msg("FAIL: supervisor %d: %d fds at start, %d at the end\n",
				       u, ep->fd_before, ep->fd_after);
			ok = 0;
		}
	}
	/* Names without counts: a case keeps its name from run to run. */
	ksft_print_msg("fds: checked in %d stopped supervisors\n", n);
	ksft_test_result(ok && n, "fds: no leak in the stopped supervisors\n");
	for (ok = 1, t = 0; t < NKINDS; t++)
		ok &= kinds[t] > 0;
	ksft_test_result(ok && sh->sig_handled > 0 &&
			 kills + graceful == sh->nepochs - 1,
			 "coverage: every reply kind, signals, restarts\n");
	nu_result_splats(mark);

	unlink(FILE_PATH);
	unlink(MARKER_PATH);
	ksft_print_cnts();
	ksft_print_msg("%u passed, %u failed\n", ksft_get_pass_cnt(),
		       ksft_get_fail_cnt());
	exit(ksft_get_fail_cnt() ? KSFT_FAIL : KSFT_PASS);
}
