// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header of the nested tree (rfc/), as userspace compiles it
 * (-std=c99 -pedantic): the new filter flag is bit 6, and is no other
 * flag.  Prints "64 1".
 */
#include <stdio.h>
#include <linux/seccomp.h>

typedef char nested_is_bit6[SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS ==
			    (1UL << 6) ? 1 : -1];
typedef char no_other_flag[(SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS &
			    (SECCOMP_FILTER_FLAG_TSYNC |
			     SECCOMP_FILTER_FLAG_LOG |
			     SECCOMP_FILTER_FLAG_SPEC_ALLOW |
			     SECCOMP_FILTER_FLAG_NEW_LISTENER |
			     SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
			     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) ? -1 : 1];

int main(void)
{
	printf("%lu %lu\n", (unsigned long)SECCOMP_FILTER_FLAG_ALLOW_NESTED_LISTENERS,
	       (unsigned long)SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	return 0;
}
