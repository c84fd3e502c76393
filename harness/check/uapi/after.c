// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header of the after tree (patches/), as userspace compiles it
 * (-std=c99 -pedantic): both spellings of the continue flag are bit 0.
 * Prints "1 1 1".
 */
#include <stdio.h>
#include <linux/seccomp.h>

/* C99 has no _Static_assert: a negative array size fails the build. */
typedef char continue_is_bit0[SECCOMP_USER_NOTIF_CONTINUE == 1 ? 1 : -1];
typedef char mainline_spelling[SECCOMP_USER_NOTIF_FLAG_CONTINUE == 1 ? 1 : -1];

int main(void)
{
	struct seccomp_notif_resp resp = { 0 };

	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	printf("%lu %lu %u\n", (unsigned long)SECCOMP_USER_NOTIF_CONTINUE,
	       (unsigned long)SECCOMP_USER_NOTIF_FLAG_CONTINUE, resp.flags);
	return 0;
}
