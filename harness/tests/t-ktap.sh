#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of harness/ktap.py against the hand-written console logs in
# harness/tests/ktap/ (CRLF line ends, kernel noise, garbage).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
. "$HERE/lib.sh"

KTAP=("${PYTHON:-python3}" "$HERE/../ktap.py")
FIX=$HERE/ktap
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ktap NAME STATUS EXPECTED FIXTURE [ARGS...]: run ktap.py [ARGS] on the
# fixture; check its exit status and its whole stdout.
ktap() {
	local name=$1 rc=$2 want=$3 log=$4
	shift 4
	t_expect_run "ktap: $name" "$rc" "$want" "${KTAP[@]}" "$@" "$FIX/$log"
}

ktap "all pass" 0 \
	"ktap: 5 passed, 0 failed, 0 skipped" all-pass.log

ktap "one failing case" 1 \
	"FAIL seccomp_bpf:global.user_notification_basic: not ok
ktap: 3 passed, 1 failed, 0 skipped" one-fail.log

ktap "skipped cases and a skipped binary (1..0 # SKIP)" 0 \
	"SKIP seccomp_bpf:global.kcmp: Kernel does not support kcmp() (missing CONFIG_KCMP?)
SKIP seccomp_bpf:TSYNC.two_siblings_with_ancestor: Kernel does not support SECCOMP_FILTER_FLAG_TSYNC
SKIP seccomp_benchmark: Requires CAP_SYS_ADMIN to change bpf_jit_harden
ktap: 2 passed, 0 failed, 3 skipped" skip.log

ktap "xfail counts as passed" 0 \
	"XFAIL seccomp_bpf:TRACE_syscall.ptrace.negative_ENOSYS: unknown
ktap: 3 passed, 0 failed, 0 skipped" xfail.log

ktap "xpass counts as failed" 1 \
	"FAIL seccomp_bpf:TRACE_syscall.ptrace.negative_ENOSYS: XPASS unknown
ktap: 2 passed, 1 failed, 0 skipped" xpass.log

ktap "two binaries with nested subtests" 1 \
	"FAIL seccomp_bpf:global.user_notification_continue: not ok
SKIP seccomp_bpf:user_notification_addfd.basic: Kernel does not support SECCOMP_IOCTL_NOTIF_ADDFD
ktap: 4 passed, 1 failed, 1 skipped" nested.log

ktap "KTAP v1 from the kernel (timestamps, indentation) then kselftest" 1 \
	"SKIP example:example_skip_test: this test should be skipped
SKIP example:example_params_test:example value 3: unsupported param value 3
FAIL kunit_status:kunit_status_mark_skipped_test: not ok
ktap: 6 passed, 1 failed, 2 skipped" ktap-v1.log

ktap "KTAP v1 indentation, three levels" 1 \
	"SKIP notif:continue_y: no user notification support
FAIL filter:arch_matrix:arch i386: missing compat
ktap: 3 passed, 1 failed, 1 skipped" ktap-v1-plain.log

ktap "truncated log: missing subtests and top-level tests fail" 1 \
	"FAIL seccomp_bpf:<missing #4>: never reported (started: global.user_notification_basic)
FAIL seccomp_bpf:<missing #5>: never reported
FAIL seccomp_bpf:<missing #6>: never reported
FAIL <missing #2>: never reported
ktap: 3 passed, 4 failed, 0 skipped" truncated.log

ktap "garbage, escapes, NULs and a printk inside a result line" 0 \
	"ktap: 4 passed, 0 failed, 0 skipped" garbage.log

ktap "a top-level test that never reports" 1 \
	"FAIL <missing #3>: never reported (started: seccomp_continue)
ktap: 2 passed, 1 failed, 0 skipped" never-reports.log

ktap "parent not ok (TIMEOUT) with passing or missing children" 1 \
	"FAIL seccomp_bpf: TIMEOUT 180 seconds
FAIL seccomp_continue:<missing #3>: never reported (TIMEOUT 180 seconds; started: notif.continue_blocked)
FAIL seccomp_continue:<missing #4>: never reported (TIMEOUT 180 seconds)
ktap: 5 passed, 3 failed, 0 skipped" timeout.log

ktap "Bail out! in a binary" 1 \
	"FAIL seccomp_bpf:<missing #2>: never reported (exit=1; Bail out! Cannot allocate listener: Too many open files)
FAIL seccomp_bpf:<missing #3>: never reported (exit=1; Bail out! Cannot allocate listener: Too many open files)
ktap: 1 passed, 2 failed, 0 skipped" bail.log

ktap "no KTAP at all" 1 \
	"FAIL <stream>: no KTAP output found
ktap: 0 passed, 1 failed, 0 skipped" no-ktap.log

# --results: one "<name>\t<PASS|FAIL|SKIP>" line per leaf
ktap "--results on nested subtests" 1 \
	"FAIL seccomp_bpf:global.user_notification_continue: not ok
SKIP seccomp_bpf:user_notification_addfd.basic: Kernel does not support SECCOMP_IOCTL_NOTIF_ADDFD
ktap: 4 passed, 1 failed, 1 skipped" nested.log --results "$TMP/nested.results"
t_expect_file "ktap: --results file of nested subtests" \
	"$(<"$FIX/nested.results")" "$TMP/nested.results"

"${KTAP[@]}" --results "$TMP/xfail.results" "$FIX/xfail.log" >/dev/null
t_expect_file "ktap: --results reports xfail as PASS" \
	"seccomp_bpf:global.kcmp	PASS
seccomp_bpf:TRACE_syscall.ptrace.negative_ENOSYS	PASS
seccomp_bpf:TRACE_syscall.ptrace.syscall_faked	PASS" "$TMP/xfail.results"

"${KTAP[@]}" --results "$TMP/truncated.results" "$FIX/truncated.log" >/dev/null || true
t_expect_file "ktap: --results lists missing tests as FAIL" \
	"seccomp_bpf:global.kcmp	PASS
seccomp_bpf:global.mode_strict_support	PASS
seccomp_bpf:global.mode_filter_support	PASS
seccomp_bpf:<missing #4>	FAIL
seccomp_bpf:<missing #5>	FAIL
seccomp_bpf:<missing #6>	FAIL
<missing #2>	FAIL" "$TMP/truncated.results"

# --expect
ktap "--expect of reported tests" 0 \
	"ktap: 5 passed, 0 failed, 0 skipped" all-pass.log \
	--expect seccomp_bpf --expect "selftests: seccomp: seccomp_bpf"

ktap "--expect of a test never reported" 1 \
	"FAIL seccomp_continue: never reported
ktap: 5 passed, 1 failed, 0 skipped" all-pass.log \
	--expect seccomp_bpf --expect seccomp_continue

ktap "--expect of a started, unreported test counts once" 1 \
	"FAIL <missing #3>: never reported (started: seccomp_continue)
ktap: 2 passed, 1 failed, 0 skipped" never-reports.log --expect seccomp_continue

ktap "--expect with no KTAP at all" 1 \
	"FAIL <stream>: no KTAP output found
FAIL seccomp_bpf: never reported
ktap: 0 passed, 2 failed, 0 skipped" no-ktap.log --expect seccomp_bpf

"${KTAP[@]}" --results "$TMP/garbage.results" "$FIX/garbage.log" >/dev/null
t_expect_file "ktap: --results names a result line split by a printk" \
	"seccomp_bpf:global.kcmp	PASS
seccomp_bpf:global.mode_strict_support	PASS
seccomp_bpf:global.mode_filter_support	PASS
seccomp_bpf:global.no_new_privs_support	PASS" "$TMP/garbage.results"

"${KTAP[@]}" --results "$TMP/kmsg-split.results" "$FIX/kmsg-split.log" >/dev/null
t_expect_file "ktap: --results names result lines split by a /dev/kmsg write (no printk time)" \
	"seccomp_bpf_nested:global.kcmp	PASS
nested-fuzz:model agrees on every chain	PASS" "$TMP/kmsg-split.results"

# stdin, LF line ends, --prefix
ktap_stdin() {
	tr -d '\r' <"$1" | "${KTAP[@]}" --prefix seccomp -
}
t_expect_run "ktap: stdin with LF line ends and --prefix" 0 \
	"seccomp: 5 passed, 0 failed, 0 skipped" ktap_stdin "$FIX/all-pass.log"

: >"$TMP/empty.log"
t_expect_run "ktap: empty log" 1 \
	"FAIL <stream>: no KTAP output found
ktap: 0 passed, 1 failed, 0 skipped" "${KTAP[@]}" "$TMP/empty.log"

printf 'TAP version 13\n' >"$TMP/header-only.log"
t_expect_run "ktap: a stream without any plan or result" 1 \
	"FAIL <stream>: KTAP stream without results
ktap: 0 passed, 1 failed, 0 skipped" "${KTAP[@]}" "$TMP/header-only.log"

# usage and I/O errors: status 2, nothing on stdout
t_expect_run "ktap: unreadable log is an I/O error" 2 "" \
	"${KTAP[@]}" "$TMP/does-not-exist.log"
t_expect_run "ktap: missing LOG is a usage error" 2 "" "${KTAP[@]}"
t_expect_run "ktap: unknown option is a usage error" 2 "" \
	"${KTAP[@]}" --bogus "$FIX/all-pass.log"

if command -v pyflakes3 >/dev/null; then
	t_check "ktap: pyflakes-clean" pyflakes3 "$HERE/../ktap.py"
else
	t_ok "ktap: pyflakes-clean" "# SKIP pyflakes3 not installed"
fi

t_done
