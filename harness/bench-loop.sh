#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-loop.sh (make bench-loop): measure the edit-build-boot-test loop.
# In a fresh clone of this repository (build/bench/clone, its own build/),
# with the packages already installed:
#   1. cold      make vmtest from the fresh clone
#   2. no-op     make vmtest again, nothing changed
#   3. seccomp.c the series changes only kernel/seccomp.c (a comment in
#                the patch that adds the flag, edited in the after tree,
#                make series), make vmtest
#   4. stock     make vmtest K=stock: another kernel, whose sources differ
#                from the after kernel's in a few files, built for the first
#                time (its objects from ccache: harness/lib/kernel.sh)
# Prints the four wall times; targets: 300 s, 15 s, 25 s, about a minute
# (a quick machine; on a slow one, what the after kernel's cache-only
# build takes).
# --warm skips 1 by reusing an earlier clone's build.

set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HARNESS")
BENCH=${O:-$TOP/build}/bench
CLONE=$BENCH/clone
LOG=$BENCH/bench.log
warm=
[ "${1:-}" = --warm ] && warm=1
unset O KSRC T
# The fixup commit below has the harness's own identity, as in
# harness/lib/common.sh: no git configuration is needed.
export GIT_AUTHOR_NAME=vmtest GIT_AUTHOR_EMAIL=vmtest@localhost
export GIT_COMMITTER_NAME=vmtest GIT_COMMITTER_EMAIL=vmtest@localhost

mkdir -p "$BENCH"
: >"$LOG"

timed() {
	local name=$1 t0 t1 line

	shift
	t0=$(date +%s.%N)
	if ! "$@" >>"$LOG" 2>&1; then
		echo "bench-loop: '$*' failed; last lines of $LOG:" >&2
		tail -n 20 "$LOG" >&2
		exit 1
	fi
	t1=$(date +%s.%N)
	line=$(grep '^vmtest: ' "$LOG" | tail -n1)
	printf 'bench-loop: %-10s %6.1f s   (%s)\n' "$name" "$(echo "$t1 - $t0" | bc)" "$line"
}

if [ -z "$warm" ] || [ ! -d "$CLONE/build/kbuild/after" ]; then
	rm -rf "$CLONE"
	git clone -q "$TOP" "$CLONE"
	timed cold make -C "$CLONE" vmtest
fi
# Bring the clone back to the series as committed.
git -C "$CLONE" checkout -q -- patches
timed no-op make -C "$CLONE" vmtest

# Change patch 1's kernel/seccomp.c only, through the documented flow.
after=$CLONE/build/trees/after
first=$(git -C "$after" rev-list --reverse before..HEAD -- kernel/seccomp.c | head -n1)
sed -i 's|/\* Userspace requests we continue and perform the syscall. \*/|/* Userspace requests we continue and perform the syscall (bench). */|' \
	"$after/kernel/seccomp.c"
git -C "$after" diff --quiet && { echo "bench-loop: the edit of kernel/seccomp.c did not apply" >&2; exit 1; }
git -C "$after" commit -q -a --fixup="$first"
GIT_SEQUENCE_EDITOR=true git -C "$after" rebase -q -i --autosquash before
make -C "$CLONE" series >>"$LOG" 2>&1
timed seccomp.c make -C "$CLONE" vmtest

# Leave the clone on the committed series again.
git -C "$CLONE" checkout -q -- patches
make -C "$CLONE" vmtest >>"$LOG" 2>&1
# Its first build, every time (the cache stays).
rm -rf "$CLONE/build/trees/stock/.kbuild"
timed stock make -C "$CLONE" vmtest K=stock
echo "bench-loop: log $LOG"
