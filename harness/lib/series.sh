# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: make series (export the after tree to patches/,
# keeping the cover letter's text: patches/ is the single source of truth,
# the cover letter included) and make paths.

cmd_series() {
	local tree=$TREES/after cover=$PATCHES_DIR/0000-cover-letter.patch subject body n

	[ -d "$tree" ] || die series "no after tree: run 'make vmtest' first"
	check_clean "$tree" series
	n=$(git -C "$tree" rev-list --count before..HEAD)
	[ "$n" -gt 0 ] || die series "the after tree has no commits on top of 'before'"
	subject="*** SUBJECT HERE ***"
	body="*** BLURB HERE ***"
	if [ -f "$cover" ]; then
		# The Subject: header, unfolded.
		subject=$(awk '/^Subject: / {s = $0; next}
			s != "" && /^[ \t]/ {sub(/^[ \t]+/, " "); s = s $0; next}
			s != "" {print s; exit}' "$cover" | sed 's/^Subject: \[[^]]*\] //')
		# The blurb: after the headers, up to the shortlog.
		body=$(awk '
			!hdr && /^$/ {hdr = 1; next}
			hdr && /^[^ ].* \([0-9]+\):$/ {exit}
			hdr {print}' "$cover")
	fi
	git -C "$tree" config branch.after.description "$subject

$body"
	rm -f "$PATCHES_DIR"/*.patch
	mkdir -p "$PATCHES_DIR"
	# The cover letter's Date: is the last commit's, so that an unchanged
	# series exports to identical files.
	GIT_COMMITTER_DATE=$(git -C "$tree" log -1 --format=%cI HEAD) \
	git -C "$tree" format-patch -q --cover-letter --cover-from-description=subject \
		--subject-prefix="PATCH v2" --base=before --zero-commit \
		-o "$PATCHES_DIR" before..HEAD
	git -C "$tree" rev-parse HEAD >"$STAMPS/after.exported"
	say series "exported $n patch(es) and a cover letter to $PATCHES_DIR"
}

cmd_paths() {
	echo "before-tree=$TREES/before"
	echo "after-tree=$TREES/after"
	echo "before-kernel=$(kbuild_dir before)/arch/x86/boot/bzImage"
	echo "after-kernel=$(kbuild_dir after)/arch/x86/boot/bzImage"
	echo "before-headers=$(kbuild_dir before)/usr"
	echo "after-headers=$(kbuild_dir after)/usr"
	echo "kselftest-install=$KST_INSTALL"
	echo "initramfs=$O/initramfs.cpio.gz"
	echo "console-log=$O/console-after.log"
	echo "before-console-log=$O/console-before.log"
	echo "logs=$LOGS"
}
