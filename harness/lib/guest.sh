# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [boot] [tests], the accelerator probe, booting the
# guest, and the one closing line.

# QEMU with KVM may fail or hang here: a 16-byte guest ran, and the kernel
# then stopped on "KVM internal error" at its first xrstor.  So the probe
# boots the kernel itself with KVM, without an initramfs, within 15 s: it
# passes when the kernel gets as far as its "no root" panic.  An arch
# whose QEMU_KVM_CPU is empty (arm64 on this x86_64 host) is always tcg.
probe_accel() {
	local kernel=$1 cache=$STAMPS/accel$ARCH_SUFFIX key log=$O/accel-probe$ARCH_SUFFIX.log

	if [ -z "$QEMU_KVM_CPU" ]; then
		echo tcg
		return
	fi
	key="probe3:$(stat -c %Y "$(command -v "$QEMU_BIN")"):$(stat -c %Y "$kernel"):$([ -e /dev/kvm ] && echo kvm)"
	if [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$key" ]; then
		tail -n1 "$cache"
		return
	fi
	local accel=tcg
	if [ -w /dev/kvm ]; then
		timeout -k 2 15 "$QEMU_BIN" -accel kvm -cpu "$QEMU_KVM_CPU" -M "$QEMU_MACHINE" -m 256M \
			-nodefaults -display none -no-reboot -serial stdio -kernel "$kernel" \
			-append "console=$KCONSOLE panic=-1 loglevel=4" </dev/null >"$log" 2>&1 || true
		if grep -q 'Kernel panic' "$log" && ! grep -q 'KVM internal error' "$log"; then
			accel=kvm
		fi
	fi
	printf '%s\n%s\n' "$key" "$accel" >"$cache"
	echo "$accel"
}

# The kselftest entries to run: all but the benchmark (make bench runs it),
# filtered by T.
select_tests() {
	local entry name

	while read -r entry; do
		name=${entry#*:}
		if [ -n "$T" ]; then
			# shellcheck disable=SC2053
			[[ $name == $T ]] || continue
		elif [ "$name" = seccomp_benchmark ]; then
			continue
		fi
		echo "$entry"
	done <"$KST_GUEST/kselftest-list.txt"
}

# The largest timeout= of the collections' settings files.
settings_timeout() {
	cat "$KST_GUEST"/*/settings 2>/dev/null | sed -n 's/^timeout=//p' |
		sort -n | tail -n1
}

# boot_guest KERNEL MODE CONSOLE EXTRA-APPEND
boot_guest() {
	local which=$1 mode=$2 console=$3 append=$4 accel cpu kernel
	local -a qemu

	kernel=$(kbuild_dir "$which")/$KIMAGE
	[ -f "$kernel" ] || die boot "$kernel missing: run 'make vmtest' first"
	accel=${ACCEL:-$(probe_accel "$kernel")}
	VM_ACCEL=$accel
	case "$accel" in
	kvm) [ -n "$QEMU_KVM_CPU" ] ||
		die boot "ACCEL=kvm: an $ARCH guest cannot use KVM on this $(uname -m) host: use ACCEL=tcg"
	     cpu=$QEMU_KVM_CPU ;;
	tcg) cpu=$QEMU_CPU ;;
	*) die boot "ACCEL=$accel: use kvm or tcg" ;;
	esac
	[ -f "$INITRAMFS" ] || die boot "$INITRAMFS missing: run 'make vmtest' first"
	# The arch's QEMU and console, the variant's command line last.
	qemu=("$QEMU_BIN" -M "$QEMU_MACHINE" -accel "$accel" -cpu "$cpu" -smp "$QEMU_SMP" -m "$QEMU_MEM"
	      -nodefaults -display none -no-reboot
	      -kernel "$kernel" -initrd "$INITRAMFS"
	      -append "console=$KCONSOLE panic=-1 oops=panic quiet loglevel=5 vmtest.mode=$mode $append${VARIANT_APPEND:+ $VARIANT_APPEND}")
	echo "[boot] $(kbuild_name "$which") kernel ($ARCH), $accel, console log: $console"
	if [ "$mode" = shell ]; then
		"${qemu[@]}" -serial mon:stdio
		return
	fi
	local -a st
	set +e
	timeout -k 5 "$VM_TIMEOUT" "${qemu[@]}" -serial stdio </dev/null |
		tee "$console"
	st=("${PIPESTATUS[@]}")
	set -e
	VM_RC=${st[0]}
}

# guest_cpus CONSOLE: how many CPUs the guest had online (its init's
# "cpus online 0-1" list), or nothing if it did not say.
guest_cpus() {
	tr -d '\r' <"$1" | sed -n 's/^vmtest-guest: up, .*, cpus online \([0-9,-]*\)$/\1/p' | head -n1 |
		awk -F, 'NF {n = 0; for (i = 1; i <= NF; i++) {split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1)}; print n}'
}

# stage_tests KERNEL: boot it, run the tests, report.  The console log and
# the results are named after the kernel's build (after, after-debug,
# after-arm64 ...) or RUN_NAME.
stage_tests() {
	local which=$1 name console tests=() summary append
	local guest_errors=() nsel t splat t0 secs cpus

	name=${RUN_NAME:-$(kbuild_name "$which")}
	console=$O/console-$name.log
	mapfile -t tests < <(select_tests)
	nsel=${#tests[@]}
	[ "$nsel" -gt 0 ] || die tests "no installed test matches T='$T' ($(tr '\n' ' ' <"$KST_GUEST/kselftest-list.txt"))"
	for t in "${tests[@]}"; do
		[ -x "$KST_GUEST/${t%%:*}/${t#*:}" ] ||
			die tests "test binary $KST_GUEST/${t%%:*}/${t#*:} missing: rebuild with 'make selftests'" "$LOGS/selftests$ARCH_SUFFIX.log"
	done
	: "${VM_TIMEOUT:=$(( ${SETTINGS_TIMEOUT:-$(settings_timeout)} * nsel + 60 ))}"
	# VMTEST_SEED: the seed of the guest's fuzz and stress programs (make
	# check sets a fixed one); without it, they take one from the time.
	append="vmtest.tests=$(IFS=,; echo "${tests[*]}") ${VMTEST_SEED:+vmtest.seed=$VMTEST_SEED }${VMTEST_APPEND:-}"
	t0=$(date +%s)
	boot_guest "$which" run "$console" "$append"
	secs=$(( $(date +%s) - t0 ))

	if [ "$VM_RC" -eq 124 ] || [ "$VM_RC" -eq 137 ]; then
		guest_errors+=("guest timed out after ${VM_TIMEOUT}s")
	elif [ "$VM_RC" -ne 0 ]; then
		guest_errors+=("QEMU exited with status $VM_RC")
	fi
	splat=$(console_splats "$console")
	if [ -n "$splat" ]; then
		guest_errors+=("$(head -n1 <<<"$splat")")
	fi
	if ! grep -q '^vmtest-exit: ' "$console"; then
		guest_errors+=("guest never reported completion")
	fi
	cpus=$(guest_cpus "$console")
	if [ -n "$cpus" ] && [ "$cpus" -lt "${QEMU_SMP%%,*}" ]; then
		guest_errors+=("guest has $cpus CPU(s) online, -smp $QEMU_SMP asks for ${QEMU_SMP%%,*}: see QEMU_SMP in harness/config/arch/$ARCH.sh")
	fi
	echo
	for t in "${guest_errors[@]}"; do
		if [[ $t == "kernel splat"* ]]; then
			echo "[tests] ERROR: $t ($console):"
			tail -n +2 <<<"$splat"
			continue
		fi
		echo "[tests] ERROR: $t; last console lines ($console):"
		grep -v '^\s*$' "$console" | tail -n 15 | sed 's/^/    /'
	done
	local -a expect=() meta=()
	for t in "${tests[@]}"; do
		expect+=(--expect "${t#*:}")
	done
	meta=(--meta "kernel=$name"
	      --meta "kernel_release=$(sed -n 's/^vmtest-guest: up, kernel \([^ ,]*\).*/\1/p' "$console" | tr -d '\r' | head -n1)"
	      --meta "source=$(head -n1 "$STAMPS/source" 2>/dev/null || true)"
	      --meta "base_commit=$(git -C "$TREES/before" rev-parse --short=12 before 2>/dev/null || true)"
	      --meta "accelerator=${VM_ACCEL:-}" --meta "guest_seconds=$secs"
	      --meta "guest_cpus_online=$(guest_cpus "$console")"
	      --meta "console=$console")
	for t in "${guest_errors[@]}"; do
		meta+=(--guest-error "$t")
	done
	mkdir -p "$RESULTS"
	summary=$(python3 "$HARNESS/ktap.py" --prefix vmtest "${expect[@]}" \
		--results "$O/results-$name.tsv" --ktap "$RESULTS/$name.ktap" \
		--junit "$RESULTS/$name.junit.xml" --json "$RESULTS/$name.json" \
		"${meta[@]}" "$console" || true)
	grep -v '^vmtest: ' <<<"$summary" || true
	report_summary "$(tail -n1 <<<"$summary")" "${#guest_errors[@]}"
}

# report_summary "vmtest: P passed, F failed, S skipped" EXTRA-FAILURES:
# print the one closing line, exit non-zero on any failure.
report_summary() {
	local line=$1 extra=$2 p f s

	if [[ $line =~ ^vmtest:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}; s=${BASH_REMATCH[3]}
	else
		p=0; f=1; s=0
		echo "[tests] ERROR: the KTAP parser gave no summary: $line"
	fi
	f=$((f + extra))
	echo "vmtest: $p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ]
}
