#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmtest.sh: stock kernel source -> before/after trees -> kernel -> seccomp
# kselftests in QEMU -> KTAP summary.  The Makefile is the front door; this
# script holds the stages.  Modelled on tools/testing/selftests/bpf/vmtest.sh.
#
#   vmtest.sh run [KERNEL]         all stages, run the tests in KERNEL (a
#                                  name of harness/config/kernels.sh:
#                                  before, after, stock ...; default after)
#   vmtest.sh test [KERNEL]        boot a built kernel (or mutant-NAME) and
#                                  run the tests only
#   vmtest.sh shell [KERNEL]       boot a kernel into a busybox shell
#   vmtest.sh prepare              deps, source, before and after trees
#   vmtest.sh build [KERNEL]       prepare, then config, kernel and headers
#   vmtest.sh selftests            build and install the kselftests only
#   vmtest.sh kselftest-install    the seccomp target's standard install
#                                  tree and tarball, for other machines
#   vmtest.sh series               export the after tree to patches/
#   vmtest.sh paths                print name=path lines
#   vmtest.sh deps [--check]       install (or only check) what is needed
#   vmtest.sh kmake TREE KB ARGS   make in TREE with output in KB, as the
#                                  kernels are built (ccache, arch)
#
# Environment: O (output dir, default build/), KSRC (kernel tree, default
# Debian's linux-source-6.12 tarball), T (glob of tests to run, e.g.
# 'seccomp_continue'), ACCEL (kvm|tcg, default: probe), VM_TIMEOUT (s),
# GUEST_INIT (alternative /init for the guest), JOBS (make -j), ARCH
# (x86_64|arm64: harness/config/arch/; arm64 builds after-arm64 with LLVM
# and boots qemu-system-aarch64 -M virt), DEBUG=1 (the debug kernel,
# after-debug: harness/config/debug.config).
#
# The stages live in harness/lib/, one file each (the list: lib/load.sh).

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HARNESS/lib/load.sh"

# --------------------------------------------------------------------------
# Commands: the stages in order.

stage_prepare() {
	local which=${1:-after}

	stage_deps
	stage_source
	stage_tree after
	[ "$which" = after ] || stage_tree "$which"
}

stage_build() {
	local which=${1:-after}

	need_kernel vmtest "$which"
	stage_prepare "$which"
	stage_config "$which"
	stage_kernel "$which"
}

cmd_run() {
	local which=${1:-after}

	stage_build "$which"
	if [ "$which" != after ]; then
		stage_config after
		stage_kernel after
	fi
	stage_selftests "$which"
	stage_initramfs
	stage_tests "$which"
}

# Boot an already built kernel with the installed tests (no build stages).
cmd_test() {
	local which=${1:-after}

	stage_initramfs
	stage_tests "$which"
}

cmd_shell() {
	local which=${1:-after} append=

	stage_build "$which"
	if [ "$which" != after ]; then
		stage_config after
		stage_kernel after
	fi
	stage_selftests "$which"
	stage_initramfs
	if [ -n "$T" ]; then
		append="vmtest.tests=$(IFS=,; mapfile -t s < <(select_tests); echo "${s[*]}")"
	fi
	boot_guest "$which" shell "$O/console-shell.log" "$append"
}

main() {
	local cmd=${1:-run}

	shift || true
	mkdir -p "$LOGS" "$STAMPS" "$TREES"
	case "$cmd" in
	run) cmd_run "$@" ;;
	test) cmd_test "$@" ;;
	shell) cmd_shell "$@" ;;
	prepare) stage_prepare "$@" ;;
	build) stage_build "$@" ;;
	selftests) stage_selftests "$@" ;;
	kselftest-install) cmd_kselftest_install ;;
	series) cmd_series "$@" ;;
	paths) cmd_paths ;;
	deps) stage_deps "$@" ;;
	kmake) kmake "$@" ;;
	*) echo "usage: $0 run|test|shell|prepare|build|selftests|kselftest-install|series|paths|deps|kmake" >&2
	   exit 2 ;;
	esac
}

main "$@"; exit
