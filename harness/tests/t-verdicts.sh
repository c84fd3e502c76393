#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The helpers of harness/check/kernels.sh that judge the nested kernel's
# differential, on made-up sources and results: test_names (TEST,
# TEST_SIGNAL, TEST_F*, names with capitals), stock_ran (the cases that
# ran but the RFC's, variants included) and rfc_verdicts (the names of a
# list whose verdict is not the one wanted, or that did not run), and
# check_fuzz (the fuzzer's summary line, its mode and its differences).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
HARNESS=$(dirname "$here")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
O=$tmp
STEP_OUT=$tmp/step.out
step() { printf '%s %s: %s\n' "$2" "$1" "${3:-}" >"$STEP_OUT"; }
# shellcheck source=harness/check/kernels.sh
source "$HARNESS/check/kernels.sh"

cat >"$tmp/t.c" <<'SRC'
TEST(plain)
TEST_SIGNAL(KILL_one, SIGSYS)
TEST(negative_ENOSYS)
TEST_F(TRACE_syscall, skip_after)
TEST_F_SIGNAL(TRACE_syscall, kill_after, SIGSYS)
TEST_F_TIMEOUT(TSYNC, two_siblings, 60)
static void TEST_not_a_test(void)
SRC
t_expect_output "verdicts: test_names: TEST, TEST_SIGNAL, TEST_F*, capitals" \
	"$(printf '%s\n' TRACE_syscall.kill_after TRACE_syscall.skip_after TSYNC.two_siblings \
		global.KILL_one global.negative_ENOSYS global.plain)" test_names "$tmp/t.c"

tab=$(printf '\t')
# A stock run and a nested run of seccomp_bpf_nested: variants, an RFC test.
printf 'seccomp_bpf_nested:global.a%sPASS\nseccomp_bpf_nested:F.v1.b%sPASS\nseccomp_bpf_nested:global.new%sSKIP\nseccomp_bpf:global.other%sPASS\n' \
	"$tab" "$tab" "$tab" "$tab" >"$O/results-stock.tsv"
printf 'seccomp_bpf_nested:global.a%sPASS\nseccomp_bpf_nested:F.v1.b%sFAIL\nseccomp_bpf_nested:global.new%sPASS\n' \
	"$tab" "$tab" "$tab" >"$O/results-nested.tsv"
t_expect_output "verdicts: stock_ran: the cases that ran but the RFC's" \
	"$(printf '%s\n' F.v1.b global.a)" stock_ran stock global.new
t_expect_output "verdicts: rfc_verdicts: a failed stock case is named" \
	"F.v1.b" rfc_verdicts nested "$(printf '%s\n' F.v1.b global.a)" PASS
t_expect_output "verdicts: rfc_verdicts: a case that did not run is named" \
	"global.gone" rfc_verdicts stock "$(printf '%s\n' global.a global.gone)" PASS
t_expect_output "verdicts: rfc_verdicts: all as wanted, nothing named" \
	"" rfc_verdicts stock global.new SKIP

# check_fuzz KERNEL LOG MODE on a console log with CRs, as the guest's.
fuzz() {
	printf '# # nested-fuzz: %s\r\n' "$1" >"$tmp/log"
	: >"$STEP_OUT"
	FUZZ_SUMMARY=
	check_fuzz stock "$tmp/log" "$2"
	cut -d' ' -f1 "$STEP_OUT"
}
sum='500 chains, 4395 checks, %s differences, 0 bad notifications, 0 hangs, 5.0 s (seed 1, %s)'
# shellcheck disable=SC2059 # the format is $sum
t_expect_output "verdicts: check_fuzz: no difference, the mode wanted" PASS \
	fuzz "$(printf "$sum" 0 'no flags')" 'no flags'
# shellcheck disable=SC2059
t_expect_output "verdicts: check_fuzz: a difference fails" FAIL \
	fuzz "$(printf "$sum" 1 'no flags')" 'no flags'
# shellcheck disable=SC2059
t_expect_output "verdicts: check_fuzz: the other mode fails" FAIL \
	fuzz "$(printf "$sum" 0 'no flags')" flags
t_expect_output "verdicts: check_fuzz: no summary line fails" FAIL fuzz "" flags

t_done
