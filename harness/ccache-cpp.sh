#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ccache-cpp.sh CPP-COMMAND...: the preprocessor run of ccache
# (CCACHE_PREFIX_CPP, set by harness/lib/kernel.sh), with its output made
# independent of line numbers.
#
# When the direct mode misses, ccache hashes the preprocessed source.
# The kernels differ in include/uapi/linux/seccomp.h, which some 230
# objects of the kernel include: a comment or a #define there moves the
# line markers ("# 123 "file"") of every one of them, and each would
# compile again, though its code is the same.  So the markers here say
# line 0, the ones that only move the line within a file go, and so do
# blank lines: two sources that differ only in comments, unused macros
# and line breaks give ccache the same text.  ccache compiles the real
# source (run_second_cpp), so an object compiled from one tree is what the
# other would compile, but for line numbers, which the kernels here do not
# keep (no -g; __LINE__ is expanded in the text).  The markers that enter
# and leave a file stay, so that ccache still records every include.
"$@" || exit
out=
prev=
for a in "$@"; do
	[ "$prev" = -o ] && out=$a
	prev=$a
done
[ -n "$out" ] && [ -f "$out" ] || exit 0
awk '
/^# [0-9]+ "/ {
	file = $0
	sub(/^# [0-9]+ /, "", file)
	name = file
	sub(/" .*$/, "\"", name)
	if (name == file && name == cur)
		next
	cur = name
	print "# 0 " file
	next
}
/^[ \t]*$/ { next }
{ print }' "$out" >"$out.norm" && mv "$out.norm" "$out"
