# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [config] [kernel], tinyconfig plus the fragments,
# and the kernel build.

# sh -c '...' sh ARGS: the single quotes are meant.
# shellcheck disable=SC2016

config_fragments() {
	local tree=$1

	echo "$tree/kernel/configs/tiny-base.config"
	echo "$tree/kernel/configs/tiny.config"
	echo "$tree/arch/x86/configs/tiny.config"
	echo "$HARNESS/config/vm.config"
	echo "$tree/tools/testing/selftests/seccomp/config"
}

# Every option our fragments ask for must be in the final .config.
check_config() {
	local kb=$1 tree=$2 line opt val missing=()

	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}; val=${line#*=}
			if [ "$val" = n ]; then
				grep -qx "# $opt is not set" "$kb/.config" || missing+=("$line")
			else
				grep -qx "$opt=$val" "$kb/.config" || missing+=("$line")
			fi ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$kb/.config" && missing+=("$line") ;;
		esac
	done < <(cat "$HARNESS/config/vm.config" "$tree/tools/testing/selftests/seccomp/config")
	if [ "${#missing[@]}" -gt 0 ]; then
		die config "options dropped by olddefconfig (a dependency is missing): ${missing[*]} (config: $kb/.config)"
	fi
}

stage_config() {
	local which=$1 tree kb id
	local -a frags

	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	mapfile -t frags < <(config_fragments "$tree")
	id=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
	if [ -f "$kb/.config" ] && [ "$(cat "$STAMPS/config-$which" 2>/dev/null)" = "$id" ]; then
		say config "$which: unchanged ($kb/.config)"
		return
	fi
	mkdir -p "$kb"
	run_logged config "$LOGS/config-$which.log" \
		sh -c 'cd "$1" && shift && scripts/kconfig/merge_config.sh -n -O "$@"' \
		sh "$tree" "$kb" "${frags[@]}"
	check_config "$kb" "$tree"
	echo "$id" >"$STAMPS/config-$which"
	say config "$which: tinyconfig + vm.config + seccomp/config merged ($kb/.config)"
}

stage_kernel() {
	local which=$1 tree kb

	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	echo "[kernel] building $which (log: $LOGS/kernel-$which.log)"
	run_logged kernel "$LOGS/kernel-$which.log" \
		make -C "$tree" O="$kb" -j"$JOBS" all
	[ -f "$kb/arch/x86/boot/bzImage" ] ||
		die kernel "$kb/arch/x86/boot/bzImage was not built" "$LOGS/kernel-$which.log"
	say kernel "$which: $kb/arch/x86/boot/bzImage, headers in $kb/usr/include"
}
