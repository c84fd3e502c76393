// SPDX-License-Identifier: GPL-2.0
/*
 * notif-compat: a compat task's notifications, and what continuing them
 * runs.  Built with the arch's COMPAT_CFLAGS (-m32 on x86_64), so that it
 * runs as an ia32 task on the 64-bit kernel; the harness runs it as
 * vmtest:notif-compat.
 *
 * A child records getppid() and fstat64() of a file, installs a filter
 * that sends both to a listener for compat (AUDIT_ARCH_I386) calls only,
 * passes the listener to the parent and makes both calls again.  The
 * parent checks what the notifications say and answers CONTINUE:
 *
 *   arch_and_nr        each notification carries AUDIT_ARCH_I386 and the
 *                      i386 syscall number (getppid 64, not x86_64's 110)
 *   continue_getppid   the continued getppid returns the real parent
 *   continue_fstat64   the continued fstat64 fills struct stat64 exactly
 *                      as the call before the filter did: the compat
 *                      handler ran, with the compat layout
 *
 * SKIP on a kernel without SECCOMP_USER_NOTIF_CONTINUE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kselftest.h"

#ifndef SECCOMP_USER_NOTIF_CONTINUE
#define SECCOMP_USER_NOTIF_CONTINUE 0x00000001UL
#endif

#if !defined(__i386__)
#error "notif-compat is built for a compat ABI: i386 (gcc -m32)"
#endif

#define COMPAT_ARCH AUDIT_ARCH_I386
#define STAT_BUF 256

/* The child's findings, bits of its exit status. */
#define BAD_GETPPID 1
#define BAD_FSTAT 2
#define BAD_SETUP 4

static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
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

static int install_filter(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fstat64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(insns),
		.filter = insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void child(int sock, int fd)
{
	char before[STAT_BUF], after[STAT_BUF], zero[STAT_BUF] = { 0 };
	long ppid = syscall(__NR_getppid);
	int listener, bad = 0;

	memset(before, 0, sizeof(before));
	memset(after, 0, sizeof(after));
	if (syscall(__NR_fstat64, fd, before))
		_exit(BAD_SETUP);
	listener = install_filter();
	if (listener < 0 || send_fd(sock, listener))
		_exit(BAD_SETUP);
	close(listener);
	if (syscall(__NR_getppid) != ppid)
		bad |= BAD_GETPPID;
	if (syscall(__NR_fstat64, fd, after) ||
	    memcmp(before, after, sizeof(before)) ||
	    !memcmp(before, zero, sizeof(zero)))
		bad |= BAD_FSTAT;
	_exit(bad);
}

int main(void)
{
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;
	int sv[2], fd, listener, status, i, arch_ok = 1, skip = 0;
	char path[] = "/tmp/notif-compat.XXXXXX";
	unsigned int nrs[2] = { 0 };
	pid_t pid;

	ksft_print_header();
	fd = mkstemp(path);
	if (fd < 0 || write(fd, "compat\n", 7) != 7 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		ksft_exit_fail_msg("setup: %s\n", strerror(errno));
	unlink(path);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], fd);
	}
	close(sv[1]);
	listener = recv_fd(sv[0]);
	if (listener < 0) {
		waitpid(pid, &status, 0);
		ksft_exit_fail_msg("no listener from the child (status %#x)\n",
				   status);
	}

	for (i = 0; i < 2; i++) {
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req))
			ksft_exit_fail_msg("NOTIF_RECV: %s\n", strerror(errno));
		nrs[i] = req.data.nr;
		if (req.data.arch != COMPAT_ARCH) {
			ksft_print_msg("notification %d: arch %#x, want %#x\n",
				       i, req.data.arch, COMPAT_ARCH);
			arch_ok = 0;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_CONTINUE;
		if (!ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp))
			continue;
		if (errno != EINVAL || i)
			ksft_exit_fail_msg("NOTIF_SEND continue: %s\n",
					   strerror(errno));
		/* A kernel without the flag: let the child go, then skip. */
		skip = 1;
		resp.flags = 0;
		resp.error = -EPERM;
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp))
			ksft_exit_fail_msg("NOTIF_SEND error: %s\n", strerror(errno));
		resp.id = 0;
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
			resp.id = req.id;
			ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		}
		break;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		ksft_exit_fail_msg("child: status %#x\n", status);
	if (skip)
		ksft_exit_skip("kernel without SECCOMP_USER_NOTIF_CONTINUE\n");
	if (WEXITSTATUS(status) & BAD_SETUP)
		ksft_exit_fail_msg("child setup failed\n");

	/* The plan only now: a kernel without the flag gets "1..0 # SKIP". */
	ksft_set_plan(3);
	ksft_print_msg("notified nrs %u and %u; getppid is %d, fstat64 %d here\n",
		       nrs[0], nrs[1], __NR_getppid, __NR_fstat64);
	ksft_test_result(arch_ok && nrs[0] == __NR_getppid &&
			 nrs[1] == __NR_fstat64, "arch_and_nr\n");
	ksft_test_result(!(WEXITSTATUS(status) & BAD_GETPPID),
			 "continue_getppid\n");
	ksft_test_result(!(WEXITSTATUS(status) & BAD_FSTAT),
			 "continue_fstat64\n");
	ksft_finished();
}
