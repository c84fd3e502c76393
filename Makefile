# SPDX-License-Identifier: GPL-2.0
# The front door.  `make` (= make vmtest) builds the patched kernel and the
# seccomp kselftests and runs them in QEMU; `make check` proves the series.
# Variables: K=<kernel> (a name of harness/config/kernels.sh: before,
# after, stock ...; default after), O=<dir> (output, default build/),
# KSRC=<kernel tree>,
# DEBIAN_SRC_VERSION=<v>|installed (the stock source, default the pin of
# harness/lib/common.sh), T=<glob of tests>, ACCEL=kvm|tcg, JOBS=<n>,
# ARCH=x86_64|arm64, DEBUG=1 (the debug kernel); make stress: SCALE=<n>,
# SEED=<n>.

SHELL := /bin/bash
VMTEST := harness/vmtest.sh

.DEFAULT_GOAL := vmtest
.PHONY: vmtest check check-debug check-arch fresh-check shell paths series \
	prepare deps selftests kselftest-install stress bench bench-loop mutants fuzz-honesty ccache-check \
	harness-tests clean help

vmtest:		## build a kernel (K=, default after) + kselftests, run them in QEMU
	@$(VMTEST) run $(or $(K),after)

check:		## the README's test command: prove the series (see README)
	@harness/check.sh

check-debug:	## the debug kernels (KASAN, lockdep, ...) of after and nested: suites, stress, fuzz, no splat
	@harness/check.sh debug debug-nested

check-arch:	## the suite in an arm64 guest (LLVM cross build, TCG): 0 failed
	@harness/check.sh arch

fresh-check:	## make and make check in a fresh Debian 12 minbase root (root; CI)
	@harness/fresh.sh

shell:		## boot a kernel (K=, default after) into a busybox shell (T= runs tests first)
	@$(VMTEST) shell $(K)

paths:		## print name=path lines of the artifacts
	@$(VMTEST) paths

series:		## export the after tree's commits to patches/ (K=, SENDER='Name <email>')
	@$(VMTEST) series $(K)

prepare:	## deps, source import, before and after trees
	@$(VMTEST) prepare

deps:		## install missing Debian packages (check only as non-root)
	@$(VMTEST) deps

selftests:	## rebuild and reinstall the seccomp kselftests only
	@$(VMTEST) selftests

kselftest-install: ## the seccomp kselftest tree + tarball for other machines
	@$(VMTEST) kselftest-install

stress:		## the stress and fuzz programs in a kernel (K=, default after; SCALE=, SEED=)
	@T='@(notif-stress|notif-fuzz|nested-fuzz|nested-stress)' \
	VMTEST_APPEND="vmtest.scale=$(or $(SCALE),1)$(if $(SEED), vmtest.seed=$(SEED))" \
	$(VMTEST) run $(or $(K),after)

fuzz-honesty:	## each decision of the fuzzer's model broken: nested-fuzz must fail (K=nested)
	@harness/fuzz/honesty.sh $(or $(K),nested)

bench:		## after/before/stock kernels, notif-bench (exact), gates, build/bench/
	@harness/bench.sh

bench-loop:	## measure cold / no-op / seccomp.c-only re-run times
	@harness/bench-loop.sh

ccache-check:	## a kernel (K=, default after) built through ccache = built without it
	@harness/ccache-check.sh $(K)

mutants:	## build and boot each harness/mutants/K/ kernel (K=after|nested; after make vmtest K=)
	@harness/mutate.sh $(K)

harness-tests:	## host-side tests of the harness (KTAP parser, faults)
	@VMTEST_CHECK_DEPS=1 $(VMTEST) deps
	@harness/tests/run.sh

clean:		## remove build/ (or O=); a fresh root's mounts are undone first
	@if [ -d "$(or $(O),build)/fresh" ]; then O="$(or $(O),build)" harness/fresh.sh --clean; fi
	rm -rf --one-file-system $(or $(O),build)

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
