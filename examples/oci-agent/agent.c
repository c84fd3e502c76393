// SPDX-License-Identifier: GPL-2.0
/*
 * An OCI seccomp agent: the process a container runtime hands a
 * container's seccomp listener to when config.json's linux.seccomp has
 * "listenerPath" (crun, runc, youki).
 *
 *   oci-agent [-t SECONDS] SOCKET
 *
 * Listens on the UNIX socket SOCKET.  A runtime connects once per
 * container and sends, in one message, the container's state as JSON (the
 * OCI "container process state": ociVersion, fds, pid, metadata, state
 * with id, status, pid, bundle) and the listener, an SCM_RIGHTS fd named
 * "seccompFd" in "fds".  The agent logs the container's id and pid and
 * from then on answers the container's notified calls, many containers at
 * once, until each one's last task is gone:
 *
 *   mknod/mknodat of a FIFO      continue: the kernel runs the call as the
 *   under /tmp                   container asked, with its credentials and
 *                                its own checks (SECCOMP_USER_NOTIF_CONTINUE)
 *   mknod/mknodat of /dev/null,  emulate: created here, as a runtime makes
 *   zero, full, random, urandom, devices, in the container's root through
 *   tty (char 1:3 ...)           /proc/PID/root (or its cwd, its dirfd),
 *                                with its umask, owned by its fsuid/fsgid,
 *                                and answered with success
 *   anything else notified       refuse: EPERM
 *
 * The "under /tmp" rule is tidiness, not security: the container may
 * change the path in its memory after the agent read it, and the kernel
 * then creates the FIFO where the path says now, with the container's own
 * permissions, which it had anyway.  The type, read from a register, the
 * container cannot change.  A continued call must never depend on what the
 * agent read from the container's memory for more than that.
 *
 * On a kernel without SECCOMP_USER_NOTIF_CONTINUE the continue reply fails
 * with EINVAL; the agent then answers the still pending call with EPERM,
 * so that the container does not hang, and logs "cannot continue".
 *
 * A message that is not that (no fd, not a seccomp listener, JSON that
 * does not parse or lacks pid, state.id or "seccompFd", too long, nothing
 * within -t SECONDS, default 5) is logged on one line and dropped, with
 * every fd it carried; the agent goes on.  Each decision is logged on
 * stderr as "oci-agent: ID: PID CALL("PATH", TYPE) -> continue|emulate|
 * refuse ERRNO".  SIGINT and SIGTERM end it and remove SOCKET.
 *
 * Build: gcc -static -O2 -Wall agent.c -o oci-agent (no library; the uapi
 * header of a kernel with SECCOMP_USER_NOTIF_CONTINUE, or mainline's
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE, which has the same value).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#ifndef SECCOMP_USER_NOTIF_CONTINUE
#ifdef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_CONTINUE SECCOMP_USER_NOTIF_FLAG_CONTINUE
#else
#define SECCOMP_USER_NOTIF_CONTINUE 0x00000001UL
#endif
#endif

#if defined(__x86_64__)
#define AGENT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AGENT_ARCH AUDIT_ARCH_AARCH64
#else
#error "oci-agent: add this architecture's AUDIT_ARCH_*"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_CONNS	16	/* runtimes' connections not yet complete */
#define MAX_CONTAINERS	64
#define MAX_MSG		65536	/* the state JSON */
#define MAX_FDS		8	/* fds one connection may carry */
#define MAX_DEPTH	16	/* JSON nesting */
#define ID_LEN		128

static const struct {
	unsigned int major, minor;
} allowed_chr[] = {
	{ 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 },
};

/* A runtime's connection, until its message is complete. */
struct conn {
	int sock;		/* -1: a free slot */
	unsigned int serial;	/* the log's "connection N" */
	char *buf;
	size_t len;
	int fds[MAX_FDS];
	int nfds;
	const char *bad;	/* why the message is malformed already */
	time_t deadline;
};

/* A container whose listener the agent serves. */
struct container {
	int fd;			/* the listener, -1: a free slot */
	pid_t pid;
	char id[ID_LEN];
	unsigned long calls;
};

/* What the agent reads of the state JSON. */
struct state {
	long long pid;		/* "pid", or state.pid; LLONG_MIN: none */
	long long state_pid;
	char id[ID_LEN];	/* state.id; "": none */
	int seccomp_index;	/* the index of "seccompFd" in "fds"; -1: none */
};

static struct conn conns[MAX_CONNS];
static struct container containers[MAX_CONTAINERS];

static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "oci-agent: %s\n", line);
}

/* S's printable ASCII, the rest as '?', into OUT (SIZE > 0). */
static void printable(char *out, size_t size, const char *s)
{
	size_t n;

	for (n = 0; s[n] && n + 1 < size; n++)
		out[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
	out[n] = '\0';
}

/* ------------------------------------------------------------------------
 * The state JSON: a strict parser that keeps only what struct state has.
 */

struct json {
	const char *s, *start, *end;
	const char *err;	/* the first error, or NULL */
	size_t err_at;		/* its byte offset */
	int index;		/* of the array element being parsed */
	struct state *st;
};

static int json_fail(struct json *j, const char *what)
{
	if (!j->err) {
		j->err = what;
		j->err_at = j->s - j->start;
	}
	return -1;
}

static void json_ws(struct json *j)
{
	while (j->s < j->end && strchr(" \t\r\n", *j->s) && *j->s)
		j->s++;
}

static int json_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string into OUT (SIZE > 0): ASCII as it is, anything else as '?'. */
static int json_string(struct json *j, char *out, size_t size)
{
	size_t n = 0;
	int i, h, u;
	char c;

	if (j->s >= j->end || *j->s != '"')
		return json_fail(j, "a string expected");
	j->s++;
	while (j->s < j->end && *j->s != '"') {
		c = *j->s++;
		if ((unsigned char)c < 0x20)
			return json_fail(j, "a control character in a string");
		if (c == '\\') {
			if (j->s >= j->end)
				break;
			c = *j->s++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b': case 'f': case 'n': case 'r': case 't':
				c = '?';
				break;
			case 'u':
				for (u = 0, i = 0; i < 4; i++) {
					h = j->s < j->end ? json_hex(*j->s) : -1;
					if (h < 0)
						return json_fail(j, "a bad \\u escape");
					u = u * 16 + h;
					j->s++;
				}
				c = u >= 0x20 && u < 0x7f ? u : '?';
				break;
			default:
				return json_fail(j, "a bad escape in a string");
			}
		}
		if (n + 1 < size)
			out[n++] = (unsigned char)c < 0x7f ? c : '?';
	}
	if (j->s >= j->end)
		return json_fail(j, "an unterminated string");
	j->s++;
	out[n] = '\0';
	return 0;
}

/* A number; *OUT is its value if it is an integer that fits, else LLONG_MIN. */
static int json_number(struct json *j, long long *out)
{
	const char *p = j->s, *digits;
	char copy[24];
	int integer = 1;

	if (p < j->end && *p == '-')
		p++;
	digits = p;
	while (p < j->end && *p >= '0' && *p <= '9')
		p++;
	if (p == digits || (*digits == '0' && p - digits > 1))
		return json_fail(j, "a value expected");
	if (p < j->end && *p == '.') {
		integer = 0;
		digits = ++p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == digits)
			return json_fail(j, "a bad number");
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		integer = 0;
		if (++p < j->end && (*p == '+' || *p == '-'))
			p++;
		digits = p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == digits)
			return json_fail(j, "a bad number");
	}
	*out = LLONG_MIN;
	if (integer && (size_t)(p - j->s) < sizeof(copy)) {
		memcpy(copy, j->s, p - j->s);
		copy[p - j->s] = '\0';
		errno = 0;
		*out = strtoll(copy, NULL, 10);
		if (errno)
			*out = LLONG_MIN;
	}
	j->s = p;
	return 0;
}

static int json_literal(struct json *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->s) < n || memcmp(j->s, word, n))
		return json_fail(j, "a value expected");
	j->s += n;
	return 0;
}

/* What a value at PATH ("pid", "state.id", "fds[]", ...) means to us. */
static void json_got_string(struct json *j, const char *path, const char *s)
{
	if (!strcmp(path, "state.id"))
		snprintf(j->st->id, sizeof(j->st->id), "%s", s);
	else if (!strcmp(path, "fds[]") && !strcmp(s, "seccompFd") &&
		 j->st->seccomp_index < 0)
		j->st->seccomp_index = j->index;
}

static void json_got_number(struct json *j, const char *path, long long v)
{
	if (!strcmp(path, "pid"))
		j->st->pid = v;
	else if (!strcmp(path, "state.pid"))
		j->st->state_pid = v;
}

static int json_value(struct json *j, const char *path, int depth)
{
	char key[64], child[160], str[ID_LEN];
	long long v;
	int i;

	json_ws(j);
	if (depth > MAX_DEPTH)
		return json_fail(j, "nested too deep");
	if (j->s >= j->end)
		return json_fail(j, "a value expected");
	switch (*j->s) {
	case '{':
		j->s++;
		json_ws(j);
		if (j->s < j->end && *j->s == '}') {
			j->s++;
			return 0;
		}
		for (;;) {
			json_ws(j);
			if (json_string(j, key, sizeof(key)))
				return -1;
			json_ws(j);
			if (j->s >= j->end || *j->s != ':')
				return json_fail(j, "':' expected");
			j->s++;
			snprintf(child, sizeof(child), "%s%s%s", path,
				 *path ? "." : "", key);
			if (json_value(j, child, depth + 1))
				return -1;
			json_ws(j);
			if (j->s < j->end && *j->s == ',') {
				j->s++;
				continue;
			}
			if (j->s < j->end && *j->s == '}') {
				j->s++;
				return 0;
			}
			return json_fail(j, "',' or '}' expected");
		}
	case '[':
		j->s++;
		json_ws(j);
		if (j->s < j->end && *j->s == ']') {
			j->s++;
			return 0;
		}
		snprintf(child, sizeof(child), "%s[]", path);
		for (i = 0;; i++) {
			j->index = i;
			if (json_value(j, child, depth + 1))
				return -1;
			json_ws(j);
			if (j->s < j->end && *j->s == ',') {
				j->s++;
				continue;
			}
			if (j->s < j->end && *j->s == ']') {
				j->s++;
				return 0;
			}
			return json_fail(j, "',' or ']' expected");
		}
	case '"':
		if (json_string(j, str, sizeof(str)))
			return -1;
		json_got_string(j, path, str);
		return 0;
	case 't':
		return json_literal(j, "true");
	case 'f':
		return json_literal(j, "false");
	case 'n':
		return json_literal(j, "null");
	}
	if (json_number(j, &v))
		return -1;
	json_got_number(j, path, v);
	return 0;
}

/*
 * Parse BUF; NULL, or why it is not a state we can use.  *SYNTAX: whether
 * it is JSON at all (a runtime may keep its end of the connection open:
 * crun's parent process does, until the container exits).
 */
static const char *parse_state(const char *buf, size_t len, struct state *st,
			       int *syntax, char *why, size_t size)
{
	struct json j = { .s = buf, .start = buf, .end = buf + len, .st = st };

	memset(st, 0, sizeof(*st));
	st->pid = LLONG_MIN;
	st->state_pid = LLONG_MIN;
	st->seccomp_index = -1;
	json_ws(&j);
	if (j.s < j.end && *j.s != '{') {
		json_fail(&j, "an object expected");
	} else if (!json_value(&j, "", 0)) {
		/* Trailing whitespace and NULs are fine, anything else not. */
		while (j.s < j.end && (!*j.s || strchr(" \t\r\n", *j.s)))
			j.s++;
		if (j.s < j.end)
			json_fail(&j, "text after the object");
	}
	*syntax = !j.err;
	if (j.err) {
		snprintf(why, size, "state JSON: %s at byte %zu", j.err, j.err_at);
		return why;
	}
	if (st->pid == LLONG_MIN)
		st->pid = st->state_pid;
	if (st->pid <= 0 || st->pid > INT_MAX)
		return "state JSON: no pid (a positive integer)";
	if (!st->id[0])
		return "state JSON: no state.id";
	if (st->seccomp_index < 0)
		return "state JSON: no \"seccompFd\" in fds";
	return NULL;
}

/* ------------------------------------------------------------------------
 * The runtimes' connections.
 */

static int json_document(const char *buf, size_t len)
{
	char why[128];
	struct state st;
	int syntax;

	parse_state(buf, len, &st, &syntax, why, sizeof(why));
	return syntax;
}

static void conn_close(struct conn *c)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	close(c->sock);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->sock = -1;
}

static int is_listener(int fd, char *what, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, what, size - 1);
	if (n < 0)
		n = snprintf(what, size, "?");
	what[n] = '\0';
	return !strcmp(what, "anon_inode:seccomp notify");
}

/* The message is complete: serve its container, or say why not. */
static void conn_done(struct conn *c)
{
	char why[256], what[PATH_MAX], id[ID_LEN];
	const char *bad = c->bad;
	struct container *ct = NULL;
	struct state st;
	size_t i;
	int fd, syntax;

	if (!bad && !c->len)
		bad = "empty";
	if (!bad && !c->nfds)
		bad = "no file descriptor (SCM_RIGHTS)";
	if (!bad)
		bad = parse_state(c->buf, c->len, &st, &syntax, why,
				  sizeof(why));
	if (!bad && st.seccomp_index >= c->nfds) {
		snprintf(why, sizeof(why), "\"seccompFd\" is fd %d of %d sent",
			 st.seccomp_index + 1, c->nfds);
		bad = why;
	}
	if (!bad) {
		fd = c->fds[st.seccomp_index];
		if (!is_listener(fd, what, sizeof(what))) {
			printable(id, sizeof(id), what);
			snprintf(why, sizeof(why),
				 "\"seccompFd\" is not a seccomp listener but %s",
				 id);
			bad = why;
		}
	}
	if (!bad) {
		for (i = 0; i < ARRAY_SIZE(containers) && !ct; i++)
			if (containers[i].fd < 0)
				ct = &containers[i];
		if (!ct)
			bad = "too many containers";
	}
	if (bad) {
		say("connection %u: malformed message (%zu bytes, %d fds): %s: dropped",
		    c->serial, c->len, c->nfds, bad);
		conn_close(c);
		return;
	}
	ct->fd = fd;
	ct->pid = st.pid;
	ct->calls = 0;
	printable(ct->id, sizeof(ct->id), st.id);
	c->fds[st.seccomp_index] = c->fds[--c->nfds];
	say("container %s: pid %d, listener received (connection %u)",
	    ct->id, ct->pid, c->serial);
	conn_close(c);
}

/*
 * Data or fds on a connection: keep them.  The message is complete at EOF,
 * or as soon as it has an fd and the data is a JSON document.
 */
static void conn_read(struct conn *c)
{
	char ctl[CMSG_SPACE(MAX_FDS * sizeof(int))];
	struct iovec iov = {
		.iov_base = c->buf + c->len, .iov_len = MAX_MSG - c->len,
	};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	static char error[128];
	struct cmsghdr *cm;
	int i, n, fd;
	ssize_t got;
	char extra;

	if (c->len == MAX_MSG) {
		/* Full: one more byte means too long, none means EOF. */
		iov.iov_base = &extra;
		iov.iov_len = 1;
	}
	got = recvmsg(c->sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (cm = CMSG_FIRSTHDR(&msg); got >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->nfds < MAX_FDS)
				c->fds[c->nfds++] = fd;
			else
				close(fd);
		}
	}
	if (got >= 0 && (msg.msg_flags & MSG_CTRUNC) && !c->bad)
		c->bad = "more than 8 file descriptors";
	if (got < 0) {
		snprintf(error, sizeof(error), "recvmsg: %s", strerror(errno));
		c->bad = error;
	} else if (got > 0 && c->len == MAX_MSG) {
		c->bad = "longer than 65536 bytes";
	} else if (got > 0) {
		c->len += got;
		if (!c->nfds || !json_document(c->buf, c->len))
			return;
	}
	conn_done(c);
}

/* Drop C if its message is not complete TIMEOUT s after it connected. */
static int conn_expired(struct conn *c, time_t now, int timeout)
{
	if (!c->deadline)
		c->deadline = now + timeout;
	if (c->deadline > now)
		return 0;
	say("connection %u: incomplete after %d s (%zu bytes, %d fds): dropped",
	    c->serial, timeout, c->len, c->nfds);
	conn_close(c);
	return 1;
}

static void conn_accept(int server)
{
	static unsigned int serial;
	struct conn *c = NULL;
	size_t i;
	int sock;

	sock = accept4(server, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (sock < 0) {
		if (errno != EAGAIN && errno != EINTR)
			say("accept: %s", strerror(errno));
		return;
	}
	serial++;
	for (i = 0; i < ARRAY_SIZE(conns) && !c; i++)
		if (conns[i].sock < 0)
			c = &conns[i];
	if (c)
		c->buf = malloc(MAX_MSG);
	if (!c || !c->buf) {
		say("connection %u: %d connections pending already: dropped",
		    serial, MAX_CONNS);
		close(sock);
		return;
	}
	c->sock = sock;
	c->serial = serial;
}

/* ------------------------------------------------------------------------
 * The containers' notifications.
 */

/* The parts of a task a device node needs, from /proc/PID/status. */
static int read_task(pid_t pid, mode_t *umask, uid_t *fsuid, gid_t *fsgid)
{
	unsigned int r, e, s, f;
	char path[64], line[256];
	int found = 0;
	FILE *st;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	st = fopen(path, "re");
	if (!st)
		return -1;
	while (fgets(line, sizeof(line), st)) {
		if (sscanf(line, "Umask: %o", &r) == 1) {
			*umask = r;
			found |= 1;
		} else if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &f) == 4) {
			*fsuid = f;
			found |= 2;
		} else if (sscanf(line, "Gid: %u %u %u %u", &r, &e, &s, &f) == 4) {
			*fsgid = f;
			found |= 4;
		}
	}
	fclose(st);
	return found == 7 ? 0 : -1;
}

/* A NUL-terminated string of the task's memory. */
static int read_string(pid_t pid, unsigned long addr, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, size - 1, addr);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strlen(buf) < (size_t)n ? 0 : -1;
}

static int id_valid(int listener, __u64 id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static int chr_allowed(dev_t dev)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(allowed_chr); i++)
		if (major(dev) == allowed_chr[i].major &&
		    minor(dev) == allowed_chr[i].minor)
			return 1;
	return 0;
}

/* An absolute path under /tmp, without "..". */
static int under_tmp(const char *path)
{
	const char *p;

	if (strncmp(path, "/tmp/", 5) || !path[5])
		return 0;
	for (p = path; (p = strstr(p, "..")); p += 2)
		if ((p[-1] == '/') && (p[2] == '/' || !p[2]))
			return 0;
	return 1;
}

/*
 * mknodat() in the container, as a runtime creates its devices: PATH
 * resolved in the task's root (/proc/PID/root) if absolute, else beneath
 * its cwd or dirfd, never through a magic link; the node made with its
 * umask and owned by its fsuid/fsgid.  Returns 0 or -errno.
 */
static int emulate_mknod(int listener, const struct seccomp_notif *req,
			 int dirfd, const char *path, mode_t mode, dev_t dev)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_MAGICLINKS,
	};
	char dir[PATH_MAX], proc[64];
	const char *slash, *base;
	mode_t umask = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	int start, at, err = 0;

	if (read_task(req->pid, &umask, &uid, &gid))
		return -ESRCH;
	if (path[0] == '/') {
		snprintf(proc, sizeof(proc), "/proc/%d/root", req->pid);
		how.resolve |= RESOLVE_IN_ROOT;
	} else if (dirfd == AT_FDCWD) {
		snprintf(proc, sizeof(proc), "/proc/%d/cwd", req->pid);
		how.resolve |= RESOLVE_BENEATH;
	} else {
		snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", req->pid, dirfd);
		how.resolve |= RESOLVE_BENEATH;
	}
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0,
		 path);
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EEXIST;

	start = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (start < 0)
		return errno == ENOENT ? -ENOENT : -EBADF;
	/* The pid is the task's only while its notification is pending. */
	if (!id_valid(listener, req->id)) {
		close(start);
		return -ESRCH;
	}
	at = syscall(SYS_openat2, start, *dir ? dir : ".", &how, sizeof(how));
	if (at < 0)
		err = -errno;
	close(start);
	if (err)
		return err;
	if (mknodat(at, base, mode & ~umask, dev) ||
	    fchownat(at, base, uid, gid, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	close(at);
	return err;
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
		return "S_IFREG";
	case S_IFIFO:
		return "S_IFIFO";
	case S_IFSOCK:
		return "S_IFSOCK";
	case S_IFCHR:
		return "S_IFCHR";
	case S_IFBLK:
		return "S_IFBLK";
	}
	return "?";
}

/* Answer one notification of container C. */
static void serve(struct container *c)
{
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	char path[PATH_MAX] = "?", shown[96], call[PATH_MAX + 64];
	const char *verdict = "refuse";
	unsigned long addr;
	int at, dirfd, err;
	mode_t mode;
	dev_t dev;

	memset(&req, 0, sizeof(req));
	if (ioctl(c->fd, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
		/* ENOENT: the task was killed or interrupted meanwhile. */
		if (errno != ENOENT && errno != EINTR)
			say("container %s: SECCOMP_IOCTL_NOTIF_RECV: %s", c->id,
			    strerror(errno));
		return;
	}
	c->calls++;
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -EPERM;

	at = req.data.nr == __NR_mknodat;
#ifdef __NR_mknod
	if (req.data.arch != AGENT_ARCH ||
	    (!at && req.data.nr != __NR_mknod)) {
#else
	if (req.data.arch != AGENT_ARCH || !at) {
#endif
		snprintf(call, sizeof(call), "syscall %d (arch %#x)",
			 req.data.nr, req.data.arch);
		goto answer;
	}
	dirfd = at ? (int)req.data.args[0] : AT_FDCWD;
	addr = req.data.args[at];
	mode = (unsigned int)req.data.args[at + 1];
	dev = (unsigned int)req.data.args[at + 2];
	if (read_string(req.pid, addr, path, sizeof(path)))
		snprintf(path, sizeof(path), "?");
	printable(shown, sizeof(shown), path);
	snprintf(call, sizeof(call), "%s(\"%s\", %s", at ? "mknodat" : "mknod",
		 shown, type_name(mode));
	if (S_ISCHR(mode) || S_ISBLK(mode))
		snprintf(call + strlen(call), sizeof(call) - strlen(call),
			 " %u:%u", major(dev), minor(dev));
	strcat(call, ")");
	if (!id_valid(c->fd, req.id))
		return;	/* gone: nothing to answer */

	if (S_ISFIFO(mode) && under_tmp(path)) {
		resp.error = 0;
		resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
		verdict = "continue";
	} else if (S_ISCHR(mode) && chr_allowed(dev) && strcmp(path, "?")) {
		resp.error = emulate_mknod(c->fd, &req, dirfd, path, mode, dev);
		verdict = "emulate";
	}
answer:
	err = resp.error;
	say("%s: %d %s -> %s%s%s", c->id, req.pid, call, verdict,
	    err ? " " : "", err ? strerrorname_np(-err) : "");
	if (ioctl(c->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 ||
	    errno == ENOENT)
		return;
	if (resp.flags && errno == EINVAL && id_valid(c->fd, req.id)) {
		/* Still pending: a kernel without the flag. */
		say("%s: this kernel cannot continue (EINVAL): answering EPERM",
		    c->id);
		resp.flags = 0;
		resp.error = -EPERM;
		if (ioctl(c->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 ||
		    errno == ENOENT)
			return;
	}
	say("%s: SECCOMP_IOCTL_NOTIF_SEND: %s", c->id, strerror(errno));
}

/* ------------------------------------------------------------------------
 * The loop.
 */

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		say("%s: socket path too long", path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock < 0) {
		say("socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(sock, MAX_CONNS)) {
		say("%s: %s", path, strerror(errno));
		close(sock);
		return -1;
	}
	return sock;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[2 + MAX_CONNS + MAX_CONTAINERS];
	struct conn *conn_of[ARRAY_SIZE(pfd)];
	struct container *container_of[ARRAY_SIZE(pfd)];
	struct signalfd_siginfo si = { 0 };
	int server, sigfd, opt, timeout = 5, n, i, wait;
	sigset_t mask;
	time_t now;
	size_t k;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			goto usage;
		timeout = atoi(optarg);
		if (timeout <= 0)
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	/* Modes come from the container's umask, not from ours. */
	umask(0);
	for (k = 0; k < ARRAY_SIZE(conns); k++)
		conns[k].sock = -1;
	for (k = 0; k < ARRAY_SIZE(containers); k++)
		containers[k].fd = -1;
	server = listen_on(argv[optind]);
	if (server < 0)
		return 1;
	say("listening on %s", argv[optind]);

	while (!si.ssi_signo) {
		now = time(NULL);
		wait = -1;
		n = 0;
		pfd[n].fd = sigfd;
		pfd[n].events = POLLIN;
		conn_of[n] = NULL;
		container_of[n++] = NULL;
		pfd[n].fd = server;
		pfd[n].events = POLLIN;
		conn_of[n] = NULL;
		container_of[n++] = NULL;
		for (k = 0; k < ARRAY_SIZE(conns); k++) {
			struct conn *c = &conns[k];

			if (c->sock < 0)
				continue;
			if (conn_expired(c, now, timeout))
				continue;
			if (wait < 0 || (c->deadline - now) * 1000 < wait)
				wait = (c->deadline - now) * 1000;
			pfd[n].fd = c->sock;
			pfd[n].events = POLLIN;
			conn_of[n] = c;
			container_of[n++] = NULL;
		}
		for (k = 0; k < ARRAY_SIZE(containers); k++) {
			if (containers[k].fd < 0)
				continue;
			pfd[n].fd = containers[k].fd;
			pfd[n].events = POLLIN;
			conn_of[n] = NULL;
			container_of[n++] = &containers[k];
		}
		if (poll(pfd, n, wait) < 0) {
			if (errno == EINTR)
				continue;
			say("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			short ev = pfd[i].revents;

			if (!ev)
				continue;
			if (i == 0) {
				if (read(sigfd, &si, sizeof(si)) != sizeof(si))
					si.ssi_signo = 0;
			} else if (i == 1) {
				conn_accept(server);
			} else if (conn_of[i]) {
				conn_read(conn_of[i]);
			} else {
				struct container *c = container_of[i];

				if (ev & POLLIN) {
					serve(c);
				} else {
					/* POLLHUP: its last task is gone. */
					say("container %s: exited (%lu notifications answered)",
					    c->id, c->calls);
					close(c->fd);
					c->fd = -1;
				}
			}
		}
	}
	say("signal %u: stopping, %s removed", si.ssi_signo, argv[optind]);
	unlink(argv[optind]);
	return 0;

usage:
	fprintf(stderr, "usage: %s [-t SECONDS] SOCKET\n", argv[0]);
	return 2;
}
