// SPDX-License-Identifier: GPL-2.0
/*
 * nested-stress: many threads whose getppid() goes through a chain of
 * 2..4 seccomp listeners, each filter installed with
 * SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS, so that a call one listener
 * continues is notified to the next older one, while supervisors close
 * their listeners or are killed, targets are killed and TSYNC installs
 * filters mid-wait; and two supervisors that wait on each other, a
 * deadlock that SIGKILL recovers.
 *
 * Processes (all forked from the controller, which is the test itself),
 * in ROUNDS rounds of:
 *  - NTARGETS targets.  Target t installs its chain of D filters (D is
 *    2, 3 or 4; "level" 0 is the oldest filter, D - 1 the newest), each
 *    with SECCOMP_FILTER_FLAG_NEW_LISTENER and the flag; it sends each
 *    listener over a unix socket to the supervisor of that level and
 *    closes its own copy.  The filters see only getppid() calls marked
 *    with NU_ARG(token), so that libc's own calls are never caught.  Then
 *    NWORKERS threads make marked getppid() calls in a loop, and the main
 *    thread (the manager) waits for a TSYNC event.
 *  - MAXLV supervisors, one per level, each with NSUPTHREADS threads that
 *    poll every listener of their level (one per target) and answer
 *    CONTINUE, or (SPOOF_PCT %) a spoofed value that encodes the level and
 *    the call's token.
 * then the deadlock: two processes A and B each install a listener filter
 * on themselves, hand the listener to the other and close their own copy,
 * then both make a marked getppid(): each waits for the other.
 *
 * Each round's targets get one event each, in a random order and at a
 * random point (20..60 % of their calls), while their workers are blocked
 * in a notification (the supervisors delay their replies to make sure):
 *  - close: the supervisor of one level of the target receives a
 *    notification, keeps it unanswered and closes that listener; the
 *    calls that meet that level from then on fail with ENOSYS;
 *  - target kill: SIGKILL of the target; the supervisors' replies to its
 *    pending notifications fail with ENOENT;
 *  - TSYNC allow: the manager installs an ALLOW filter (flagged) with
 *    SECCOMP_FILTER_FLAG_TSYNC;
 *  - TSYNC listener: the manager installs a new newest level, a flagged
 *    listener filter with TSYNC | TSYNC_ESRCH | NEW_LISTENER, and sends it
 *    to the supervisor of that level; the calls in flight don't meet it,
 *    later calls are asked there first.
 * Once they all happened, and 70 % of the round's calls are done, the
 * controller SIGKILLs the supervisor of one level (0..2: a level that at
 * least two of the round's targets have).  A shared "closed"
 * flag for (target, level) is set before any close or kill.
 *
 * Records.  Per call (shared memory indexed by the token), per level: how
 * often it was asked, a global sequence number at the receive and at the
 * reply (taken before NOTIF_SEND), the reply chosen and whether NOTIF_SEND
 * took it.  The worker checks its call when it returns.
 *
 * Invariants, each a KTAP test:
 *  1 outcomes: a call returns the real parent's pid only if every level it
 *    met, down to level 0, continued; a spoofed value only as the reply of
 *    the oldest level asked, and that level's value for that call; ENOSYS
 *    only when the level the call was at, or was continued to, had its
 *    "closed" flag set;
 *  2 order: each level is asked at most once; the first asked is the
 *    newest level the chain had when the call entered (TSYNC levels
 *    included only if installed before it); then each older level in
 *    turn, only after the newer one's continue reply was chosen, and none
 *    older than a spoofing level; each notification names the calling
 *    thread and its token;
 *  3 bounded: no call in flight longer than HANG_NS, every process ends,
 *    within a global deadline;
 *  4 accounting: per supervisor, notifications received = replies
 *    accepted + replies refused with ENOENT (only for a killed target) +
 *    notifications held for a close (a killed supervisor: up to
 *    NSUPTHREADS more); no other ioctl error;
 *  5 deadlock: both stay blocked, the controller sees it (their progress
 *    and /proc/PID/stat) and SIGKILLs A; B's call then fails with ENOSYS
 *    (A held B's listener) within DL_BOUND_NS and B exits with 0;
 *  6 events and coverage: every event happened, each TSYNC install
 *    succeeded, calls were in flight across a TSYNC install and calls
 *    were asked at a TSYNC'd level, every reply kind was accepted, every
 *    kind of result (real pid, spoof, ENOSYS after a close and after a
 *    supervisor kill, ENOENT) seen, a call went through 4 levels;
 *  7 no kernel splat in the log.
 *
 * Modes: on a kernel that refuses SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS
 * with EINVAL (mainline, the stock and after kernels) the program says so
 * and runs with "no flags": one listener per chain (a second one would be
 * refused with EBUSY), no TSYNC listener; every check still holds.  SKIP
 * on a kernel without SECCOMP_USER_NOTIF_FLAG_CONTINUE.
 *
 * Test-only switches that falsify one check each (never in the default
 * build): -DBREAK_SPOOF (a supervisor records a wrong spoofed value:
 * outcomes), -DBREAK_ORDER (level 0 records no receive: order),
 * -DBREAK_HANG (a supervisor of the last round never answers one call,
 * received after that round's supervisor kill, at a level neither killed
 * nor closed; on the nested kernel, where there is such a level: bounded),
 * -DBREAK_ACCOUNT (miscounts received notifications: accounting),
 * -DBREAK_DEADLOCK (the controller never kills A: deadlock),
 * -DBREAK_CLOSED (a close never sets the "closed" flag: outcomes, for the
 * ENOSYS calls).  Coverage counts only the results that passed their
 * check, so with BREAK_SPOOF (no spoof passes) and BREAK_CLOSED (no
 * ENOSYS after a close passes) it fails too.
 *
 * Seed: VMTEST_SEED, else from the time; printed.  It chooses the depths,
 * the events and their points and the replies; the interleaving is the
 * scheduler's.  Scale: VMTEST_SCALE (default 1) multiplies the rounds.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sys/mman.h>

#include "notif-util.h"


#define NTARGETS	4
#define NWORKERS	3
#define NSUPTHREADS	2
#define MAXLV		5	/* a chain of 4 and one TSYNC level */
#define ROUNDS		3
#define ITERS		150
#define SPOOF_PCT	20
#define HOLD_US		20000	/* a supervisor's delay while an event waits */
#define MS		1000000LL
#define NS		1000000000LL
#define HOLD_WAIT_NS	(1 * NS)
#define HANG_NS		(5 * NS)
#define DEADLINE_NS	(60 * NS)
#define DL_STUCK_NS	(300 * MS)
#define DL_BOUND_NS	(5 * NS)
#define MAXMSGS		20
#define SPOOF_BASE	0x5000000000LL
#define DL_TOKEN	0xdeadU

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_SEQ_CST)
#define ADD(x, v)	__atomic_fetch_add(&(x), (v), __ATOMIC_SEQ_CST)
#define CAS(x, o, n)	({ __typeof__(x) _o = (o);			\
			   __atomic_compare_exchange_n(&(x), &_o, (n), 0, \
				__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); })

enum kind { K_CONT, K_SPOOF, NKINDS };

static const char * const kind_name[NKINDS] = { "continue", "spoof" };

enum event {
	EV_NONE, EV_CLOSE, EV_TKILL, EV_TSYNC_ALLOW, EV_TSYNC_LISTENER, NEVENTS
};

static const char * const ev_name[NEVENTS] = {
	"none", "close", "target kill", "TSYNC allow", "TSYNC listener",
};

/* Why a level's listener is gone: the values of target.closed[]. */
enum { OPEN, CLOSED_BY_CLOSE, CLOSED_BY_KILL };

/* One level's part in one call. */
struct lv_rec {
	uint32_t asked;		/* notifications received at this level */
	uint32_t decided;	/* a reply was chosen, before NOTIF_SEND */
	uint32_t accepted;	/* NOTIF_SEND took it */
	int32_t kind;
	int64_t val;
	uint64_t seq_recv, seq_reply;
};

struct call_rec {
	struct lv_rec lv[MAXLV];
	uint32_t inflight;	/* blocked when a TSYNC install began */
};

struct worker_stat {
	int tid;
	uint32_t token;
	long long start_ns;
};

struct target {
	pid_t pid;
	int depth, event, ev_at, close_lv, tsync_lv;
	int started_lv, done_lv;	/* levels: before, after an install */
	int hold, holding, fired, closing, killed, tsync_req, tsync_done;
	int closed[MAXLV];
	uint64_t seq_install;
	long done;
	struct worker_stat w[NWORKERS];
};

struct sup {
	pid_t pid;
	int ready, stop, killed, hold, holding;
	long received, accepted, aborted, held, recv_enoent, unexpected;
	long kinds[NKINDS];
};

struct round {
	int kill_lv, sup_killed;
};

struct deadlock {
	int ready[2], go, calling[2], returned[2];
	long ret[2];
};

struct shared {
	uint64_t seed, seq;
	unsigned long nested_flag;
	int nrounds, iters, ncalls;
	pid_t ctl;
	long msgs;
	/* counted by the workers */
	long checked, real, spoofed, enosys_close, enosys_kill, hops;
	long bad_out, bad_order, bad_notif, inflight_ok, tsync_lv_asked;
	long hops_by[MAXLV + 1];
	/* events */
	long n_close, n_tkill, n_supkill, n_tsync[2], bad_event;
	int hang_dropped;	/* BREAK_HANG */
	struct deadlock dl;
};

static struct shared *sh;
static struct round *g_round;
static struct target *g_tg;
static struct sup *g_sup;
static struct call_rec *g_rec;

#define fail_msg(fmt, ...) do {						\
	if (INC(sh->msgs) < MAXMSGS)					\
		ksft_print_msg("FAIL: " fmt "\n", ##__VA_ARGS__);	\
	} while (0)

static int token_target(uint32_t token)
{
	return token / (NWORKERS * sh->iters);
}

static long spoof_val(uint32_t token, int lv)
{
	return SPOOF_BASE + ((long)token << 3) + lv;
}

static long install_allow(unsigned long flags)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 1, .filter = insns };

	return nu_seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* ---- the worker's check of one call ---- */

/* "3:cont 2:spoof 1:held" */
static void asked_str(char *s, size_t len, const struct lv_rec *v)
{
	int k, n = 0;

	s[0] = '\0';
	for (k = MAXLV - 1; k >= 0 && n < (int)len; k--)
		if (v[k].asked)
			n += snprintf(s + n, len - n, " %d:%s%s", k,
				      !v[k].decided ? "unanswered" :
				      kind_name[v[k].kind],
				      v[k].asked > 1 ? "(twice)" : "");
	if (!n)
		snprintf(s, len, " none");
}

static const char *check_order(const struct target *tg,
			       const struct lv_rec *v, int top, int b,
			       int lo, int hi, char *why, size_t len)
{
	int k;

	for (k = 0; k < MAXLV; k++)
		if (v[k].asked > 1)
			return "a level asked twice";
	if (top < 0)
		return NULL;
	if (top < lo || top > hi) {
		snprintf(why, len, "first asked level %d, the chain's newest was %d..%d",
			 top, lo, hi);
		return why;
	}
	for (k = top; k >= b; k--) {
		if (!v[k].asked) {
			snprintf(why, len, "level %d skipped", k);
			return why;
		}
		if (!v[k].seq_recv) {
			snprintf(why, len, "level %d: no receive recorded", k);
			return why;
		}
		if (k == b)
			break;
		if (!v[k].decided || v[k].kind != K_CONT) {
			snprintf(why, len, "level %d asked after level %d %s",
				 k - 1, k, v[k].decided ? "spoofed" :
				 "never replied");
			return why;
		}
		if (v[k].seq_reply >= v[k - 1].seq_recv) {
			snprintf(why, len, "level %d asked before level %d continued",
				 k - 1, k);
			return why;
		}
	}
	if (top == LOAD(tg->tsync_lv) &&
	    v[top].seq_recv < LOAD(tg->seq_install)) {
		snprintf(why, len, "TSYNC level %d asked before its install",
			 top);
		return why;
	}
	return NULL;
}

static void check_call(uint32_t token, long raw, int lo, int hi)
{
	struct target *tg = &g_tg[token_target(token)];
	struct call_rec *rec = &g_rec[token];
	struct lv_rec v[MAXLV];
	const char *why = NULL;
	int k, top = -1, b = -1, hops = 0, c, tl;
	char buf[128], asked[128];

	for (k = 0; k < MAXLV; k++) {
		struct lv_rec *r = &rec->lv[k];

		v[k].asked = LOAD(r->asked);
		v[k].decided = LOAD(r->decided);
		v[k].accepted = LOAD(r->accepted);
		v[k].kind = LOAD(r->kind);
		v[k].val = LOAD(r->val);
		v[k].seq_recv = LOAD(r->seq_recv);
		v[k].seq_reply = LOAD(r->seq_reply);
	}
	for (k = MAXLV - 1; k >= 0; k--)
		if (v[k].asked) {
			if (top < 0)
				top = k;
			b = k;
			hops++;
		}
	INC(sh->checked);
	ADD(sh->hops, hops);
	INC(sh->hops_by[hops]);
	tl = LOAD(tg->tsync_lv);
	if (tl >= 0 && v[tl].asked)
		INC(sh->tsync_lv_asked);

	why = check_order(tg, v, top, b, lo, hi, buf, sizeof(buf));
	if (why) {
		INC(sh->bad_order);
		asked_str(asked, sizeof(asked), v);
		fail_msg("order: token %u (target %d): %s; asked%s",
			 token, token_target(token), why, asked);
	}

	why = NULL;
	if (raw == -ENOSYS) {
		c = OPEN;
		if (top < 0) {
			for (k = lo; k <= hi && k >= 0; k++)
				if (LOAD(tg->closed[k]))
					c = LOAD(tg->closed[k]);
		} else if (LOAD(tg->closed[b]) && !v[b].accepted) {
			c = LOAD(tg->closed[b]);
		} else if (v[b].decided && v[b].kind == K_CONT && b > 0) {
			c = LOAD(tg->closed[b - 1]);
		}
		if (c == CLOSED_BY_CLOSE)
			INC(sh->enosys_close);
		else if (c == CLOSED_BY_KILL)
			INC(sh->enosys_kill);
		else
			why = "ENOSYS, but no listener it met or was continued to is closed";
	} else if (top < 0) {
		why = "a result without any notification";
	} else if (!v[b].decided) {
		why = "a result, but the oldest level asked never replied";
	} else if (v[b].kind == K_SPOOF) {
		if (raw == v[b].val && raw == spoof_val(token, b))
			INC(sh->spoofed);
		else
			why = "not the spoofed value";
	} else if (b) {
		why = "continued, but older levels never asked";
	} else if (raw == sh->ctl) {
		INC(sh->real);
	} else {
		why = "continued to the end, but not the real parent";
	}
	if (why) {
		INC(sh->bad_out);
		asked_str(asked, sizeof(asked), v);
		fail_msg("outcome: token %u (target %d, levels %d..%d): returned %ld: %s; asked%s",
			 token, token_target(token), lo, hi, raw, why, asked);
	} else if (LOAD(rec->inflight)) {
		INC(sh->inflight_ok);
	}
}

/* ---- targets ---- */

static struct target *t_tg;
static int t_g, t_socks[MAXLV], t_workers_done;

static void *worker(void *arg)
{
	int w = (long)arg, i, lo, hi, err;
	struct worker_stat *ws = &t_tg->w[w];
	uint32_t token;
	long ret;

	STORE(ws->tid, gettid());
	for (i = 0; i < sh->iters; i++) {
		token = (t_g * NWORKERS + w) * sh->iters + i;
		lo = LOAD(t_tg->done_lv);
		STORE(ws->token, token);
		STORE(ws->start_ns, nu_now_ns());
		ret = syscall(__NR_getppid, NU_ARG(token));
		err = errno;
		STORE(ws->start_ns, 0);
		hi = LOAD(t_tg->started_lv);
		ret = nu_raw(ret, err);
		check_call(token, ret, lo - 1, hi - 1);
		INC(t_tg->done);
		if (ret == -ENOSYS)
			nu_sleep_us(2000);
	}
	INC(t_workers_done);
	return NULL;
}

static int send_listener(int l, int lv)
{
	int msg[2] = { t_g, lv };

	if (t_socks[lv] >= 0 && !nu_send_fd(t_socks[lv], l, msg, sizeof(msg)))
		return 0;
	/* Its supervisor was killed: the listener goes with our copy. */
	if (LOAD(t_tg->closed[lv]))
		return 0;
	fail_msg("target %d: send the listener of level %d: %s", t_g, lv,
		 strerror(errno));
	return -1;
}

/* The manager's TSYNC install, while a worker waits for a reply. */
static int do_tsync(int kind)
{
	unsigned long flags = sh->nested_flag | SECCOMP_FILTER_FLAG_TSYNC;
	long long t0 = nu_now_ns();
	int w, k, l, rc = 0;
	uint32_t token;
	long ret;

	STORE(t_tg->hold, 1);
	while (!LOAD(t_tg->holding) && nu_now_ns() - t0 < HOLD_WAIT_NS)
		nu_sleep_us(500);
	for (w = 0; w < NWORKERS; w++) {
		if (!LOAD(t_tg->w[w].start_ns))
			continue;
		token = LOAD(t_tg->w[w].token);
		for (k = 0; k < MAXLV; k++)
			if (LOAD(g_rec[token].lv[k].asked))
				STORE(g_rec[token].inflight, 1);
	}
	if (kind == EV_TSYNC_LISTENER) {
		k = t_tg->depth;
		STORE(t_tg->seq_install, INC(sh->seq) + 1);
		STORE(t_tg->tsync_lv, k);
		STORE(t_tg->started_lv, k + 1);
		l = nu_install_filter(flags | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
		if (l < 0) {
			fail_msg("target %d: TSYNC install of listener level %d: %s",
				 t_g, k, strerror(errno));
			rc = -1;
		} else {
			rc = send_listener(l, k);
			close(l);
			STORE(t_tg->done_lv, k + 1);
		}
	} else {
		ret = install_allow(flags);
		if (ret) {
			fail_msg("target %d: TSYNC install of an ALLOW filter: %ld (%s)",
				 t_g, ret, strerror(errno));
			rc = -1;
		}
	}
	STORE(t_tg->hold, 0);
	return rc;
}

static void __noreturn target_main(int g, const int *socks)
{
	pthread_t th[NWORKERS];
	int k, l, w, kind, rc = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	t_g = g;
	t_tg = &g_tg[g];
	for (k = 0; k < MAXLV; k++)
		t_socks[k] = socks[k];
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	for (k = 0; k < t_tg->depth; k++) {
		l = nu_install_filter(sh->nested_flag);
		if (l < 0) {
			fail_msg("target %d: install level %d: %s", g, k,
				 strerror(errno));
			_exit(3);
		}
		if (send_listener(l, k))
			_exit(4);
		close(l);
	}
	STORE(t_tg->started_lv, t_tg->depth);
	STORE(t_tg->done_lv, t_tg->depth);
	for (w = 0; w < NWORKERS; w++)
		if (pthread_create(&th[w], NULL, worker, (void *)(long)w))
			_exit(5);
	while (LOAD(t_workers_done) < NWORKERS) {
		kind = LOAD(t_tg->tsync_req);
		if (kind && !t_tg->tsync_done) {
			if (do_tsync(kind)) {
				INC(sh->bad_event);
				rc = 1;
			} else {
				INC(sh->n_tsync[kind == EV_TSYNC_LISTENER]);
			}
			STORE(t_tg->tsync_done, 1);
		}
		nu_sleep_us(1000);
	}
	for (w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	fflush(stdout);
	_exit(rc);
}

/* ---- supervisors ---- */

static struct sup *s_sup;
static int s_round, s_lv, s_quit;
static int s_fd[NTARGETS], s_hup[NTARGETS], s_claim[NTARGETS];
static pthread_rwlock_t s_lock;

/* Answer one notification; 1: keep it and close the listener. */
static int handle(int t, int l, const struct seccomp_notif *req,
		  struct nu_rand *r)
{
	struct seccomp_notif_resp resp = { .id = req->id };
	int g = s_round * NTARGETS + t, w, kind;
	struct target *tg = &g_tg[g];
	uint64_t arg = req->data.args[0];
	uint32_t token = arg;
	struct lv_rec *lr;
	uint64_t seq;
	long rc;

	INC(s_sup->received);
	if (req->data.nr != __NR_getppid || arg >> 32 != NU_MAGIC ||
	    token >= (uint32_t)sh->ncalls || token_target(token) != g) {
		INC(s_sup->unexpected);
		INC(sh->bad_notif);
		fail_msg("level %d: notification of target %d for nr %d arg %#llx",
			 s_lv, g, req->data.nr, (unsigned long long)arg);
		resp.error = -EPERM;
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
			INC(s_sup->accepted);
		else
			INC(s_sup->aborted);
		return 0;
	}
	w = (token / sh->iters) % NWORKERS;
	if (req->pid != LOAD(tg->w[w].tid)) {
		INC(sh->bad_notif);
		fail_msg("level %d: token %u's notification names pid %d, the caller is %d",
			 s_lv, token, req->pid, LOAD(tg->w[w].tid));
	}
	lr = &g_rec[token].lv[s_lv];
	INC(lr->asked);
	seq = INC(sh->seq) + 1;
#ifdef BREAK_ORDER
	if (!s_lv)
		seq = 0;
#endif
	STORE(lr->seq_recv, seq);
	if (LOAD(tg->close_lv) == s_lv && CAS(tg->closing, 0, 1)) {
		INC(s_sup->held);
		return 1;
	}
#ifdef BREAK_HANG
	/* After the last round's events, a level neither killed nor closed. */
	if (s_round == sh->nrounds - 1 && LOAD(g_round[s_round].sup_killed) &&
	    s_lv != g_round[s_round].kill_lv && s_lv != LOAD(tg->close_lv) &&
	    !LOAD(tg->killed) && CAS(sh->hang_dropped, 0, 1)) {
		INC(s_sup->held);
		return 0;
	}
#endif
	if (LOAD(tg->hold) || LOAD(s_sup->hold)) {
		INC(tg->holding);
		INC(s_sup->holding);
		nu_sleep_us(HOLD_US);
	}
	kind = nu_below(r, 100) < SPOOF_PCT ? K_SPOOF : K_CONT;
	STORE(lr->kind, kind);
	if (kind == K_SPOOF) {
		resp.val = spoof_val(token, s_lv);
		lr->val = resp.val;
#ifdef BREAK_SPOOF
		lr->val = resp.val + 1;
#endif
	} else {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	STORE(lr->seq_reply, INC(sh->seq) + 1);
	STORE(lr->decided, 1);
	rc = ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	if (rc == 0) {
		STORE(lr->accepted, 1);
		INC(s_sup->accepted);
		INC(s_sup->kinds[kind]);
	} else if (errno == ENOENT && LOAD(tg->killed)) {
		INC(s_sup->aborted);
	} else {
		INC(s_sup->unexpected);
		fail_msg("level %d: SEND for token %u of target %d: %s", s_lv,
			 token, g, strerror(errno));
	}
#ifdef BREAK_ACCOUNT
	if (kind == K_SPOOF)
		INC(s_sup->received);
#endif
	return 0;
}

/* Close target t's listener; no thread uses it meanwhile. */
static void close_listener(int t)
{
	pthread_rwlock_wrlock(&s_lock);
#ifndef BREAK_CLOSED
	STORE(g_tg[s_round * NTARGETS + t].closed[s_lv], CLOSED_BY_CLOSE);
#endif
	close(s_fd[t]);
	STORE(s_fd[t], -1);
	INC(sh->n_close);
	pthread_rwlock_unlock(&s_lock);
}

static void *sup_thread(void *arg)
{
	struct nu_rand r = {
		sh->seed ^ ((uint64_t)s_round << 32 | s_lv << 8 | (long)arg),
	};
	struct pollfd pfd[NTARGETS], one;
	struct seccomp_notif req;
	int idx[NTARGETS], t, n, i, rc, err, close_t;

	while (!LOAD(s_quit)) {
		close_t = -1;
		pthread_rwlock_rdlock(&s_lock);
		for (n = 0, t = 0; t < NTARGETS; t++) {
			if (LOAD(s_fd[t]) < 0 || LOAD(s_hup[t]))
				continue;
			pfd[n].fd = s_fd[t];
			pfd[n].events = POLLIN;
			idx[n++] = t;
		}
		if (n && poll(pfd, n, 10) > 0) {
			for (i = 0; i < n && close_t < 0; i++) {
				t = idx[i];
				if (!(pfd[i].revents & POLLIN)) {
					if (pfd[i].revents & (POLLHUP | POLLERR))
						STORE(s_hup[t], 1);
					continue;
				}
				/*
				 * Only the thread holding the claim receives,
				 * after seeing POLLIN again: RECV then can't
				 * block (as in notif-stress).
				 */
				if (!CAS(s_claim[t], 0, 1))
					continue;
				one.fd = pfd[i].fd;
				one.events = POLLIN;
				rc = -2;
				err = 0;
				if (poll(&one, 1, 0) == 1 &&
				    (one.revents & POLLIN)) {
					memset(&req, 0, sizeof(req));
					rc = ioctl(one.fd,
						   SECCOMP_IOCTL_NOTIF_RECV,
						   &req);
					err = errno;
				}
				STORE(s_claim[t], 0);
				if (rc == 0) {
					if (handle(t, one.fd, &req, &r))
						close_t = t;
				} else if (rc == -1 && err == ENOENT) {
					INC(s_sup->recv_enoent);
				} else if (rc == -1) {
					INC(s_sup->unexpected);
					fail_msg("level %d: RECV: %s", s_lv,
						 strerror(err));
				}
			}
		}
		pthread_rwlock_unlock(&s_lock);
		if (close_t >= 0)
			close_listener(close_t);
		else if (!n)
			nu_sleep_us(2000);
	}
	return NULL;
}

static void take(int fd, const int *msg, ssize_t len)
{
	int t = msg[0] - s_round * NTARGETS;

	if (fd < 0 || len != 2 * sizeof(int) || msg[1] != s_lv || t < 0 ||
	    t >= NTARGETS || LOAD(s_fd[t]) >= 0) {
		INC(s_sup->unexpected);
		fail_msg("level %d: unexpected message (fd %d, target %d, level %d)",
			 s_lv, fd, msg[0], msg[1]);
		if (fd >= 0)
			close(fd);
		return;
	}
	STORE(s_fd[t], fd);
}

static void __noreturn sup_main(int round, int lv, int sock)
{
	pthread_rwlockattr_t attr;
	pthread_t th[NSUPTHREADS];
	struct pollfd pfd;
	int t, fd, msg[2];
	ssize_t len;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	s_round = round;
	s_lv = lv;
	s_sup = &g_sup[round * MAXLV + lv];
	for (t = 0; t < NTARGETS; t++)
		s_fd[t] = -1;
	/* A close must not wait for the pollers forever. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s_lock, &attr);
	for (t = 0; t < NSUPTHREADS; t++)
		if (pthread_create(&th[t], NULL, sup_thread, (void *)(long)t))
			_exit(3);
	STORE(s_sup->ready, 1);
	while (!LOAD(s_sup->stop)) {
		pfd.fd = sock;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if (pfd.revents & POLLIN) {
			len = nu_recv_fd(sock, msg, sizeof(msg), &fd,
					 MSG_DONTWAIT);
			if (len > 0)
				take(fd, msg, len);
		} else {
			nu_sleep_us(10000);	/* every target is gone */
		}
	}
	STORE(s_quit, 1);
	for (t = 0; t < NSUPTHREADS; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < NTARGETS; t++)
		if (s_fd[t] >= 0)
			close(s_fd[t]);
	fflush(stdout);
	_exit(0);
}

/* ---- the deadlock ---- */

static void __noreturn dl_main(int i, int sock)
{
	struct deadlock *dl = &sh->dl;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int l, other, msg = i;
	long long t0;
	long ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	l = nu_install_filter(sh->nested_flag);
	if (l < 0)
		_exit(3);
	if (nu_send_fd(sock, l, &msg, sizeof(msg)))
		_exit(4);
	close(l);
	/* Keep the other's listener: nobody else has it. */
	if (poll(&pfd, 1, DL_BOUND_NS / MS) != 1 ||
	    nu_recv_fd(sock, &msg, sizeof(msg), &other, 0) <= 0 || other < 0)
		_exit(5);
	close(sock);
	STORE(dl->ready[i], 1);
	t0 = nu_now_ns();
	while (!LOAD(dl->go)) {
		if (nu_now_ns() - t0 > DL_BOUND_NS)
			_exit(6);
		nu_sleep_us(500);
	}
	STORE(dl->calling[i], 1);
	ret = syscall(__NR_getppid, NU_ARG(DL_TOKEN));
	STORE(dl->ret[i], nu_raw(ret, errno));
	STORE(dl->returned[i], 1);
	_exit(0);
}

/* The state letter of /proc/PID/stat, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* Reap pid within ns; 1 if it was reaped. */
static int wait_bounded(pid_t pid, int *status, long long ns)
{
	long long t0 = nu_now_ns();
	pid_t p;

	while ((p = waitpid(pid, status, WNOHANG)) == 0) {
		if (nu_now_ns() - t0 > ns)
			return 0;
		nu_sleep_us(1000);
	}
	return p == pid;
}

static long long dl_recovered_ns = -1;

static int deadlock_test(void)
{
	struct deadlock *dl = &sh->dl;
	long long t0, since = 0, now;
	int sv[2], i, stuck = 0, ok = 0, status[2] = { 0, 0 };
	char st[2] = { '?', '?' };
	pid_t pid[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		ksft_exit_fail_msg("socketpair: %s\n", strerror(errno));
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid[i] == 0) {
			close(sv[!i]);
			dl_main(i, sv[i]);
		}
	}
	close(sv[0]);
	close(sv[1]);

	t0 = nu_now_ns();
	while (!(LOAD(dl->ready[0]) && LOAD(dl->ready[1])) &&
	       nu_now_ns() - t0 < DL_BOUND_NS)
		nu_sleep_us(1000);
	if (!LOAD(dl->ready[0]) || !LOAD(dl->ready[1])) {
		ksft_print_msg("FAIL: deadlock: the two supervisors did not set up\n");
		goto out;
	}
	STORE(dl->go, 1);
	t0 = nu_now_ns();
	while ((now = nu_now_ns()) - t0 < DL_BOUND_NS) {
		if (LOAD(dl->returned[0]) || LOAD(dl->returned[1]))
			break;
		st[0] = proc_state(pid[0]);
		st[1] = proc_state(pid[1]);
		if (LOAD(dl->calling[0]) && LOAD(dl->calling[1]) &&
		    strchr("SD", st[0]) && strchr("SD", st[1])) {
			if (!since)
				since = now;
			if (now - since >= DL_STUCK_NS) {
				stuck = 1;
				break;
			}
		} else {
			since = 0;
		}
		nu_sleep_us(5000);
	}
	if (!stuck) {
		ksft_print_msg("FAIL: deadlock: not seen (returned %d/%d, states %c/%c)\n",
			       LOAD(dl->returned[0]), LOAD(dl->returned[1]),
			       st[0], st[1]);
		goto out;
	}
	ksft_print_msg("deadlock: both blocked (states %c/%c) for %lld ms, SIGKILL A\n",
		       st[0], st[1], DL_STUCK_NS / MS);
	t0 = nu_now_ns();
#ifndef BREAK_DEADLOCK
	kill(pid[0], SIGKILL);
#endif
	while (!LOAD(dl->returned[1]) && nu_now_ns() - t0 < DL_BOUND_NS)
		nu_sleep_us(1000);
	if (!LOAD(dl->returned[1])) {
		ksft_print_msg("FAIL: deadlock: B still blocked %lld s after A's SIGKILL\n",
			       DL_BOUND_NS / NS);
		goto out;
	}
	dl_recovered_ns = nu_now_ns() - t0;
	if (!wait_bounded(pid[1], &status[1], DL_BOUND_NS) ||
	    !wait_bounded(pid[0], &status[0], DL_BOUND_NS)) {
		ksft_print_msg("FAIL: deadlock: A or B did not end\n");
		goto out;
	}
	pid[0] = 0;
	pid[1] = 0;
	ok = LOAD(dl->ret[1]) == -ENOSYS && WIFEXITED(status[1]) &&
	     !WEXITSTATUS(status[1]) && WIFSIGNALED(status[0]) &&
	     WTERMSIG(status[0]) == SIGKILL && !LOAD(dl->returned[0]);
	ksft_print_msg("%sdeadlock: B's getppid() returned %ld %lld ms after A's SIGKILL, B status %#x, A status %#x\n",
		       ok ? "" : "FAIL: ", LOAD(dl->ret[1]),
		       dl_recovered_ns / MS, status[1], status[0]);
out:
	for (i = 0; i < 2; i++)
		if (pid[i] > 0) {
			kill(pid[i], SIGKILL);
			wait_bounded(pid[i], &status[i], DL_BOUND_NS);
		}
	return ok;
}

/* ---- controller ---- */

static int c_hung, c_late, c_stuck, c_badexit;
static long long c_t0, c_deadline;
static struct nu_rand c_rand;

static void plan_round(int r)
{
	int ev[NTARGETS] = { EV_CLOSE, EV_TKILL, EV_TSYNC_ALLOW,
			     EV_TSYNC_LISTENER };
	char line[200];
	int t, j, tmp, n = 0;

	if (!sh->nested_flag)
		ev[3] = EV_NONE;
	for (t = NTARGETS - 1; t > 0; t--) {
		j = nu_below(&c_rand, t + 1);
		tmp = ev[t];
		ev[t] = ev[j];
		ev[j] = tmp;
	}
	for (t = 0; t < NTARGETS; t++) {
		struct target *tg = &g_tg[r * NTARGETS + t];

		tg->depth = !sh->nested_flag ? 1 :
			    t < 3 ? 2 + (t + r) % 3 : 2 + nu_below(&c_rand, 3);
		tg->event = ev[t];
		tg->ev_at = NWORKERS * sh->iters * (20 + nu_below(&c_rand, 41)) / 100;
		tg->close_lv = -1;
		tg->tsync_lv = -1;
		n += snprintf(line + n, sizeof(line) - n, "%sdepth %d, %s",
			      t ? "; " : "", tg->depth, ev_name[tg->event]);
	}
	/* A level that at least two targets have. */
	g_round[r].kill_lv = sh->nested_flag ? nu_below(&c_rand, 3) : 0;
	ksft_print_msg("round %d: %s; then level %d's supervisor killed\n", r,
		       line, g_round[r].kill_lv);
}

/* Wait (bounded) until *flag is set, e.g. a supervisor holds a reply. */
static void wait_holding(int *flag)
{
	long long t0 = nu_now_ns();

	while (!LOAD(*flag) && nu_now_ns() - t0 < HOLD_WAIT_NS)
		nu_sleep_us(500);
}

static void fire(struct target *tg)
{
	switch (tg->event) {
	case EV_CLOSE:
		STORE(tg->close_lv, nu_below(&c_rand, tg->depth));
		break;
	case EV_TSYNC_ALLOW:
	case EV_TSYNC_LISTENER:
		STORE(tg->tsync_req, tg->event);
		break;
	case EV_TKILL:
		STORE(tg->hold, 1);
		wait_holding(&tg->holding);
		STORE(tg->killed, 1);
		kill(tg->pid, SIGKILL);
		sh->n_tkill++;
		break;
	}
}

/* Has the target's event happened (or can it no longer)? */
static int event_over(const struct target *tg, int reaped)
{
	switch (tg->event) {
	case EV_CLOSE:
		return reaped || LOAD(tg->closing);
	case EV_TSYNC_ALLOW:
	case EV_TSYNC_LISTENER:
		return reaped || LOAD(tg->tsync_done);
	case EV_TKILL:
		return tg->fired;
	}
	return 1;
}

static void kill_sup(int r)
{
	struct round *rd = &g_round[r];
	struct sup *sp = &g_sup[r * MAXLV + rd->kill_lv];
	int t, status;

	rd->sup_killed = 1;
	STORE(sp->hold, 1);
	wait_holding(&sp->holding);
	for (t = 0; t < NTARGETS; t++)
		STORE(g_tg[r * NTARGETS + t].closed[rd->kill_lv],
		      CLOSED_BY_KILL);
	STORE(sp->killed, 1);
	kill(sp->pid, SIGKILL);
	if (!wait_bounded(sp->pid, &status, HANG_NS)) {
		fail_msg("supervisor of level %d did not die", rd->kill_lv);
		c_stuck = 1;
	}
	sp->pid = -sp->pid;	/* reaped */
	sh->n_supkill++;
}

static void run_round(int r)
{
	int sv[MAXLV][2], socks[MAXLV], reaped[NTARGETS] = { 0 };
	int nsup = sh->nested_flag ? MAXLV : 1, k, m, t, u, status, all;
	long long t0, now, s;
	long done;
	pid_t pid;

	for (k = 0; k < MAXLV; k++) {
		sv[k][0] = -1;
		sv[k][1] = -1;
		if (k < nsup &&
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv[k]))
			ksft_exit_fail_msg("socketpair: %s\n", strerror(errno));
	}
	fflush(stdout);
	for (k = 0; k < nsup; k++) {
		pid = fork();
		if (pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid == 0) {
			/* Only its own end: a dead one's queue must go. */
			for (m = 0; m < nsup; m++) {
				close(sv[m][1]);
				if (m != k)
					close(sv[m][0]);
			}
			sup_main(r, k, sv[k][0]);
		}
		g_sup[r * MAXLV + k].pid = pid;
	}
	t0 = nu_now_ns();
	for (k = 0; k < nsup; k++)
		while (!LOAD(g_sup[r * MAXLV + k].ready)) {
			if (nu_now_ns() - t0 > HANG_NS) {
				fail_msg("supervisor of level %d did not start", k);
				c_stuck = 1;
				break;
			}
			nu_sleep_us(1000);
		}
	for (t = 0; t < NTARGETS; t++) {
		pid = fork();
		if (pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid == 0) {
			for (m = 0; m < MAXLV; m++) {
				if (sv[m][0] >= 0)
					close(sv[m][0]);
				socks[m] = sv[m][1];
			}
			target_main(r * NTARGETS + t, socks);
		}
		g_tg[r * NTARGETS + t].pid = pid;
	}
	for (k = 0; k < nsup; k++) {
		close(sv[k][0]);
		close(sv[k][1]);
	}

	for (;;) {
		nu_sleep_us(1000);
		done = 0;
		all = 1;
		for (t = 0; t < NTARGETS; t++) {
			struct target *tg = &g_tg[r * NTARGETS + t];

			done += LOAD(tg->done);
			if (!reaped[t] && !tg->fired && tg->event != EV_NONE &&
			    LOAD(tg->done) >= tg->ev_at) {
				tg->fired = 1;
				fire(tg);
			}
			all &= event_over(tg, reaped[t]);
		}
		if (!g_round[r].sup_killed && all &&
		    done >= (long)NTARGETS * NWORKERS * sh->iters * 7 / 10)
			kill_sup(r);
		for (all = 1, t = 0; t < NTARGETS; t++) {
			struct target *tg = &g_tg[r * NTARGETS + t];

			if (reaped[t])
				continue;
			if (waitpid(tg->pid, &status, WNOHANG) != tg->pid) {
				all = 0;
				continue;
			}
			reaped[t] = 1;
			/* A killed target may have ended just before. */
			if ((!tg->killed || !WIFSIGNALED(status) ||
			     WTERMSIG(status) != SIGKILL) &&
			    (!WIFEXITED(status) || WEXITSTATUS(status))) {
				c_badexit++;
				fail_msg("target %d ended with status %#x",
					 r * NTARGETS + t, status);
			}
		}
		if (all)
			break;
		now = nu_now_ns();
		for (t = 0; t < NTARGETS; t++)
			for (u = 0; u < NWORKERS && !reaped[t]; u++) {
				struct worker_stat *ws =
					&g_tg[r * NTARGETS + t].w[u];

				s = LOAD(ws->start_ns);
				if (s && now - s > HANG_NS) {
					fail_msg("target %d thread %d: token %u in flight for %lld ms",
						 r * NTARGETS + t, u,
						 LOAD(ws->token),
						 (now - s) / MS);
					c_hung = 1;
				}
			}
		if (now > c_deadline) {
			fail_msg("round %d not done after %lld s", r,
				 (now - c_t0) / NS);
			c_late = 1;
		}
		if (c_hung || c_late || c_stuck)
			break;
	}

	/* Stop the supervisors (and, after a hang, everything). */
	for (t = 0; t < NTARGETS; t++)
		if (!reaped[t]) {
			STORE(g_tg[r * NTARGETS + t].killed, 1);
			kill(g_tg[r * NTARGETS + t].pid, SIGKILL);
			if (!wait_bounded(g_tg[r * NTARGETS + t].pid, &status,
					  HANG_NS))
				c_stuck = 1;
		}
	for (k = 0; k < nsup; k++) {
		struct sup *sp = &g_sup[r * MAXLV + k];

		if (sp->pid <= 0)
			continue;
		STORE(sp->stop, 1);
		if (!wait_bounded(sp->pid, &status, HANG_NS)) {
			fail_msg("supervisor of level %d did not stop", k);
			c_stuck = 1;
			STORE(sp->killed, 1);
			kill(sp->pid, SIGKILL);
			wait_bounded(sp->pid, &status, HANG_NS);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fail_msg("supervisor of level %d ended with status %#x",
				 k, status);
			c_stuck = 1;
		}
	}
}

/* Is the kernel's flag there?  A child installs a flagged filter. */
static int probe_flag(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(3);
		if (!install_allow(SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS))
			_exit(0);
		_exit(errno == EINVAL ? 1 : 2);
	}
	if (!wait_bounded(pid, &status, HANG_NS) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 1)
		ksft_exit_fail_msg("probe of SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS failed (status %#x)\n",
				   status);
	return !WEXITSTATUS(status);
}

int main(void)
{
	static const char mark[] = "nested-stress: start\n";
	long recv = 0, acc = 0, abrt = 0, held = 0, renoent = 0, unexp = 0;
	long kinds[NKINDS] = { 0 }, diff;
	int scale, r, k, acct_ok = 1, dl_ok, cov_ok, maxhops = 0;
	char why[256], hist[128];
	const char *e;
	size_t size;
	int n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	scale = nu_env_int("VMTEST_SCALE", 1, 1, 1000);
	switch (nu_probe_continue(why, sizeof(why))) {
	case 0:
		ksft_exit_skip("%s\n", why);
	case -1:
		ksft_exit_fail_msg("%s\n", why);
	}
	ksft_set_plan(7);

	n = ROUNDS * scale;
	size = sizeof(*sh) + n * (sizeof(*g_round) +
				  NTARGETS * sizeof(*g_tg) +
				  MAXLV * sizeof(*g_sup) +
				  (size_t)NTARGETS * NWORKERS * ITERS *
				  sizeof(*g_rec));
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap %zu: %s\n", size, strerror(errno));
	g_round = (struct round *)(sh + 1);
	g_tg = (struct target *)(g_round + n);
	g_sup = (struct sup *)(g_tg + n * NTARGETS);
	g_rec = (struct call_rec *)(g_sup + n * MAXLV);
	sh->nrounds = n;
	sh->iters = ITERS;
	sh->ncalls = n * NTARGETS * NWORKERS * ITERS;
	sh->ctl = getpid();
	sh->seed = (uint64_t)time(NULL) * 1000003 ^ getpid();
	e = getenv("VMTEST_SEED");
	if (e && *e)
		sh->seed = strtoull(e, NULL, 0);
	c_rand.s = sh->seed;
	if (probe_flag()) {
		sh->nested_flag = SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS;
		ksft_print_msg("flags: 2..4 listeners per chain, each with SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS, and one more by TSYNC\n");
	} else {
		ksft_print_msg("the kernel refuses SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS (EINVAL): no flags, one listener per chain\n");
	}
	ksft_print_msg("seed %" PRIu64 " (replay: VMTEST_SEED=%" PRIu64 "), scale %d: %d rounds of %d targets x %d threads x %d calls, %d supervisor(s) x %d threads\n",
		       sh->seed, sh->seed, scale, n, NTARGETS, NWORKERS,
		       ITERS, sh->nested_flag ? MAXLV : 1, NSUPTHREADS);

	nu_kmsg_mark(mark);
	c_t0 = nu_now_ns();
	c_deadline = c_t0 + DEADLINE_NS * scale;
	for (r = 0; r < n && !c_hung && !c_late && !c_stuck; r++) {
		plan_round(r);
		run_round(r);
	}
	dl_ok = deadlock_test();

	/* Totals */
	for (r = 0; r < n; r++)
		for (k = 0; k < MAXLV; k++) {
			struct sup *sp = &g_sup[r * MAXLV + k];

			if (!sp->pid)
				continue;
			recv += sp->received;
			acc += sp->accepted;
			abrt += sp->aborted;
			held += sp->held;
			renoent += sp->recv_enoent;
			unexp += sp->unexpected;
			kinds[K_CONT] += sp->kinds[K_CONT];
			kinds[K_SPOOF] += sp->kinds[K_SPOOF];
			diff = sp->received - sp->accepted - sp->aborted -
			       sp->held;
			if (sp->unexpected || diff < 0 ||
			    diff > (sp->killed ? NSUPTHREADS : 0)) {
				ksft_print_msg("FAIL: round %d level %d supervisor (%s): received %ld, accepted %ld, ENOENT %ld, held %ld, unexpected %ld\n",
					       r, k, sp->killed ? "killed" : "stopped",
					       sp->received, sp->accepted,
					       sp->aborted, sp->held,
					       sp->unexpected);
				acct_ok = 0;
			}
		}
	for (n = 0, k = 0; k <= MAXLV; k++) {
		n += snprintf(hist + n, sizeof(hist) - n, "%s%d: %ld",
			      k ? ", " : "", k, sh->hops_by[k]);
		if (sh->hops_by[k])
			maxhops = k;
	}
	ksft_print_msg("notifications: %ld received, %ld replies accepted (continue %ld, spoof %ld), %ld ENOENT, %ld held for a close, RECV ENOENT %ld, unexpected %ld\n",
		       recv, acc, kinds[K_CONT], kinds[K_SPOOF], abrt, held,
		       renoent, unexp);
	ksft_print_msg("calls by levels asked: %s\n", hist);
	ksft_print_msg("events: %ld closes, %ld supervisor kills, %ld target kills, %ld TSYNC allow, %ld TSYNC listener (%ld calls in flight across one, %ld asked at a TSYNC level), %ld failed\n",
		       sh->n_close, sh->n_supkill, sh->n_tkill, sh->n_tsync[0],
		       sh->n_tsync[1], sh->inflight_ok, sh->tsync_lv_asked,
		       sh->bad_event);
	ksft_print_msg("nested-stress: %ld calls (%ld real, %ld spoofed, %ld ENOSYS after a close, %ld after a kill), %ld wrong outcomes, %ld out of order, %ld hops, deadlock recovered in %lld ms, %.1f s (seed %" PRIu64 ", %s)\n",
		       sh->checked, sh->real, sh->spoofed, sh->enosys_close,
		       sh->enosys_kill, sh->bad_out, sh->bad_order + sh->bad_notif,
		       sh->hops, dl_recovered_ns < 0 ? -1 : dl_recovered_ns / MS,
		       (nu_now_ns() - c_t0) / 1e9, sh->seed,
		       sh->nested_flag ? "flags" : "no flags");

	ksft_test_result(!sh->bad_out && sh->checked,
			 "outcomes: every call returned what the replies it got allow\n");
	ksft_test_result(!sh->bad_order && !sh->bad_notif && sh->checked,
			 "order: newest level first, an older one only after a continue, none after a spoof\n");
	ksft_test_result(!c_hung && !c_late && !c_stuck && !c_badexit,
			 "bounded: no call in flight over %lld s, every process ended in time\n",
			 HANG_NS / NS);
	ksft_test_result(acct_ok && !unexp,
			 "accounting: received = accepted + ENOENT + held per supervisor\n");
	ksft_test_result(dl_ok,
			 "deadlock: two supervisors waiting on each other, SIGKILL of one gives the other ENOSYS\n");
	cov_ok = !sh->bad_event && kinds[K_CONT] && kinds[K_SPOOF] &&
		 sh->real && sh->spoofed && sh->enosys_close &&
		 sh->enosys_kill && abrt && sh->n_close &&
		 sh->n_supkill == sh->nrounds && sh->n_tkill == sh->nrounds &&
		 sh->n_tsync[0] && sh->inflight_ok &&
		 maxhops >= (sh->nested_flag ? 4 : 1);
	if (sh->nested_flag)
		cov_ok &= sh->n_tsync[1] && sh->tsync_lv_asked;
	ksft_test_result(cov_ok,
			 "events and coverage: every event, reply kind and result seen\n");
	nu_result_splats(mark);

	ksft_print_cnts();
	ksft_print_msg("%u passed, %u failed\n", ksft_get_pass_cnt(),
		       ksft_get_fail_cnt());
	exit(ksft_get_fail_cnt() ? KSFT_FAIL : KSFT_PASS);
}
