# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh and bench.sh: the stages of harness/lib/, one file
# each, in the order they depend on each other.  Expects HARNESS.
#   common.sh     paths and settings, say/die/run_logged
#   deps.sh       [deps]
#   source.sh     [source]
#   trees.sh      [before] [after], apply_series
#   kernel.sh     [config] [kernel]
#   selftests.sh  [selftests] [initramfs]
#   console.sh    splats on the console: every run fails on one
#   guest.sh      [boot] [tests]: accelerator probe, boot, results, closing line
#   series.sh     make series, make paths

# shellcheck source=harness/lib/common.sh
source "$HARNESS/lib/common.sh"
# shellcheck source=harness/lib/deps.sh
source "$HARNESS/lib/deps.sh"
# shellcheck source=harness/lib/source.sh
source "$HARNESS/lib/source.sh"
# shellcheck source=harness/lib/trees.sh
source "$HARNESS/lib/trees.sh"
# shellcheck source=harness/lib/kernel.sh
source "$HARNESS/lib/kernel.sh"
# shellcheck source=harness/lib/selftests.sh
source "$HARNESS/lib/selftests.sh"
# shellcheck source=harness/lib/console.sh
source "$HARNESS/lib/console.sh"
# shellcheck source=harness/lib/guest.sh
source "$HARNESS/lib/guest.sh"
# shellcheck source=harness/lib/series.sh
source "$HARNESS/lib/series.sh"
