#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fault injection through the real runner (harness/vmtest.sh): bad KSRC,
# local changes, patches that do not apply, an interrupted run, a full
# disk, and guests that hang, panic, never report or lack a test binary.
# None of them may end in a passing summary.
#
# Source-side cases use a tiny fake kernel tree, so they take seconds.
# Guest-side cases boot the kernel that `make vmtest` built (in $O, default
# build/) and are skipped when there is none.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
HARNESS=$(dirname "$here")
TOP=$(dirname "$HARNESS")
REAL_O=${O:-$TOP/build}
unset O KSRC T BASE_DIR PATCHES_DIR GUEST_INIT VM_TIMEOUT KSELFTEST_INSTALL KSELFTEST_GUEST

tmp=$(mktemp -d)
cleanup() {
	if mountpoint -q "$tmp/full" 2>/dev/null; then
		umount "$tmp/full"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# run NAME ENV... -- ARGS: run vmtest.sh, output in $tmp/NAME.out, status
# in RC.
run() {
	local name=$1

	shift
	run_as "$name" "$tmp" "$HARNESS/vmtest.sh" "$@"
}

# expect_error NAME PATTERN: the last run failed, said PATTERN, and did not
# end in a passing summary.
expect_error() {
	expect_failure "$tmp/$1.out" "$1" "$2" '^vmtest: [0-9]+ passed, 0 failed'
}

# --- a fake kernel tree, a base patch and series for it -------------------

make_fake_tree() {
	local d=$1

	mkdir -p "$d/kernel" "$d/include/uapi/linux" "$d/scripts/kconfig"
	printf 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\nEXTRAVERSION = -fake\n' >"$d/Makefile"
	printf '#!/bin/sh\nexit 0\n' >"$d/scripts/kconfig/merge_config.sh"
	printf '/* uapi */\n#define A 1\n' >"$d/include/uapi/linux/seccomp.h"
	seq 1 40 | sed 's/^/int line_/; s/$/;/' >"$d/kernel/seccomp.c"
}

# make_patch DIR FILE SED-EXPR SUBJECT OUT: a format-patch of one edit.
make_patch() {
	local d=$1 file=$2 expr=$3 subject=$4 out=$5

	(cd "$d" && sed -i "$expr" "$file" && git add -A &&
	 git -c user.name=t -c user.email=t@t commit -q -m "$subject" &&
	 git format-patch -q -1 --stdout) >"$out"
}

fake=$tmp/fake
make_fake_tree "$fake"
work=$tmp/work
cp -a "$fake" "$work"
(cd "$work" && git init -q . && git add -A &&
 git -c user.name=t -c user.email=t@t commit -q -m stock)
mkdir -p "$tmp/base" "$tmp/good" "$tmp/good2" "$tmp/bad" "$tmp/garbage" "$tmp/nobase"
make_patch "$work" kernel/seccomp.c 's/^int line_5;$/int line_5_base;/' \
	"fake: base" "$tmp/base/0001-fake-base.patch"
make_patch "$work" kernel/seccomp.c 's/^int line_20;$/int line_20_series;/' \
	"fake: series" "$tmp/good/0001-fake-series.patch"
make_patch "$work" include/uapi/linux/seccomp.h 's/^#define A 1$/#define A 2/' \
	"fake: series 2" "$tmp/good2/0001-fake-series-2.patch"
sed 's/^ int line_19;$/ int line_19_changed;/' "$tmp/good/0001-fake-series.patch" \
	>"$tmp/bad/0001-fake-does-not-apply.patch"
printf 'this is not a patch\n' >"$tmp/garbage/0001-garbage.patch"

FAKE_ENV=(KSRC="$fake" BASE_DIR="$tmp/base")

# --- source side -------------------------------------------------------------

run ksrc-missing KSRC="$tmp/nonexistent" O="$tmp/o1" -- prepare
expect_error ksrc-missing "KSRC=.* does not exist"

mkdir -p "$tmp/empty"
echo "not a kernel" >"$tmp/empty/README"
run ksrc-not-kernel KSRC="$tmp/empty" O="$tmp/o1" -- prepare
expect_error ksrc-not-kernel "is not a kernel tree"

dirty=$tmp/dirty
cp -a "$fake" "$dirty"
(cd "$dirty" && git init -q . && git add -A &&
 git -c user.name=t -c user.email=t@t commit -q -m stock &&
 echo "int local_work;" >>kernel/seccomp.c)
sum=$(sha256sum "$dirty/kernel/seccomp.c")
run ksrc-dirty KSRC="$dirty" BASE_DIR="$tmp/base" O="$tmp/o1" -- prepare
expect_error ksrc-dirty "uncommitted changes"
if [ "$(sha256sum "$dirty/kernel/seccomp.c")" = "$sum" ]; then
	t_ok "ksrc-dirty-untouched"
else
	t_fail "ksrc-dirty-untouched" "KSRC's local change was modified"
fi

run no-base KSRC="$fake" BASE_DIR="$tmp/nobase" O="$tmp/o2" -- prepare
expect_error no-base "no base patch"

run patch-does-not-apply "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/bad" O="$tmp/o2" -- prepare
expect_error patch-does-not-apply "patch 0001 fake: series does not apply: error: patch failed: kernel/seccomp.c"

run patch-malformed "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/garbage" O="$tmp/o2" -- prepare
expect_error patch-malformed "does not apply|Patch is empty|patch format"

run recover-after-bad-patch "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/good" O="$tmp/o2" -- prepare
if [ "$RC" -eq 0 ] && grep -q '^int line_20_series;$' "$tmp/o2/trees/after/kernel/seccomp.c"; then
	t_ok "recover-after-bad-patch"
else
	t_fail "recover-after-bad-patch" "status $RC"$'\n'"$(tail -n 5 "$tmp/recover-after-bad-patch.out")"
fi

# Re-applying an unchanged series keeps every mtime; a changed series only
# gives new mtimes to the files whose content changed.
touch -d @1000000000 "$tmp/o2/trees/after/kernel/seccomp.c" \
	"$tmp/o2/trees/after/include/uapi/linux/seccomp.h"
rm -f "$tmp/o2/stamps/after"
run reapply-same "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/good" O="$tmp/o2" -- prepare
if [ "$RC" -eq 0 ] && [ "$(stat -c %Y "$tmp/o2/trees/after/kernel/seccomp.c")" = 1000000000 ]; then
	t_ok "reapply-keeps-mtime"
else
	t_fail "reapply-keeps-mtime" "status $RC, mtime $(stat -c %Y "$tmp/o2/trees/after/kernel/seccomp.c")"
fi
run reapply-other "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/good2" O="$tmp/o2" -- prepare
if [ "$RC" -eq 0 ] &&
   [ "$(stat -c %Y "$tmp/o2/trees/after/include/uapi/linux/seccomp.h")" != 1000000000 ] &&
   [ "$(stat -c %Y "$tmp/o2/trees/after/kernel/seccomp.c")" != 1000000000 ] &&
   grep -q '^#define A 2$' "$tmp/o2/trees/after/include/uapi/linux/seccomp.h"; then
	t_ok "reapply-changed-files-only"
else
	t_fail "reapply-changed-files-only" "status $RC"
fi

# Work in the after tree is never overwritten.
echo "int my_work;" >>"$tmp/o2/trees/after/kernel/seccomp.c"
sum=$(sha256sum "$tmp/o2/trees/after/kernel/seccomp.c")
run after-dirty "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/good" O="$tmp/o2" -- prepare
expect_error after-dirty "uncommitted changes"
if [ "$(sha256sum "$tmp/o2/trees/after/kernel/seccomp.c")" = "$sum" ]; then
	t_ok "after-dirty-untouched"
else
	t_fail "after-dirty-untouched" "the after tree's local change was modified"
fi
git -C "$tmp/o2/trees/after" -c user.name=t -c user.email=t@t commit -q -a -m "my work"
run after-unexported "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/good" O="$tmp/o2" -- prepare
expect_error after-unexported "commits that are not in patches/"

# An interrupted import (a half-extracted tree, no stamp) recovers.
rm -rf "$tmp/o2/stamps/source"
mkdir -p "$tmp/o2/trees/.import/junk"
git -C "$tmp/o2/trees/after" reset -q --hard HEAD~1
run recover-interrupted "${FAKE_ENV[@]}" PATCHES_DIR="$tmp/good" O="$tmp/o2" -- prepare
if [ "$RC" -eq 0 ] && [ ! -e "$tmp/o2/trees/.import" ] &&
   grep -q '^int line_20_series;$' "$tmp/o2/trees/after/kernel/seccomp.c"; then
	t_ok "recover-interrupted"
else
	t_fail "recover-interrupted" "status $RC"$'\n'"$(tail -n 5 "$tmp/recover-interrupted.out")"
fi

# A full disk: a 2 MiB tmpfs as output directory (root only).
if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/full" && mount -t tmpfs -o size=2m tmpfs "$tmp/full" 2>/dev/null; then
	big=$tmp/big
	cp -a "$fake" "$big"
	head -c 4M /dev/urandom >"$big/blob"
	run disk-full KSRC="$big" BASE_DIR="$tmp/base" O="$tmp/full" -- prepare
	expect_error disk-full "disk full"
	umount "$tmp/full"
else
	t_ok "disk-full" "# SKIP needs root and tmpfs"
fi

# --- guest side --------------------------------------------------------------

kernel=$REAL_O/kbuild/after/arch/x86/boot/bzImage
if [ ! -f "$kernel" ] || [ ! -x "$REAL_O/kselftest/guest/run_kselftest.sh" ]; then
	for n in guest-hang guest-panic guest-never-reports guest-splat test-binary-missing no-test-matches; do
		t_ok "$n" "# SKIP no built kernel in $REAL_O: run 'make vmtest' first"
	done
	t_done
	exit 0
fi
g=$tmp/g
mkdir -p "$g"
ln -s "$REAL_O/kbuild" "$g/kbuild"
# The kernels' builds are inside their trees (harness/lib/common.sh).
ln -s "$REAL_O/trees" "$g/trees"
ln -s "$REAL_O/kselftest" "$g/kselftest"

cat >"$tmp/init-hang" <<'EOF'
#!/bin/sh
echo "TAP version 13"
echo "1..1"
while :; do sleep 1; done
EOF
run guest-hang O="$g" GUEST_INIT="$tmp/init-hang" VM_TIMEOUT=15 -- test after
expect_error guest-hang "guest timed out after 15s"

cat >"$tmp/init-panic" <<'EOF'
#!/bin/sh
echo "TAP version 13"
echo "1..1"
exit 1
EOF
run guest-panic O="$g" GUEST_INIT="$tmp/init-panic" VM_TIMEOUT=60 -- test after
expect_error guest-panic "kernel splat .*Kernel panic"

cat >"$tmp/init-short" <<'EOF'
#!/bin/sh
echo "TAP version 13"
echo "1..2"
echo "# selftests: seccomp: seccomp_bpf"
echo "ok 1 selftests: seccomp: seccomp_bpf"
echo "vmtest-exit: 0"
reboot -f
EOF
run guest-never-reports O="$g" T=seccomp_bpf GUEST_INIT="$tmp/init-short" VM_TIMEOUT=60 -- test after
expect_error guest-never-reports "^vmtest: 1 passed, 1 failed"

# Every test passes, and the kernel warned: the run fails all the same,
# naming the splat.  (The message is written to /dev/kmsg as the kernel's.)
cat >"$tmp/init-splat" <<'EOF'
#!/bin/sh
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "<4>WARNING: CPU: 0 PID: 1 at kernel/seccomp.c:1234 seccomp_notify_send+0x0/0x10" >/dev/kmsg
echo "TAP version 13"
echo "1..1"
echo "# selftests: seccomp: seccomp_bpf"
echo "ok 1 selftests: seccomp: seccomp_bpf"
echo "vmtest-exit: 0"
reboot -f
EOF
run guest-splat O="$g" T=seccomp_bpf GUEST_INIT="$tmp/init-splat" VM_TIMEOUT=60 -- test after
expect_failure "$tmp/guest-splat.out" guest-splat \
	"kernel splat .*WARNING: CPU: 0 PID: 1 at kernel/seccomp.c:1234" \
	'^vmtest: [0-9]+ passed, 0 failed'

cp -a "$REAL_O/kselftest/guest" "$tmp/kst"
rm "$tmp/kst/seccomp/seccomp_bpf"
run test-binary-missing O="$g" KSELFTEST_GUEST="$tmp/kst" -- test after
expect_error test-binary-missing "test binary .*seccomp_bpf missing"

run no-test-matches O="$g" T="no_such_test" -- test after
expect_error no-test-matches "no installed test matches T='no_such_test'"

t_done
