#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench's gates (harness/bench.sh --gate-csv) on a measured CSV
# (harness/tests/bench/bench.csv, make bench's exact-mode report of the
# four kernels) and on copies of it changed on purpose: each gate must
# fail when its ratio leaves its band, and pass inside it.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
BENCH_SH=$(dirname "$here")/bench.sh
CSV=$here/bench/bench.csv

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export O=$tmp/build
mkdir -p "$O/bench" "$O/logs"

# doctor OUT KERNEL SYSCALL WORKLOAD AWK-EXPR: CSV with that row's median
# ($8) replaced by AWK-EXPR of it (m).
doctor() {
	awk -F, -v OFS=, -v k="$2" -v s="$3" -v w="$4" "
		\$2 == k && \$4 == s && \$5 == w { m = \$8; \$8 = $5 } { print }" "$CSV" >"$1"
}

# gate_lines CSV: the gates' verdict lines and the closing line.
gate_lines() {
	"$BENCH_SH" --gate-csv "$1" 2>&1 | grep -E '^(gate: FAIL|bench: gates)' || true
}

t_expect_status "bench: the measured CSV passes every gate" 0 "$BENCH_SH" --gate-csv "$CSV"
t_expect_output "bench: 31 gates on the four kernels" "bench: gates 31 passed, 0 failed" \
	gate_lines "$CSV"

doctor "$tmp/allow9.csv" nested getppid allow "m + 9"
t_expect_status "bench: nested/stock allow 9 instructions dearer fails" 1 \
	"$BENCH_SH" --gate-csv "$tmp/allow9.csv"
t_check "bench: ... naming the gate" \
	grep -q '^gate: FAIL nested/stock getppid allow: ' <(gate_lines "$tmp/allow9.csv")

doctor "$tmp/allow3.csv" stock getppid allow "m - 0.5"
t_expect_status "bench: nested allow +3.4 instructions passes (the 4-instruction floor)" 0 \
	"$BENCH_SH" --gate-csv "$tmp/allow3.csv"

doctor "$tmp/openat.csv" nested openat spoof "m * 1.006"
t_check "bench: nested openat spoof 0.6 % dearer than measured fails (1.0101: 0.5 % band)" \
	grep -q '^gate: FAIL nested/stock openat spoof: ' <(gate_lines "$tmp/openat.csv")

doctor "$tmp/cont.csv" nested getppid continue "m * 1.011"
t_check "bench: nested/stock continue +1.1 % fails (1 % band)" \
	grep -q '^gate: FAIL nested/stock getppid continue: ' <(gate_lines "$tmp/cont.csv")

doctor "$tmp/flat.csv" nested getppid nested-8 "6600"
t_check "bench: listeners that cost nothing fail the per-listener gate" \
	grep -q '^gate: FAIL nested per-hop/round-trip getppid nested-8: 0\.' <(gate_lines "$tmp/flat.csv")

doctor "$tmp/steep.csv" nested getppid nested-8 "m * 1.5"
t_check "bench: listeners that cost 2.7 round trips each fail it" \
	grep -q '^gate: FAIL nested per-hop/round-trip ' <(gate_lines "$tmp/steep.csv")

grep -v '^exact,nested,pinned,getppid,spoof,' "$CSV" >"$tmp/missing.csv"
t_check "bench: a workload missing on the nested kernel fails" \
	grep -q '^gate: FAIL nested/stock getppid spoof: missing' <(gate_lines "$tmp/missing.csv")

doctor "$tmp/after.csv" after getppid ret-trace "m * 1.006"
t_check "bench: after/before ret-trace +0.6 % still fails" \
	grep -q '^gate: FAIL after/before getppid ret-trace: ' <(gate_lines "$tmp/after.csv")

t_done
