#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh (make bench): what continuing a syscall costs, against mainline
# and against the alternatives, on three kernels built with the same
# .config:
#   after   the series (build/trees/after)
#   before  without the series (build/trees/before)
#   stock   the untouched import, mainline's own CONTINUE: a worktree of
#           the before tree at its parent (build/trees/stock)
#   nested  stock plus the nested-listeners RFC (rfc/, build/trees/nested):
#           on chains without its flag it must cost what stock does; its
#           nested-N workloads continue through N flagged listeners
# Each kernel boots harness/guest/bench-init with harness/guest/notif-bench
# (and the stock kselftest seccomp_benchmark) in its own initramfs
# (build/bench/initramfs.cpio.gz).
#
# Modes (BENCH_MODE):
#   exact  (default) single-threaded TCG, -icount shift=0,sleep=off: guest
#          time advances 1 ns per guest instruction, so each figure is
#          guest instructions per call, the same on every run and whatever
#          the host's load: ratios and gates come from this mode.  The
#          kernels boot in parallel (BENCH_JOBS).
#   wall   multi-threaded TCG (KVM when the probe says it works), ns per
#          call, min/median/max, pinned (supervisor and target on CPU 0)
#          and unpinned; no gates.
# make bench also boots each kernel once in wall mode for seccomp_benchmark,
# the filter-cost reference (BENCH_KST=0: not).
#
#   bench.sh                  build the three kernels, run, report, gates
#   bench.sh --no-build       the same with the kernels as they are
#   bench.sh --gate-short     make check's gate: the four kernels, exact,
#                             getppid on the paths that do not continue
#                             and continue (after/before, after/stock and
#                             nested/stock)
#   bench.sh --gate-csv CSV   only evaluate the gates of a report's CSV
#
# Output in build/bench/: bench.md (the report), bench.csv, gates.csv,
# seccomp_benchmark.csv, bench.png, bench-hops.png (the nested-N line),
# console-{exact,kst}-KERNEL.log (wall mode: bench-wall.*,
# console-wall-KERNEL.log); the short gate writes gate-short.{md,csv} and
# gate-short-gates.csv.
# Gates (exact mode): after/stock within 1.00 +- 0.01 for the workloads
# that continue, after/before within 1.000 +- 0.005 for every other one;
# nested/stock, on chains without the RFC's flag, within 1.000 +- 0.005
# for every workload that does not continue and 1.00 +- 0.01 for those
# that do (the RFC tests one bit there, as the series does against
# before); and the cost each nested listener adds, (nested-8 - nested-1)
# / 7, within HOP_LOW..HOP_HIGH of one notification round trip (continue
# - allow on the nested kernel).  A ratio band is at least GATE_FLOOR
# guest instructions wide: 0.5 % of an allowed getppid (about 380) is two
# instructions, less than what moving one variable between a register
# and the stack costs.
#
# Environment: BENCH_MODE, BENCH_KERNELS ("after before stock nested"),
# BENCH_COUNT (calls per repetition, native and allow: 20000),
# BENCH_NOTIF_COUNT (the supervised workloads: 2000), BENCH_REPS (7),
# BENCH_JOBS (parallel exact boots: 3), BENCH_TIMEOUT (s per boot: 1800),
# BENCH_KST_SAMPLES (seccomp_benchmark: 500000), BENCH_KST (1),
# BENCH_TRIES (boots until the guest clock is the TSC: 3), O, JOBS.

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HARNESS/lib/load.sh"

BENCH=$O/bench
BENCH_MODE=${BENCH_MODE:-exact}
BENCH_KERNELS=${BENCH_KERNELS:-after before stock nested}
BENCH_COUNT=${BENCH_COUNT:-20000}
BENCH_NOTIF_COUNT=${BENCH_NOTIF_COUNT:-2000}
BENCH_REPS=${BENCH_REPS:-7}
BENCH_JOBS=${BENCH_JOBS:-3}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
BENCH_KST_SAMPLES=${BENCH_KST_SAMPLES:-500000}
BENCH_KST=${BENCH_KST:-1}
BENCH_TRIES=${BENCH_TRIES:-3}
# The guest's clock: TSC, told not to doubt itself (no HPET or ACPI PM
# timer to check it against in this kernel).  Without the settling sleep
# the runs would start on tsc-early and the TSC refinement about a second
# in would switch clocksources under them.
BENCH_CLOCK="clocksource=tsc tsc=reliable"
BENCH_SETTLE=3
# The short gate: getppid only, the paths that do not continue and
# continue (gated against stock; n/a on before).
SHORT_WORKLOADS=native,allow,spoof,ret-trace,ptrace-syscall,continue
# Workloads that continue (gated against stock); every other is gated
# against before.
CONTINUE_WORKLOADS="continue continue-sync"
CONTINUE_BAND=0.01
OTHER_BAND=0.005
# The RFC's workloads (nested-N: N flagged listeners), and the band of the
# cost per listener, as a multiple of one notification round trip.
HOP_WORKLOADS="nested-1 nested-2 nested-4 nested-8"
HOP_LOW=1.5
HOP_HIGH=2.5
GATE_FLOOR=4
KIMAGE=${KIMAGE:-arch/x86/boot/bzImage}
QEMU_BIN=${QEMU_BIN:-qemu-system-x86_64}

bench_die() { die bench "$@"; }

# --------------------------------------------------------------------------
# Kernels

stage_kernels() {
	local which

	stage_prepare_trees
	for which in $BENCH_KERNELS; do
		stage_config "$which"
		stage_kernel "$which"
	done
}

stage_prepare_trees() {
	local which

	# shellcheck disable=SC2119 # no arguments: install what is missing
	stage_deps
	stage_source
	for which in $BENCH_KERNELS; do
		stage_tree "$which"
	done
}

kernel_image() { echo "$(kbuild_dir "$1")/$KIMAGE"; }

# The kernels compared must differ in their source only.
check_same_config() {
	local which first="" kb

	for which in $BENCH_KERNELS; do
		kb=$(kbuild_dir "$which")
		[ -f "$(kernel_image "$which")" ] ||
			bench_die "$(kernel_image "$which") missing: run 'make bench' (it builds the $which kernel)"
		if [ -z "$first" ]; then
			first=$which
		elif ! cmp -s "$(kbuild_dir "$first")/.config" "$kb/.config"; then
			bench_die "the $first and $which kernels have different .configs ($(kbuild_dir "$first")/.config, $kb/.config): not comparable; rebuild with 'make bench'"
		fi
	done
}

# --------------------------------------------------------------------------
# Guest programs and initramfs

stage_bench_initramfs() {
	local root=$BENCH/initramfs/root hdr kst applet

	hdr=$(kbuild_dir after)/usr/include
	[ -f "$hdr/linux/seccomp.h" ] ||
		bench_die "after headers missing ($hdr): build the after kernel first"
	mkdir -p "$BENCH"
	guest_cc "$BENCH/notif-bench" "$HARNESS/guest/notif-bench.c" -lpthread
	kst=$KST_INSTALL/seccomp/seccomp_benchmark
	if [ ! -x "$kst" ]; then
		stage_selftests after
	fi
	command -v busybox >/dev/null ||
		bench_die "busybox not found: apt-get install busybox-static"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp}
	cp "$(command -v busybox)" "$root/bin/busybox"
	while read -r applet; do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done < <(busybox --list-full)
	install -m 755 "$HARNESS/guest/bench-init" "$root/init"
	cp "$BENCH/notif-bench" "$kst" "$root/usr/bin/"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
		>"$BENCH/initramfs.cpio.gz"
	say bench "notif-bench and seccomp_benchmark in $BENCH/initramfs.cpio.gz"
}

# --------------------------------------------------------------------------
# Boots

WALL_ACCEL=

wall_accel() {
	if [ -z "$WALL_ACCEL" ]; then
		WALL_ACCEL=${ACCEL:-$(probe_accel "$(kernel_image after)")}
	fi
	echo "$WALL_ACCEL"
}

# qemu_line MODE: the accelerator part of the QEMU command line.
qemu_accel() {
	case "$1" in
	exact) echo "-accel tcg,thread=single -icount shift=0,sleep=off -cpu max" ;;
	wall)
		if [ "$(wall_accel)" = kvm ]; then
			echo "-accel kvm -cpu host"
		else
			echo "-accel tcg,thread=multi -cpu max"
		fi ;;
	esac
}

# bench_boot KERNEL MODE RUNS ARGS LOG: boot, run, power off.
bench_boot() {
	local which=$1 mode=$2 runs=$3 args=$4 log=$5
	local -a accel qemu

	read -ra accel <<<"$(qemu_accel "$mode")"
	qemu=("$QEMU_BIN" -M pc "${accel[@]}" -smp "$QEMU_SMP" -m 128M
	      -nodefaults -display none -no-reboot -serial stdio
	      -kernel "$(kernel_image "$which")" -initrd "$BENCH/initramfs.cpio.gz"
	      -append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 $BENCH_CLOCK bench.settle=$BENCH_SETTLE bench.runs=$runs bench.args=$args bench.kst=$BENCH_KST_SAMPLES")
	printf '%q ' "${qemu[@]}" >"$log.cmd"
	timeout -k 5 "$BENCH_TIMEOUT" "${qemu[@]}" </dev/null >"$log" 2>&1
}

# boot_tsc KERNEL MODE RUNS ARGS LOG: bench_boot until the guest runs on the
# TSC.  Under a loaded host, multi-threaded TCG sometimes fails the boot's
# TSC calibration, and the guest falls back to refined-jiffies (4 ms):
# such a boot is done again, up to BENCH_TRIES times.
boot_tsc() {
	local try

	for try in $(seq "$BENCH_TRIES"); do
		bench_boot "$@" || true
		if grep -q '^bench-guest: clocksource tsc (' "$5"; then
			return
		fi
		echo "[bench] $2: $1: boot $try of $BENCH_TRIES: guest clocksource $(sed -n 's/^bench-guest: clocksource \([^ ]*\) (.*/\1/p' "$5" | tr -d '\r'), not tsc"
		cp "$5" "$5.try$try"
	done
}

# check_log LOG: the guest finished and nothing failed in it.
check_log() {
	local log=$1 splat

	splat=$(console_splats "$log" 2>/dev/null || true)
	if [ -n "$splat" ]; then
		echo "[bench] ERROR: kernel splat in $log:"
		echo "$splat"
		return 1
	fi
	if grep -q '^notif-bench: FAIL' "$log"; then
		echo "[bench] ERROR: wrong results in $log:"
		grep '^notif-bench: FAIL' "$log" | sed 's/^/    /'
		return 1
	fi
	if ! grep -q '^bench-guest: clocksource tsc (' "$log"; then
		echo "[bench] ERROR: the guest did not run on the TSC ($log):"
		grep '^bench-guest: clocksource' "$log" | sed 's/^/    /'
		return 1
	fi
	if ! grep -q '^bench-exit: 0' "$log"; then
		echo "[bench] ERROR: the guest did not finish cleanly ($log); last lines:"
		tr -d '\r' <"$log" | grep -v '^\s*$' | tail -n 15 | sed 's/^/    /'
		return 1
	fi
}

# run_boots TAG MODE RUNS ARGS PARALLEL: boot each kernel, PARALLEL at a
# time, console in console-TAG-KERNEL.log.
run_boots() {
	local tag=$1 mode=$2 runs=$3 args=$4 par=$5 which log bad=0 t0 pid
	local -a pids=() names=()

	for which in $BENCH_KERNELS; do
		log=$BENCH/console-$tag-$which.log
		echo "[bench] $mode: $which kernel, runs $runs (console: $log)"
		t0=$(date +%s)
		( boot_tsc "$which" "$mode" "$runs" "$args" "$log"
		  echo "$(( $(date +%s) - t0 ))" >"$log.secs" ) &
		pids+=("$!")
		names+=("$which")
		if [ "${#pids[@]}" -ge "$par" ]; then
			wait "${pids[0]}" || true
			pids=("${pids[@]:1}")
		fi
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || true
	done
	for which in "${names[@]}"; do
		log=$BENCH/console-$tag-$which.log
		if check_log "$log"; then
			say bench "$mode: $which done in $(cat "$log.secs" 2>/dev/null)s"
		else
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || bench_die "a $mode run failed (see above)"
}

# --------------------------------------------------------------------------
# Results

CSV_HEADER=mode,kernel,cpu,syscall,workload,count,reps,median,min,max,unit,status,ratio_native

# csv_rows MODE KERNEL LOG: the log's notif-bench lines as CSV rows.
csv_rows() {
	local mode=$1 which=$2 log=$3 unit=ns

	[ "$mode" = exact ] && unit="guest-insns"
	tr -d '\r' <"$log" | awk -v mode="$mode" -v k="$which" -v unit="$unit" '
		/^bench-run: begin / { run = $3 }
		/^notif-bench: / && $2 != "FAIL" && $2 !~ /=/ && $2 != "done," {
			if ($4 == "n/a") {
				printf "%s,%s,%s,%s,%s,,,,,,%s,n/a %s\n",
				       mode, k, run, $2, $3, unit, $5
				next
			}
			delete v
			for (i = 4; i <= NF; i++) {
				split($i, kv, "=")
				v[kv[1]] = kv[2]
			}
			printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,ok\n", mode, k,
			       run, $2, $3, v["count"], v["reps"], v["median"],
			       v["min"], v["max"], unit
		}'
}

# add_ratios: CSV rows on stdin, the ratio to native of the same mode,
# kernel, cpu placement and syscall appended.
add_ratios() {
	awk -F, -v OFS=, '
		{ row[NR] = $0; key[NR] = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
		  if ($5 == "native" && $12 == "ok") native[key[NR]] = $8 }
		END {
			for (i = 1; i <= NR; i++) {
				split(row[i], f, ",")
				r = ""
				if (f[12] == "ok" && native[key[i]] > 0)
					r = sprintf("%.3f", f[8] / native[key[i]])
				print row[i], r
			}
		}'
}

# gates CSV GATES-CSV: evaluate the gates of an exact-mode CSV; print one
# line each, write them to GATES-CSV, fail if one fails.
gates() {
	local csv=$1 out=$2

	awk -F, -v OFS=, -v cont="$CONTINUE_WORKLOADS" -v hopw="$HOP_WORKLOADS" \
	    -v cband="$CONTINUE_BAND" -v oband="$OTHER_BAND" -v out="$out" \
	    -v hlo="$HOP_LOW" -v hhi="$HOP_HIGH" -v floor="$GATE_FLOOR" '
		BEGIN {
			n = split(cont, c, " ")
			for (i = 1; i <= n; i++) iscont[c[i]] = 1
			n = split(hopw, c, " ")
			for (i = 1; i <= n; i++) ishop[c[i]] = 1
			print "gate,syscall,workload,kernel,reference,ratio,low,high,verdict" >out
		}
		NR == 1 || $1 != "exact" || $3 != "pinned" { next }
		{
			w = $4 SUBSEP $5
			if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
			kern[$2] = 1
			if ($12 == "ok") med[w, $2] = $8
			else st[w, $2] = $12
		}
		# What a nested listener adds, against one round trip.
		function hop_gate(    g, rt, hop, r, v) {
			g = "getppid" SUBSEP
			if (!("nested" in kern) || !((g "nested-1", "nested") in med))
				return
			if (((g "nested-8", "nested") in med) && ((g "continue", "nested") in med) &&
			    ((g "allow", "nested") in med)) {
				rt = med[g "continue", "nested"] - med[g "allow", "nested"]
				hop = (med[g "nested-8", "nested"] - med[g "nested-1", "nested"]) / 7
				r = sprintf("%.4f", hop / rt)
				v = (r + 0 >= hlo && r + 0 <= hhi) ? "PASS" : "FAIL"
			} else {
				v = "FAIL"; r = "missing"
			}
			printf "gate: %s nested per-hop/round-trip getppid nested-8: %s (band %.3f-%.3f)\n",
			       v, r, hlo, hhi
			print "hop", "getppid", "nested-N", "nested", "round-trip", r, hlo, hhi, v >>out
			if (v == "FAIL") failed++
			else passed++
		}
		function check(w, k, ref, band, name,    lo, hi, r, v, s, d) {
			lo = 1 - band; hi = 1 + band
			split(w, s, SUBSEP)
			d = ""
			if (!((w, k) in med) || !((w, ref) in med)) {
				v = "FAIL"; r = "missing"
			} else {
				# At least floor guest instructions either way.
				if (band * med[w, ref] < floor) {
					lo = 1 - floor / med[w, ref]; hi = 1 + floor / med[w, ref]
				}
				r = sprintf("%.4f", med[w, k] / med[w, ref])
				d = sprintf(", %+.1f instructions", med[w, k] - med[w, ref])
				v = (r + 0 >= lo && r + 0 <= hi) ? "PASS" : "FAIL"
			}
			printf "gate: %s %s/%s %s %s: %s%s (band %.4f-%.4f)\n", v,
			       k, ref, s[1], s[2], r, d, lo, hi
			print name, s[1], s[2], k, ref, r, lo, hi, v >>out
			if (v == "FAIL") failed++
			else passed++
		}
		END {
			for (i = 1; i <= nw; i++) {
				w = order[i]
				split(w, s, SUBSEP)
				if (s[2] in ishop)
					continue
				# The RFC without its flag: what stock costs.
				if (("nested" in kern) && ("stock" in kern))
					check(w, "nested", "stock", (s[2] in iscont) ? cband : oband, "no-flag")
				if (s[2] in iscont) {
					if ("stock" in kern)
						check(w, "after", "stock", cband, "continue")
					if ((w, "before") in med)
						print "gate: note before " s[1] " " s[2] " ran: CONTINUE accepted without the series?"
				} else if ("before" in kern) {
					check(w, "after", "before", oband, "other")
				}
			}
			hop_gate()
			printf "bench: gates %d passed, %d failed\n", passed, failed
			exit failed > 0
		}' "$csv"
}

# n/a of a workload that needs CONTINUE is right on before only.
check_na() {
	local csv=$1 bad

	bad=$(awk -F, 'NR > 1 && $12 != "ok" &&
		       !($2 == "before" && ($5 == "continue" || $5 == "continue-sync")) &&
		       !($2 != "nested" && $5 ~ /^nested-/) {
			print "    " $2 " " $4 " " $5 ": " $12 }' "$csv")
	if [ -n "$bad" ]; then
		echo "[bench] ERROR: workloads that must run did not:"
		echo "$bad"
		return 1
	fi
}

# The ratios of the report's tables, those whose kernels ran.
RATIOS="after/before after/stock nested/stock"

# md_table CSV MODE CPU: a Markdown table of one mode and placement.
md_table() {
	local csv=$1 mode=$2 cpu=$3

	awk -F, -v mode="$mode" -v cpu="$cpu" -v kl="$BENCH_KERNELS" -v rl="$RATIOS" '
		BEGIN {
			nk = split(kl, ks, " ")
			for (i = 1; i <= nk; i++) has[ks[i]] = 1
			# The ratios whose two kernels ran.
			n = split(rl, rs, " ")
			for (i = 1; i <= n; i++) {
				split(rs[i], p, "/")
				if ((p[1] in has) && (p[2] in has)) {
					nr++; num[nr] = p[1]; den[nr] = p[2]
				}
			}
		}
		NR == 1 || $1 != mode || $3 != cpu { next }
		{
			w = $4 SUBSEP $5
			if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
			if ($12 == "ok") {
				cell[w, $2] = sprintf("%.1f [%.1f–%.1f] ×%.2f", $8, $9, $10, $13)
				med[w, $2] = $8
			} else {
				cell[w, $2] = $12
			}
			unit = $11
		}
		END {
			if (!nw) exit
			h = "| syscall | workload |"; s = "|---|---|"
			for (i = 1; i <= nk; i++) { h = h " " ks[i] " |"; s = s "---|" }
			for (j = 1; j <= nr; j++) { h = h " " num[j] "/" den[j] " |"; s = s "---|" }
			print h; print s
			for (i = 1; i <= nw; i++) {
				w = order[i]; split(w, f, SUBSEP)
				line = "| " f[1] " | " f[2] " |"
				for (j = 1; j <= nk; j++)
					line = line " " ((w, ks[j]) in cell ? cell[w, ks[j]] : "") " |"
				for (j = 1; j <= nr; j++) {
					if ((w, num[j]) in med && (w, den[j]) in med)
						line = line sprintf(" %.4f |", med[w, num[j]] / med[w, den[j]])
					else
						line = line " – |"
				}
				print line
			}
			print ""
			printf "Cells: median [min–max] %s per call over the repetitions, ×ratio to native (same kernel and syscall).\n", unit == "guest-insns" ? "guest instructions" : "ns"
		}' "$csv"
}

# kst_csv TAG: the seccomp_benchmark lines of each kernel's console-TAG
# log (a wall-mode boot), as CSV.
kst_csv() {
	local tag=$1 which log

	echo "kernel,metric,ns"
	for which in $BENCH_KERNELS; do
		log=$BENCH/console-$tag-$which.log
		[ -f "$log" ] || continue
		tr -d '\r' <"$log" | sed -n 's/^# \(getpid .*\|Estimated .*\): \([0-9]*\) ns$/\1\t\2/p' |
			awk -F'\t' -v k="$which" -v OFS=, '{ gsub(",", ";", $1); print k, $1, $2 }'
	done
}

kst_md() {
	awk -F, -v kl="$BENCH_KERNELS" '
		BEGIN { nk = split(kl, ks, " ") }
		NR == 1 { next }
		{ if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }; v[$2, $1] = $3 }
		END {
			if (!n) exit
			h = "| seccomp_benchmark (ns, wall clock) |"; s = "|---|"
			for (i = 1; i <= nk; i++) { h = h " " ks[i] " |"; s = s "---:|" }
			print h; print s
			for (i = 1; i <= n; i++) {
				l = "| " order[i] " |"
				for (j = 1; j <= nk; j++) l = l " " v[order[i], ks[j]] " |"
				print l
			}
		}' "$1"
}

# hops_md CSV MODE: the cost of a getppid continued through N flagged
# listeners on the nested kernel, against one listener and against one
# notification round trip (continue - allow, same kernel).
hops_md() {
	awk -F, -v mode="$1" -v hopw="$HOP_WORKLOADS" '
		$1 == mode && $2 == "nested" && $3 == "pinned" && $4 == "getppid" && $12 == "ok" {
			med[$5] = $8; lo[$5] = $9; hi[$5] = $10
		}
		END {
			n = split(hopw, w, " ")
			if (!(w[1] in med)) exit
			rt = ("continue" in med) && ("allow" in med) ? med["continue"] - med["allow"] : 0
			print "| flagged listeners | guest instructions per call, median [min–max] | ratio to one listener | added per listener since the previous row | that, in round trips |"
			print "|---:|---|---:|---:|---:|"
			for (i = 1; i <= n; i++) {
				if (!(w[i] in med)) continue
				split(w[i], k, "-")
				add = "–"; trips = "–"
				if (i > 1 && (w[i - 1] in med)) {
					split(w[i - 1], pk, "-")
					d = (med[w[i]] - med[w[i - 1]]) / (k[2] - pk[2])
					add = sprintf("%.0f", d)
					if (rt > 0) trips = sprintf("%.3f", d / rt)
				}
				printf "| %d | %.0f [%.0f–%.0f] | %.3f | %s | %s |\n", k[2], med[w[i]],
				       lo[w[i]], hi[w[i]], med[w[i]] / med[w[1]], add, trips
			}
			print ""
			if (rt > 0)
				printf "One notification round trip on the nested kernel (getppid continue - allow, one listener without the flag): %.0f guest instructions.\n", rt
			if (rt > 0 && (w[n] in med))
				printf "Per listener from 1 to %s: %.0f guest instructions, %.3f round trips.\n",
				       substr(w[n], 8), (med[w[n]] - med[w[1]]) / (substr(w[n], 8) - 1),
				       (med[w[n]] - med[w[1]]) / (substr(w[n], 8) - 1) / rt
		}' "$2"
}

# hops_chart CSV PNG: guest instructions per call against the number of
# flagged listeners, with the line of one more round trip per listener.
hops_chart() {
	local csv=$1 png=$2 dat=${2%.png}.dat

	awk -F, '$1 == "exact" && $2 == "nested" && $3 == "pinned" && $4 == "getppid" && $12 == "ok" {
			med[$5] = $8 }
		END {
			if (!("nested-1" in med)) exit
			rt = med["continue"] - med["allow"]
			for (n = 1; n <= 8; n *= 2)
				if (("nested-" n) in med)
					printf "%d %s %.1f\n", n, med["nested-" n], med["nested-1"] + (n - 1) * rt
		}' "$csv" >"$dat"
	[ -s "$dat" ] || return 0
	gnuplot <<-EOF >"$LOGS/bench-gnuplot-hops.log" 2>&1 || bench_die "gnuplot failed" "$LOGS/bench-gnuplot-hops.log"
	set terminal png size 960,600
	set output '$png'
	set title "getppid continued through N flagged listeners (nested kernel, exact mode)\neach listener a supervisor process that answers CONTINUE; $BENCH_NOTIF_COUNT calls x $BENCH_REPS repetitions, medians" noenhanced
	set xlabel 'flagged listeners'
	set ylabel 'guest instructions per call'
	set xtics (1, 2, 4, 8)
	set xrange [0.5:8.5]
	set yrange [0:*]
	set grid
	set key top left
	plot '$dat' using 1:2 with linespoints lw 2 pt 7 title 'measured', \
	     '$dat' using 1:3 with lines dt 2 lw 1 title 'one listener + one round trip (continue - allow) per further listener'
	EOF
}

# chart CSV PNG MODE: ratio to native per workload and kernel.
chart() {
	local csv=$1 png=$2 mode=$3 dat=${2%.png}.dat title

	command -v gnuplot >/dev/null ||
		bench_die "gnuplot not found: apt-get install gnuplot-nox (the PNG chart)"
	awk -F, -v mode="$mode" -v kl="$BENCH_KERNELS" '
		BEGIN { nk = split(kl, ks, " ") }
		NR == 1 || $1 != mode || $3 != "pinned" { next }
		{
			w = $4 "/" $5
			if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
			r[w, $2] = $13 == "" ? "-" : $13
		}
		END {
			printf "workload"
			for (j = 1; j <= nk; j++) printf " %s", ks[j]
			print ""
			for (i = 1; i <= nw; i++) {
				printf "%s", order[i]
				for (j = 1; j <= nk; j++)
					printf " %s", ((order[i], ks[j]) in r) ? r[order[i], ks[j]] : "-"
				print ""
			}
		}' "$csv" >"$dat"
	title="cost of each workload relative to native, per kernel ($mode mode: $([ "$mode" = exact ] && echo "guest instructions" || echo "ns") per call, medians)\\n$(uname -m), $QEMU_BIN $(qemu_accel "$mode"); $BENCH_COUNT / $BENCH_NOTIF_COUNT calls x $BENCH_REPS repetitions"
	gnuplot <<-EOF >"$LOGS/bench-gnuplot.log" 2>&1 || bench_die "gnuplot failed" "$LOGS/bench-gnuplot.log"
	set terminal png size 1280,640
	set output '$png'
	set title "$title" noenhanced
	set bmargin 8
	set rmargin 8
	set style data histogram
	set style histogram cluster gap 1
	set style fill solid 0.8 border -1
	set datafile missing '-'
	set logscale y
	set yrange [0.8:*]
	set grid ytics
	set ylabel 'ratio to native (same kernel and syscall; log scale)'
	set xtics rotate by -35 scale 0
	set key top left
	plot for [i=2:$(( $(wc -w <<<"$BENCH_KERNELS") + 1 ))] '$dat' using i:xtic(1) title columnheader(i)
	EOF
}

# The machine, the accelerator, the mode and the counts: the report's head.
report_head() {
	local mode=$1 which log cs cpus

	echo "- machine: $(uname -m), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs, host kernel $(uname -r)"
	echo "- QEMU: $("$QEMU_BIN" --version | head -n1)"
	echo "- mode: $mode; accelerator: $(qemu_accel "$mode"), -smp $QEMU_SMP -m 128M"
	[ "$mode" = exact ] &&
		echo "- exact mode: 1 ns of guest time = 1 guest instruction; the figures are guest instructions per call"
	echo "- counts: $(cat "$BENCH/counts.txt")"
	echo "- kernel command line: $BENCH_CLOCK (bench.settle=${BENCH_SETTLE}s before the runs)"
	for which in $BENCH_KERNELS; do
		log=$BENCH/console-$mode-$which.log
		[ -f "$log" ] || continue
		cs=$(tr -d '\r' <"$log" | sed -n 's/^bench-guest: clocksource \([^ ]*\) (.*/\1/p' | head -n1)
		cpus=$(tr -d '\r' <"$log" | sed -n 's/^bench-guest: kernel [^ ]*, cpus \([0-9]*\).*/\1/p' | head -n1)
		echo "- $which: $(git -C "$(tree_dir "$which")" log -1 --format='%h %s' | cut -c1-72); guest clocksource $cs, guest CPUs online $cpus; $(cat "$log.secs" 2>/dev/null)s"
	done
}

# --------------------------------------------------------------------------
# Commands

cmd_full() {
	local build=$1 mode=$BENCH_MODE sfx="" kst_tag=kst
	local args runs rc=0 which csv md png kstcsv

	[ "${ARCH:-x86_64}" = x86_64 ] || bench_die "ARCH=$ARCH: make bench runs on x86_64 only"
	case "$mode" in
	exact|wall) ;;
	*) bench_die "BENCH_MODE=$mode: use exact or wall" ;;
	esac
	# The exact report is the one of record; wall mode's has its own names.
	if [ "$mode" = wall ]; then
		sfx=-wall
		kst_tag=wall
	fi
	csv=$BENCH/bench$sfx.csv md=$BENCH/bench$sfx.md png=$BENCH/bench$sfx.png
	kstcsv=$BENCH/seccomp_benchmark$sfx.csv
	if [ "$build" = 1 ]; then
		stage_kernels
	fi
	check_same_config
	stage_bench_initramfs
	args="-n+$BENCH_COUNT+-N+$BENCH_NOTIF_COUNT+-r+$BENCH_REPS"
	echo "$BENCH_COUNT calls per repetition (native, allow), $BENCH_NOTIF_COUNT (supervised workloads), $BENCH_REPS repetitions, median/min/max; seccomp_benchmark $BENCH_KST_SAMPLES samples" >"$BENCH/counts.txt"
	if [ "$mode" = exact ]; then
		rm -f "$BENCH"/console-{exact,kst}-*
		run_boots exact exact pinned "$args" "$BENCH_JOBS"
		if [ "$BENCH_KST" = 1 ]; then
			run_boots kst wall kst "" 1
		fi
	else
		rm -f "$BENCH"/console-wall-*
		runs=pinned,unpinned
		[ "$BENCH_KST" = 1 ] && runs=$runs,kst
		run_boots wall wall "$runs" "$args" 1
	fi

	{
		echo "$CSV_HEADER"
		for which in $BENCH_KERNELS; do
			csv_rows "$mode" "$which" "$BENCH/console-$mode-$which.log"
		done | add_ratios
	} >"$csv"
	kst_csv "$kst_tag" >"$kstcsv"
	chart "$csv" "$png" "$mode"
	[ "$mode" != exact ] || hops_chart "$csv" "$BENCH/bench-hops.png"
	{
		echo "# make bench: $mode mode, $(date -u +%Y-%m-%dT%H:%MZ)"
		echo
		report_head "$mode"
		echo
		if [ "$mode" = wall ]; then
			echo "## pinned (supervisor and target on CPU 0)"
			echo
			md_table "$csv" wall pinned
			echo
			echo "## unpinned"
			echo
			if grep -qs '^bench-guest: kernel [^ ]*, cpus 1 ' "$BENCH"/console-wall-*.log; then
				echo "The guest kernel brings up one CPU (SeaBIOS's MP table lists CPU 0 only and the kernel has no ACPI): supervisor and target share it either way, pinned or not."
				echo
			fi
			md_table "$csv" wall unpinned
		else
			md_table "$csv" exact pinned
		fi
		if [ "$mode" = exact ] && grep -q ',nested,pinned,getppid,nested-1,' "$csv"; then
			echo
			echo "## Nested listeners (the RFC): one getppid through N flagged listeners"
			echo
			hops_md exact "$csv"
			echo
			echo "Chart: bench-hops.png."
		fi
		echo
		kst_md "$kstcsv"
		echo
		echo "Chart: ${png##*/} (ratio to native). CSV: ${csv##*/}$([ "$mode" = exact ] && echo ", gates.csv"), ${kstcsv##*/}."
		echo
		echo '```'
		if [ "$mode" = exact ]; then
			gates "$csv" "$BENCH/gates.csv" || rc=1
		else
			echo "gates: exact mode only (BENCH_MODE=exact)"
		fi
		check_na "$csv" || rc=1
		echo '```'
	} >"$md"
	cat "$md"
	echo "[bench] report: $md, $csv, $png ($(elapsed))"
	[ "$rc" -eq 0 ] || bench_die "a gate or a workload failed (see above)"
}

cmd_gate_short() {
	local csv=$BENCH/gate-short.csv md=$BENCH/gate-short.md rc=0 which args

	BENCH_KERNELS=${BENCH_SHORT_KERNELS:-after before stock nested}
	BENCH_COUNT=${BENCH_SHORT_COUNT:-20000}
	BENCH_NOTIF_COUNT=${BENCH_SHORT_NOTIF_COUNT:-1000}
	BENCH_SETTLE=3
	check_same_config
	stage_bench_initramfs
	args="-n+$BENCH_COUNT+-N+$BENCH_NOTIF_COUNT+-r+$BENCH_REPS+-s+getppid+-w+$SHORT_WORKLOADS"
	echo "short gate: getppid $SHORT_WORKLOADS; $BENCH_COUNT calls (native, allow), $BENCH_NOTIF_COUNT (supervised), $BENCH_REPS repetitions" >"$BENCH/counts.txt"
	rm -f "$BENCH"/console-gate-*.log*
	local -a pids=()
	for which in $BENCH_KERNELS; do
		( boot_tsc "$which" exact pinned "$args" "$BENCH/console-gate-$which.log" ) &
		pids+=("$!")
	done
	for which in "${pids[@]}"; do
		wait "$which" || true
	done
	for which in $BENCH_KERNELS; do
		check_log "$BENCH/console-gate-$which.log" || rc=1
	done
	[ "$rc" -eq 0 ] || bench_die "the short gate's runs failed (see above)"
	{
		echo "$CSV_HEADER"
		for which in $BENCH_KERNELS; do
			csv_rows exact "$which" "$BENCH/console-gate-$which.log"
		done | add_ratios
	} >"$csv"
	md_table "$csv" exact pinned >"$md"
	cat "$md"
	gates "$csv" "$BENCH/gate-short-gates.csv" || rc=1
	check_na "$csv" || rc=1
	echo "[bench] short gate: $csv ($(elapsed))"
	[ "$rc" -eq 0 ] || bench_die "the short gate failed: a path costs more (or less) on after than on before or stock, or on nested than on stock"
}

case "${1:-}" in
"") cmd_full 1 ;;
--no-build) cmd_full 0 ;;
--gate-short) cmd_gate_short ;;
--gate-csv)
	[ -f "${2:-}" ] || bench_die "usage: bench.sh --gate-csv FILE"
	gates "$2" "$BENCH/gate-csv-gates.csv" || bench_die "gates failed in $2"
	;;
*) echo "usage: bench.sh [--no-build | --gate-short | --gate-csv CSV]" >&2; exit 2 ;;
esac
