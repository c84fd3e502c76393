/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by notif-stress.c, notif-fuzz.c and notif-bench.c, guest
 * programs that exercise SECCOMP_USER_NOTIF_CONTINUE (64-bit only:
 * notif-compat.c, built -m32, has its own).  Everything here is static
 * inline, so that a program that uses only a part builds warning-free.
 */
#ifndef NOTIF_UTIL_H
#define NOTIF_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest.h"

#ifndef SECCOMP_USER_NOTIF_CONTINUE
#define SECCOMP_USER_NOTIF_CONTINUE 0x00000001UL
#endif
/* Mainline's spelling of it, which the RFC's programs use. */
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
/* The nested-listeners RFC (rfc/): refused with EINVAL without it. */
#ifndef SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS
#define SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS (1UL << 6)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SETFD
#define SECCOMP_ADDFD_FLAG_SETFD (1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

#if defined(__x86_64__)
#define NU_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NU_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "notif-util.h: add this architecture's AUDIT_ARCH_*"
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "notif-util.h: the filter reads the upper half of an argument"
#endif

/*
 * An intercepted call carries NU_MAGIC in the upper 32 bits of one
 * argument and a token in the lower 32 bits: getppid() in args[0] (which
 * it ignores), openat() in args[3], the mode, which it ignores without
 * O_CREAT.  The filter sends only such calls to the supervisor, so that
 * nothing libc does on its own is ever intercepted.
 */
#define NU_MAGIC	0x5ecc1a7eU
#define NU_ARG(token)	(((unsigned long)NU_MAGIC << 32) | (uint32_t)(token))
#define NU_ARG_HI(n)	(offsetof(struct seccomp_data, args) + 8 * (n) + 4)

static inline long nu_seccomp(unsigned int op, unsigned int flags, void *args)
{
	return syscall(__NR_seccomp, op, flags, args);
}

/* Returns the listener fd, or -1 with errno set. */
static inline int nu_install_filter(unsigned int flags)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NU_AUDIT_ARCH, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NU_ARG_HI(0)),
		BPF_STMT(BPF_JMP | BPF_JA, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NU_ARG_HI(3)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NU_MAGIC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]),
		.filter = insns,
	};

	return nu_seccomp(SECCOMP_SET_MODE_FILTER,
			  flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* The raw return value of a syscall made through syscall(). */
static inline long nu_raw(long ret, int err)
{
	return ret == -1 ? -err : ret;
}

static inline int nu_env_int(const char *name, int def, int min, int max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		ksft_print_msg("ignoring %s=%s (want %d..%d), using %d\n",
			       name, s, min, max, def);
		return def;
	}
	return v;
}

static inline long long nu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void nu_sleep_us(long us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (us % 1000000) * 1000,
	};

	nanosleep(&ts, NULL);
}

/* Open fds of this process, not counting the one that reads the list. */
static inline int nu_count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static inline int nu_send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Returns the length received; *fd is -1 if no fd came with it. */
static inline ssize_t nu_recv_fd(int sock, void *data, size_t len, int *fd,
				 int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t ret;

	*fd = -1;
	ret = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	if (ret < 0)
		return ret;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return ret;
}

/* splitmix64: small, seedable, good enough to pick cases. */
struct nu_rand {
	uint64_t s;
};

static inline uint64_t nu_rand64(struct nu_rand *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t nu_below(struct nu_rand *r, uint32_t n)
{
	return n ? nu_rand64(r) % n : 0;
}

/*
 * Does the running kernel take SECCOMP_USER_NOTIF_CONTINUE?  A child
 * installs the filter, passes the listener over a socket and closes its
 * copy, then makes one intercepted getppid(); we answer with a continue
 * reply.  Returns 1 if it was accepted and the child saw its real parent,
 * 0 if the reply failed with EINVAL (no such flag: the child then gets
 * an error reply), -1 on anything else, with a message in why.
 */
static inline int nu_probe_continue(char *why, size_t len)
{
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	int sv[2], listener, status, ret = -1;
	struct pollfd pfd;
	long raw = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
		snprintf(why, len, "socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int err;

		close(sv[0]);
		alarm(120);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(10);
		listener = nu_install_filter(0);
		if (listener < 0) {
			err = errno;
			send(sv[1], &err, sizeof(err), MSG_NOSIGNAL);
			_exit(11);
		}
		if (nu_send_fd(sv[1], listener, "L", 1))
			_exit(12);
		close(listener);
		raw = syscall(__NR_getppid, NU_ARG(0));
		raw = nu_raw(raw, errno);
		send(sv[1], &raw, sizeof(raw), MSG_NOSIGNAL);
		_exit(0);
	}
	close(sv[1]);
	pfd.fd = sv[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 60000) != 1) {
		snprintf(why, len, "probe child sent no listener");
		goto out_kill;
	}
	if (nu_recv_fd(sv[0], &raw, sizeof(raw), &listener, 0) <= 0 ||
	    listener < 0) {
		if (raw == ENOSYS || raw == EINVAL)
			snprintf(why, len,
				 "no SECCOMP_FILTER_FLAG_NEW_LISTENER: %s",
				 strerror(raw));
		else
			snprintf(why, len, "probe child: no listener (%s)",
				 strerror(raw));
		goto out_kill;
	}
	memset(&req, 0, sizeof(req));
	pfd.fd = listener;
	if (poll(&pfd, 1, 60000) != 1 ||
	    ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
		snprintf(why, len, "probe: no notification: %s",
			 strerror(errno));
		close(listener);
		goto out_kill;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) {
		ret = 1;
	} else if (errno == EINVAL) {
		snprintf(why, len,
			 "kernel lacks SECCOMP_USER_NOTIF_CONTINUE: a continue reply failed with EINVAL");
		ret = 0;
		resp.flags = 0;
		resp.error = -EPERM;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	} else {
		snprintf(why, len, "probe: continue reply: %s",
			 strerror(errno));
	}
	close(listener);
	pfd.fd = sv[0];
	if (poll(&pfd, 1, 60000) != 1 ||
	    recv(sv[0], &raw, sizeof(raw), 0) != sizeof(raw)) {
		snprintf(why, len, "probe child did not report");
		ret = -1;
		goto out_kill;
	}
	if (ret == 1 && raw != getpid()) {
		snprintf(why, len,
			 "probe: continued getppid() returned %ld, not %d",
			 raw, getpid());
		ret = -1;
	}
	goto out_wait;
out_kill:
	kill(pid, SIGKILL);
out_wait:
	close(sv[0]);
	waitpid(pid, &status, 0);
	return ret;
}

/*
 * Kernel log splat check: nu_kmsg_mark() writes a line to /dev/kmsg,
 * nu_kmsg_splats() counts the lines after the last copy of it that look
 * like a splat (and prints the first few).  Returns -1 if the log can't be
 * read.
 */
static inline void nu_kmsg_mark(const char *mark)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, mark, strlen(mark)) < 0)
		ksft_print_msg("write /dev/kmsg: %s\n", strerror(errno));
	close(fd);
}

static inline int nu_kmsg_splats(const char *mark)
{
	static const char * const pats[] = {
		"BUG:", "WARNING:", "Oops", "KASAN", "UBSAN",
		"possible circular locking", "possible recursive locking",
		"suspicious RCU usage", "INFO: task", "general protection",
		"Kernel panic", "refcount_t:", "kernel BUG",
	};
	char *buf, *p, *line, *end;
	int size, n, hits = 0;
	unsigned int i;

	size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	n = klogctl(3, buf, size);	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	p = buf;
	for (line = strstr(buf, mark); line; line = strstr(line + 1, mark))
		p = line;
	for (line = p; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			char *hit = memmem(line, end - line, pats[i],
					   strlen(pats[i]));

			if (hit) {
				if (hits++ < 5)
					ksft_print_msg("kernel log: %.*s\n",
						       (int)(end - line), line);
				break;
			}
		}
		if (!*end)
			break;
	}
	free(buf);
	return hits;
}

/* The last KTAP case of a program: the kernel log since MARK is clean. */
static inline void nu_result_splats(const char *mark)
{
	int splats = nu_kmsg_splats(mark);

	if (splats < 0) {
		ksft_test_result_skip("kernel log: no splat (can't read it)\n");
		return;
	}
	ksft_print_msg("kernel log: %d splats\n", splats);
	ksft_test_result(!splats, "kernel log: no splat\n");
}

#endif /* NOTIF_UTIL_H */
