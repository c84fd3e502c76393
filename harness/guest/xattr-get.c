// SPDX-License-Identifier: GPL-2.0
/*
 * xattr-get FILE NAME: print the value of one extended attribute of FILE
 * (not following a final symbolic link) on stdout, followed by a newline.
 * Exit 1, with "xattr-get: FILE: NAME: <error>" on stderr, if it cannot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	char buf[65536];
	ssize_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: xattr-get FILE NAME\n");
		return 2;
	}
	n = lgetxattr(argv[1], argv[2], buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "xattr-get: %s: %s: %s\n", argv[1], argv[2],
			strerror(errno));
		return 1;
	}
	fwrite(buf, 1, n, stdout);
	putchar('\n');
	return 0;
}
