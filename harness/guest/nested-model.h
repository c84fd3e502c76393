/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nested-model.h: a userspace model of the seccomp decision for one
 * syscall through a chain of filters, with and without
 * SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS (the RFC's contract,
 * shared/design/nested-listeners.md, semantics 1-5).  nested-fuzz.c
 * installs the same chain in a child, makes the syscall and compares.
 *
 * The chain is f[0] (oldest) .. f[n - 1] (newest).  Every filter looks at
 * one syscall only, a write() whose count is NM_COUNT_A or NM_COUNT_B, so
 * a filter has one action per count; everything else it allows.  What a
 * filter returns besides its action is a function of its index (the
 * nm_*_data() helpers below), so that the outcome tells which filter won.
 *
 * With no filter flagged, the model is the stock kernel's decision
 * (__seccomp_filter() since v5.5):
 *  - all filters run, the strictest action wins, of equal ones the newest
 *    filter's (seccomp_run_filters());
 *  - USER_NOTIF: that filter's listener is asked, ENOSYS if it has none
 *    (never installed or closed); its reply is the result, or CONTINUE
 *    runs the syscall;
 *  - TRACE: ENOSYS without a PTRACE_O_TRACESECCOMP tracer; else the
 *    tracer's stop, then (unless the tracer skipped the syscall) a full
 *    recheck of every filter on the registers as the tracer left them,
 *    in which TRACE runs the syscall (no second stop);
 *  - ERRNO fails it, TRAP sends SIGSYS, KILL_PROCESS kills, LOG and
 *    ALLOW run it.
 * With flags, the nested kernel: after a CONTINUE, if any filter of the
 * chain is flagged, the flagged filters decide again on the same data
 * (answered USER_NOTIFs, of the filter that continued and newer, count
 * as ALLOW; unflagged filters are not run) and the result goes through
 * the same switch; the post-TRACE recheck is stock's.  The install rule:
 * a filter with a listener joins a chain with a live listener only if
 * every live listener's filter is flagged, else EBUSY.
 */
#ifndef NESTED_MODEL_H
#define NESTED_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NM_MAXF		8	/* filters in a chain */
#define NM_MAXASK	2	/* asks of one listener: decision + recheck */
#define NM_MAXEV	(2 * NM_MAXF + 2)

/* The syscall's two forms, by its count; the tracer may turn A into B. */
enum nm_args { NM_ARGS_A, NM_ARGS_B, NM_NARGS };
#define NM_COUNT_A	7
#define NM_COUNT_B	9

/* Strictest first: the order of SECCOMP_RET_ACTION_FULL as signed. */
enum nm_act {
	NM_KILL,	/* SECCOMP_RET_KILL_PROCESS */
	NM_TRAP,	/* SECCOMP_RET_TRAP | nm_trap_data(i) */
	NM_ERRNO,	/* SECCOMP_RET_ERRNO | nm_errno_data(i) */
	NM_NOTIF,	/* SECCOMP_RET_USER_NOTIF */
	NM_TRACE,	/* SECCOMP_RET_TRACE | nm_trace_data(i) */
	NM_LOG,		/* SECCOMP_RET_LOG */
	NM_ALLOW,	/* SECCOMP_RET_ALLOW */
	NM_NACTS
};

/* A filter's listener as the chain asks for it. */
enum nm_listener {
	NM_L_NONE,	/* installed without NEW_LISTENER */
	NM_L_LIVE,	/* a supervisor holds it */
	NM_L_CLOSED,	/* closed right after the install */
};

/* A supervisor's reply to its k-th notification of the syscall. */
enum nm_reply {
	NM_R_CONTINUE,	/* SECCOMP_USER_NOTIF_FLAG_CONTINUE */
	NM_R_VAL,	/* .val = nm_reply_val(i, k) */
	NM_R_ERROR,	/* .error = -nm_reply_errno(i, k) */
	NM_R_CLOSE,	/* close the listener instead of replying */
};

/* What the tracer does at its PTRACE_EVENT_SECCOMP stop. */
enum nm_tracer_act {
	NM_T_CONT,	/* nothing: the recheck sees the same syscall */
	NM_T_SKIP,	/* nr = -1, return value NM_SKIP_VAL */
	NM_T_DIVERT,	/* count NM_COUNT_A -> NM_COUNT_B */
};

#define NM_SKIP_VAL	4242

static inline int nm_errno_data(int i) { return 60 + i; }
static inline int nm_trap_data(int i) { return 100 + i; }
static inline int nm_trace_data(int i) { return 200 + i; }
static inline long nm_reply_val(int i, int k) { return 1000 + 10 * k + i; }
static inline int nm_reply_errno(int i, int k) { return 80 + 10 * k + i; }

struct nm_filter {
	enum nm_act act[NM_NARGS];
	bool nested;		/* SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS */
	enum nm_listener listener;
	enum nm_reply reply[NM_MAXASK];
};

struct nm_chain {
	int n;
	struct nm_filter f[NM_MAXF];
	bool tracer;		/* PTRACE_O_TRACESECCOMP tracer attached */
	enum nm_tracer_act tracer_act;
};

enum nm_ev_kind { NM_EV_NOTIFY, NM_EV_STOP };

/* A notification of f[filter]'s listener, or the tracer stop f[filter] caused. */
struct nm_event {
	enum nm_ev_kind kind;
	int filter;
	enum nm_args args;	/* the syscall as it was then */
};

enum nm_out { NM_OUT_RET, NM_OUT_TRAP, NM_OUT_KILLED };

/* Why the model ended as it did (for messages and coverage only). */
enum nm_why {
	NM_WHY_RAN,		/* LOG, ALLOW, or everyone continued */
	NM_WHY_DENIED,		/* ERRNO, TRAP or KILL won */
	NM_WHY_REPLY,		/* a listener's value or error */
	NM_WHY_NO_LISTENER,	/* USER_NOTIF won, no live listener: ENOSYS */
	NM_WHY_CLOSED,		/* the listener closed while asked: ENOSYS */
	NM_WHY_NO_TRACER,	/* TRACE won, no tracer: ENOSYS */
	NM_WHY_SKIPPED,		/* the tracer skipped the syscall */
	NM_NWHY
};

struct nm_result {
	int install_err[NM_MAXF];	/* the NEW_LISTENER install: 0, EBUSY */
	bool live[NM_MAXF];		/* has a live listener (changes) */
	int asked[NM_MAXF];
	int nev;
	struct nm_event ev[NM_MAXEV];
	enum nm_out out;
	long ret;			/* NM_OUT_RET: the return value */
	int ran;			/* bytes the syscall wrote, 0: skipped */
	int trap_data;			/* NM_OUT_TRAP: si_errno */
	enum nm_why why;		/* model only */
	int why_filter;			/* model only: which filter, or -1 */
	int overflow;			/* the model itself ran off its bounds */
};

/* Install rule (semantics 5). */
static inline void nm_install(const struct nm_chain *c, struct nm_result *r)
{
	int i, j;

	for (i = 0; i < c->n; i++) {
		r->install_err[i] = 0;
		r->live[i] = false;
		if (c->f[i].listener == NM_L_NONE)
			continue;
		for (j = 0; j < i; j++)
			if (r->live[j] && !c->f[j].nested)
				r->install_err[i] = EBUSY;
		/* After EBUSY the filter goes in without a listener. */
		r->live[i] = !r->install_err[i] &&
			     c->f[i].listener == NM_L_LIVE;
	}
}

static inline bool nm_any_nested(const struct nm_chain *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->f[i].nested)
			return true;
	return false;
}

/*
 * The winning filter of a run over the chain, -1 for ALLOW: the strictest
 * action, of equal ones the newest filter's.  rerun: only the flagged
 * filters, and the USER_NOTIF of f[answered] and newer counts as ALLOW.
 */
static inline int nm_run(const struct nm_chain *c, enum nm_args a,
			 bool rerun, int answered)
{
	enum nm_act best = NM_ALLOW, act;
	int i, win = -1;

	for (i = c->n - 1; i >= 0; i--) {
		act = c->f[i].act[a];
		if (rerun && !c->f[i].nested)
			continue;
		if (rerun && i >= answered && act == NM_NOTIF)
			act = NM_ALLOW;
		if (act < best) {
			best = act;
			win = i;
		}
	}
	return win;
}

static inline void nm_event(struct nm_result *r, enum nm_ev_kind kind,
			    int filter, enum nm_args a)
{
	if (r->nev >= NM_MAXEV) {
		r->overflow = 1;
		return;
	}
	r->ev[r->nev].kind = kind;
	r->ev[r->nev].filter = filter;
	r->ev[r->nev].args = a;
	r->nev++;
}

static inline void nm_ret(struct nm_result *r, long ret, enum nm_why why,
			  int filter)
{
	r->out = NM_OUT_RET;
	r->ret = ret;
	r->why = why;
	r->why_filter = filter;
}

static inline void nm_runs(struct nm_result *r, enum nm_args a, int filter)
{
	int count = a == NM_ARGS_A ? NM_COUNT_A : NM_COUNT_B;

	nm_ret(r, count, NM_WHY_RAN, filter);
	r->ran = count;
}

/*
 * One decision for the syscall in form a; recheck: the one after a tracer
 * stop.  Fills r->ev and the outcome.
 */
static inline void nm_decide(const struct nm_chain *c, struct nm_result *r,
			     enum nm_args a, bool recheck)
{
	int w = nm_run(c, a, false, 0);
	int hops = 0, k;

	for (;;) {
		enum nm_act act = w < 0 ? NM_ALLOW : c->f[w].act[a];

		switch (act) {
		case NM_KILL:
			r->out = NM_OUT_KILLED;
			r->why = NM_WHY_DENIED;
			r->why_filter = w;
			return;
		case NM_TRAP:
			r->out = NM_OUT_TRAP;
			r->trap_data = nm_trap_data(w);
			r->why = NM_WHY_DENIED;
			r->why_filter = w;
			return;
		case NM_ERRNO:
			nm_ret(r, -nm_errno_data(w), NM_WHY_DENIED, w);
			return;
		case NM_TRACE:
			/* The recheck after the stop: TRACE runs it. */
			if (recheck) {
				nm_runs(r, a, w);
				return;
			}
			if (!c->tracer) {
				nm_ret(r, -ENOSYS, NM_WHY_NO_TRACER, w);
				return;
			}
			nm_event(r, NM_EV_STOP, w, a);
			if (c->tracer_act == NM_T_SKIP) {
				nm_ret(r, NM_SKIP_VAL, NM_WHY_SKIPPED, w);
				return;
			}
			if (c->tracer_act == NM_T_DIVERT)
				a = NM_ARGS_B;
			nm_decide(c, r, a, true);
			return;
		case NM_NOTIF:
			if (!r->live[w]) {
				nm_ret(r, -ENOSYS, NM_WHY_NO_LISTENER, w);
				return;
			}
			nm_event(r, NM_EV_NOTIFY, w, a);
			k = r->asked[w]++;
			if (k >= NM_MAXASK || ++hops > NM_MAXF) {
				r->overflow = 1;
				nm_ret(r, -ENOSYS, NM_WHY_NO_LISTENER, w);
				return;
			}
			switch (c->f[w].reply[k]) {
			case NM_R_VAL:
				nm_ret(r, nm_reply_val(w, k), NM_WHY_REPLY, w);
				return;
			case NM_R_ERROR:
				nm_ret(r, -nm_reply_errno(w, k), NM_WHY_REPLY, w);
				return;
			case NM_R_CLOSE:
				r->live[w] = false;
				nm_ret(r, -ENOSYS, NM_WHY_CLOSED, w);
				return;
			case NM_R_CONTINUE:
				break;
			}
			/* Semantics 1: no flag anywhere, it runs at once. */
			if (!nm_any_nested(c)) {
				nm_runs(r, a, w);
				return;
			}
			/* Semantics 3: the flagged filters decide again. */
			w = nm_run(c, a, true, w);
			continue;
		case NM_LOG:
		case NM_ALLOW:
		default:
			nm_runs(r, a, w);
			return;
		}
	}
}

/* The whole syscall: install, then the decision for NM_ARGS_A. */
static inline void nm_model(const struct nm_chain *c, struct nm_result *r)
{
	memset(r, 0, sizeof(*r));
	nm_install(c, r);
	nm_decide(c, r, NM_ARGS_A, false);
}

static const char * const nm_act_name[NM_NACTS] = {
	"KILL", "TRAP", "ERRNO", "NOTIF", "TRACE", "LOG", "ALLOW",
};

static const char * const nm_why_name[NM_NWHY] = {
	"ran", "denied", "reply", "no listener", "listener closed",
	"no tracer", "tracer skipped",
};

/*
 * A filter, for messages: "f2 NOTIF/ERRNO nested live(C,V)" is a filter
 * that returns USER_NOTIF for count A and ERRNO for count B, has the flag,
 * and a live listener that continues its first notification and answers
 * its second with a value (C continue, V value, E error, X close).
 */
static inline int nm_filter_str(char *buf, size_t len,
				const struct nm_chain *c, int i)
{
	static const char rname[] = "CVEX";
	const struct nm_filter *f = &c->f[i];

	if (f->listener != NM_L_LIVE)
		return snprintf(buf, len, "f%d %s/%s%s %s", i,
				nm_act_name[f->act[NM_ARGS_A]],
				nm_act_name[f->act[NM_ARGS_B]],
				f->nested ? " nested" : "",
				f->listener == NM_L_NONE ? "no-listener" :
							   "closed");
	return snprintf(buf, len, "f%d %s/%s%s live(%c,%c)", i,
			nm_act_name[f->act[NM_ARGS_A]],
			nm_act_name[f->act[NM_ARGS_B]],
			f->nested ? " nested" : "",
			rname[f->reply[0]], rname[f->reply[1]]);
}

/* "notify f3 A, stop f1 A, notify f3 B; ret 9 ran 9": a result. */
static inline int nm_result_str(char *buf, size_t len,
				const struct nm_result *r)
{
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nev && n < (int)len; i++)
		n += snprintf(buf + n, len - n, "%s%s f%d %c", i ? ", " : "",
			      r->ev[i].kind == NM_EV_NOTIFY ? "notify" : "stop",
			      r->ev[i].filter, "AB"[r->ev[i].args]);
	if (n >= (int)len)
		return n;
	if (!r->nev)
		n += snprintf(buf + n, len - n, "nobody asked");
	if (n >= (int)len)
		return n;
	switch (r->out) {
	case NM_OUT_RET:
		n += snprintf(buf + n, len - n, "; ret %ld ran %d", r->ret,
			      r->ran);
		break;
	case NM_OUT_TRAP:
		n += snprintf(buf + n, len - n, "; SIGSYS trap %d",
			      r->trap_data);
		break;
	case NM_OUT_KILLED:
		n += snprintf(buf + n, len - n, "; killed by SIGSYS");
		break;
	}
	return n;
}

/* The model's reason, appended to nm_result_str()'s. */
static inline int nm_why_str(char *buf, size_t len, const struct nm_result *r)
{
	if (r->why_filter < 0)
		return snprintf(buf, len, " (%s)", nm_why_name[r->why]);
	return snprintf(buf, len, " (%s, f%d)", nm_why_name[r->why],
			r->why_filter);
}

#endif /* NESTED_MODEL_H */
