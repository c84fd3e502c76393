// SPDX-License-Identifier: GPL-2.0
/*
 * A container supervisor's mknod policy, written against libseccomp.
 *
 *   libseccomp-supervisor [-u UID:GID] -- COMMAND [ARG...]
 *
 * Runs COMMAND as UID:GID (default 65534:65534) under a filter that sends
 * mknod() and mknodat() to this process, and answers each one:
 *
 *   FIFO, socket or regular file   continue: the kernel runs the call as
 *                                  the task asked, with the task's own
 *                                  credentials and its own permission
 *                                  checks (SECCOMP_USER_NOTIF_CONTINUE)
 *   /dev/null, zero, full, random, emulate: created here, as the task's
 *   urandom, tty (char 1:3 ...)    fsuid/fsgid with CAP_MKNOD, relative to
 *                                  the task's cwd, dirfd or root
 *   anything else                  refuse: EPERM
 *
 * This is what a container runtime does for an unprivileged container that
 * wants a few harmless device nodes: without CONTINUE it would have to
 * emulate the FIFOs too, re-doing the kernel's checks from outside.
 *
 * Continue is only safe for decisions the kernel makes again by itself: the
 * task may change the path in its memory after this process read it, so a
 * continued call must not depend on that reading.  Here the decision reads
 * only the mode argument, a register, which the task cannot change, and the
 * kernel checks permissions on the path it reads itself.  The emulated path
 * is different: this process reads the path once and creates what it read.
 *
 * Each decision is logged on stderr as "supervisor: PID CALL(PATH, TYPE) ->
 * continue|emulate|refuse ERRNO"; the exit status is COMMAND's.
 *
 * Build: gcc -static -O2 -Wall supervisor.c -lseccomp -lcap
 * (the uapi header of a kernel with SECCOMP_USER_NOTIF_CONTINUE, or none:
 * the flag has the value of mainline's SECCOMP_USER_NOTIF_FLAG_CONTINUE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/openat2.h>

#ifndef SECCOMP_USER_NOTIF_CONTINUE
#ifdef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_CONTINUE SECCOMP_USER_NOTIF_FLAG_CONTINUE
#else
#define SECCOMP_USER_NOTIF_CONTINUE 0x00000001UL
#endif
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	unsigned int major, minor;
} allowed_chr[] = {
	{ 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 },
};

/* The parts of the task a decision needs, read from /proc/PID. */
struct task {
	pid_t pid;
	uid_t fsuid;
	gid_t fsgid;
	mode_t umask;
};

static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* The child: drop to uid:gid, load the filter, hand over its listener. */
static void run_target(int sock, uid_t uid, gid_t gid, char **argv)
{
	scmp_filter_ctx ctx;
	int fd;

	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("target: dropping to uid:gid");
		_exit(126);
	}
	/* libseccomp sets no_new_privs for us: an unprivileged task may. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mknod), 0) ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mknodat), 0) ||
	    seccomp_load(ctx)) {
		fprintf(stderr, "target: cannot load the filter\n");
		_exit(126);
	}
	fd = seccomp_notify_fd(ctx);
	if (fd < 0 || send_fd(sock, fd)) {
		fprintf(stderr, "target: cannot pass the listener\n");
		_exit(126);
	}
	close(fd);
	close(sock);
	seccomp_release(ctx);
	execvp(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

static int read_task(struct task *t, pid_t pid)
{
	char path[64], line[256];
	unsigned int r, e, s, f;
	int found = 0;
	FILE *st;

	t->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	st = fopen(path, "re");
	if (!st)
		return -1;
	while (fgets(line, sizeof(line), st)) {
		if (sscanf(line, "Umask: %o", &r) == 1) {
			t->umask = r;
			found |= 1;
		} else if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &f) == 4) {
			t->fsuid = f;
			found |= 2;
		} else if (sscanf(line, "Gid: %u %u %u %u", &r, &e, &s, &f) == 4) {
			t->fsgid = f;
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

static int chr_allowed(dev_t dev)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(allowed_chr); i++)
		if (major(dev) == allowed_chr[i].major &&
		    minor(dev) == allowed_chr[i].minor)
			return 1;
	return 0;
}

/*
 * mknodat() for the task: PATH resolved from its root if absolute, else
 * from its dirfd (or cwd), never leaving that directory nor following
 * symlinks, and created with its fsuid/fsgid and umask.  Returns 0 or the
 * task's -errno.
 */
static int emulate_mknod(int listener, __u64 id, const struct task *t,
			 int dirfd, const char *path, mode_t mode, dev_t dev)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char dir[PATH_MAX], base[PATH_MAX], proc[64];
	const char *slash;
	int start, at, err = 0;
	cap_t caps;

	if (path[0] == '/') {
		snprintf(proc, sizeof(proc), "/proc/%d/root", t->pid);
		how.resolve |= RESOLVE_IN_ROOT;
		path++;
	} else if (dirfd == AT_FDCWD) {
		snprintf(proc, sizeof(proc), "/proc/%d/cwd", t->pid);
		how.resolve |= RESOLVE_BENEATH;
	} else {
		snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", t->pid, dirfd);
		how.resolve |= RESOLVE_BENEATH;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	snprintf(base, sizeof(base), "%s", slash ? slash + 1 : path);
	if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EEXIST;

	start = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (start < 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	/* The pid is the task's only while its notification is alive. */
	if (seccomp_notify_id_valid(listener, id)) {
		close(start);
		return -ENOENT;
	}
	at = syscall(SYS_openat2, start, dir[0] ? dir : ".", &how, sizeof(how));
	err = at < 0 ? -errno : 0;
	close(start);
	if (err)
		return err;

	/*
	 * As the task for permissions and ownership: fsuid/fsgid drop the
	 * file-system capabilities, CAP_MKNOD is raised again for the call.
	 */
	setfsgid(t->fsgid);
	setfsuid(t->fsuid);
	caps = cap_get_proc();
	if (caps) {
		cap_value_t mknod_cap = CAP_MKNOD;

		cap_set_flag(caps, CAP_EFFECTIVE, 1, &mknod_cap, CAP_SET);
		if (cap_set_proc(caps))
			err = -EPERM;
		cap_free(caps);
	} else {
		err = -EPERM;
	}
	if (!err && mknodat(at, base, mode & ~t->umask, dev))
		err = -errno;
	setfsuid(0);
	setfsgid(0);
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

/* Answer one notification; -1 if this kernel cannot continue. */
static int handle(int listener, struct seccomp_notif *req,
		  struct seccomp_notif_resp *resp)
{
	int at = req->data.nr == SCMP_SYS(mknodat);
	const struct seccomp_data *d = &req->data;
	int dirfd = at ? (int)d->args[0] : AT_FDCWD;
	unsigned long addr = d->args[at];
	mode_t mode = d->args[at + 1];
	dev_t dev = d->args[at + 2];
	char path[PATH_MAX] = "?";
	const char *verdict;
	struct task t = { 0 };
	int err = 0;

	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	read_string(req->pid, addr, path, sizeof(path));
	if (seccomp_notify_id_valid(listener, req->id))
		return 0;	/* gone: the task was interrupted or killed */

	if (!S_ISCHR(mode) && !S_ISBLK(mode)) {
		/* Nothing privileged: the kernel judges it as it would. */
		resp->flags = SECCOMP_USER_NOTIF_CONTINUE;
		verdict = "continue";
	} else if (S_ISCHR(mode) && chr_allowed(dev)) {
		err = read_task(&t, req->pid) ? -ENOENT :
			emulate_mknod(listener, req->id, &t, dirfd, path,
				      mode, dev);
		verdict = "emulate";
	} else {
		err = -EPERM;
		verdict = "refuse";
	}
	resp->error = err;
	fprintf(stderr, "supervisor: %d %s(\"%s\", %s) -> %s%s%s\n", req->pid,
		at ? "mknodat" : "mknod", path, type_name(mode), verdict,
		err ? " " : "", err ? strerrorname_np(-err) : "");

	if (seccomp_notify_respond(listener, resp) == 0)
		return 0;
	if (resp->flags && seccomp_notify_id_valid(listener, req->id) == 0) {
		/* Still pending: a kernel without the flag said EINVAL. */
		fprintf(stderr, "supervisor: this kernel cannot continue: refusing with EPERM\n");
		resp->flags = 0;
		resp->error = -EPERM;
		seccomp_notify_respond(listener, resp);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct seccomp_notif_resp *resp;
	struct seccomp_notif *req;
	unsigned int uid = 65534, gid = 65534;
	int sv[2], listener, status, opt, cannot = 0;
	struct pollfd pfd;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+u:")) != -1) {
		if (opt != 'u' || sscanf(optarg, "%u:%u", &uid, &gid) != 2)
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		run_target(sv[1], uid, gid, argv + optind);
	}
	close(sv[1]);
	listener = recv_fd(sv[0]);
	close(sv[0]);
	if (listener < 0) {
		waitpid(pid, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	/* Modes come from the task's umask, not from ours. */
	umask(0);
	setgroups(0, NULL);
	if (seccomp_notify_alloc(&req, &resp)) {
		fprintf(stderr, "supervisor: seccomp_notify_alloc failed\n");
		return 1;
	}

	/* Until the last task using the filter is gone (POLLHUP). */
	pfd.fd = listener;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			break;
		}
		if (pfd.revents & POLLIN) {
			memset(req, 0, sizeof(*req));
			/* A task killed meanwhile: ENOENT, nothing to answer. */
			if (seccomp_notify_receive(listener, req) == 0 &&
			    handle(listener, req, resp))
				cannot = 1;
			continue;
		}
		if (pfd.revents & (POLLHUP | POLLERR))
			break;
	}
	seccomp_notify_free(req, resp);
	close(listener);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (cannot)
		fprintf(stderr, "supervisor: kernel without SECCOMP_USER_NOTIF_CONTINUE\n");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);

usage:
	fprintf(stderr, "usage: %s [-u UID:GID] -- COMMAND [ARG...]\n", argv[0]);
	return 2;
}
