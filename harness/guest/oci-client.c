// SPDX-License-Identifier: GPL-2.0
/*
 * oci-client: a runtime that sends what it should not, for the checks of
 * examples/oci-agent (harness/guest/crun-example.sh).
 *
 *   oci-client [-f null|seccomp] [-H SECONDS] SOCKET <MESSAGE
 *
 * Connects to the agent's SOCKET and sends standard input as one message,
 * with an SCM_RIGHTS fd if -f says so: /dev/null, or the listener of a
 * filter of its own (that allows every call), then keeps the connection
 * open SECONDS (default 0) before closing it.  Exit status 0 if the message
 * was sent.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static int listener(void)
{
	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 1, .filter = allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

int main(int argc, char **argv)
{
	static char data[131072];
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = data };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	const char *kind = NULL;
	int opt, hold = 0, sock, fd = -1;
	struct cmsghdr *cm;
	ssize_t n;

	while ((opt = getopt(argc, argv, "f:H:")) != -1) {
		if (opt == 'f')
			kind = optarg;
		else if (opt == 'H')
			hold = atoi(optarg);
		else
			goto usage;
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof(addr.sun_path))
		goto usage;
	memcpy(addr.sun_path, argv[optind], strlen(argv[optind]) + 1);
	while (iov.iov_len < sizeof(data)) {
		n = read(0, data + iov.iov_len, sizeof(data) - iov.iov_len);
		if (n <= 0)
			break;
		iov.iov_len += n;
	}
	if (kind && !strcmp(kind, "null"))
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	else if (kind && !strcmp(kind, "seccomp"))
		fd = listener();
	else if (kind)
		goto usage;
	if (kind && fd < 0) {
		perror(kind);
		return 1;
	}
	if (fd >= 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (!iov.iov_len)
			iov.iov_len = 1;	/* fds need a byte to ride on */
	}
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr))) {
		perror(argv[optind]);
		return 1;
	}
	if ((iov.iov_len || fd >= 0) && sendmsg(sock, &msg, 0) < 0) {
		perror("sendmsg");
		return 1;
	}
	sleep(hold);
	close(sock);
	return 0;

usage:
	fprintf(stderr, "usage: %s [-f null|seccomp] [-H SECONDS] SOCKET <MESSAGE\n",
		argv[0]);
	return 2;
}
