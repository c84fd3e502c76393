#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The checks of examples/oci-agent/agent.c under a real container runtime,
# in the guest (busybox sh, as root), as KTAP: run_kselftest.sh runs this
# as vmtest:crun-example.  Debian's crun (shipped in the initramfs with its
# libraries) starts containers from a directory rootfs with a static
# busybox, in mount, pid and uts namespaces, without CAP_MKNOD, with
# mknod/mknodat notified to the agent (linux.seccomp.listenerPath); each
# container's commands check what its case did, and the agent's log says
# how it answered.  SKIP on a kernel without SECCOMP_USER_NOTIF_CONTINUE,
# once its continue case was seen refused cleanly (EPERM, no hang).  A
# container that does not end within $limit s is killed and its case
# fails; the cases after it are not run, and fail too, so that a hanging
# agent costs $limit s once, within run_kselftest.sh's timeout.  Nothing
# started here keeps the runner's stdout open after the run.
#
# The kernel has no CONFIG_CGROUPS and crun statfs()es /sys/fs/cgroup even
# with --cgroup-manager=disabled: an empty one is made on a tmpfs over
# /sys/fs for the run, and taken away after it.

agent=${OCI_AGENT:-/usr/bin/oci-agent}
client=${OCI_CLIENT:-/usr/bin/oci-client}
crun=${CRUN:-/usr/bin/crun}
d=/tmp/crun-example
sock=$d/agent.sock
log=$d/agent.log
rootfs=$d/rootfs
state=/tmp/crun
# Seconds a container may take; then crun is killed and the case fails.
limit=${CRUN_EXAMPLE_TIMEOUT:-40}
n=0
failed=0
agent_pid=
sysfs_tmpfs=
# The container that did not end in time, if one did not.
hung=
t0=$(date +%s)

cleanup() {
	for id in $("$crun" --root "$state" list -q 2>/dev/null); do
		"$crun" --root "$state" delete -f "$id" >/dev/null 2>&1
	done
	[ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null
	[ -z "$agent_pid" ] || wait "$agent_pid" 2>/dev/null
	[ -z "$sysfs_tmpfs" ] || umount /sys/fs
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# case_result NAME ok|WHY [DIAGNOSTIC]: one KTAP result line.
case_result() {
	n=$((n + 1))
	if [ "$2" = ok ]; then
		echo "ok $n $1"
	else
		echo "$3" | sed "s/^/# $1: /"
		echo "not ok $n $1"
		failed=$((failed + 1))
	fi
}

# wait_for PATTERN: until the agent's log has a line matching PATTERN
# (grep -E), at most $limit s.
wait_for() {
	i=0
	while ! grep -qE -- "$1" "$log"; do
		i=$((i + 1))
		[ "$i" -le $((limit * 10)) ] || return 1
		usleep 100000
	done
}

# config NAME: the bundle $d/NAME: config.json, whose process runs
# /cases/NAME.sh of the shared rootfs.
config() {
	mkdir -p "$d/$1"
	cat >"$d/$1/config.json" <<EOF
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "/bin/sh", "/cases/$1.sh" ],
		"env": [ "PATH=/bin" ],
		"cwd": "/",
		"capabilities": {
			"bounding": [ $caps ],
			"effective": [ $caps ],
			"permitted": [ $caps ]
		},
		"noNewPrivileges": true
	},
	"root": { "path": "$rootfs" },
	"hostname": "$1",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "mode=755", "size=1m" ] }
	],
	"linux": {
		"namespaces": [
			{ "type": "mount" }, { "type": "pid" }, { "type": "uts" }
		],
		"seccomp": {
			"defaultAction": "SCMP_ACT_ALLOW",
			"listenerPath": "$sock",
			"listenerMetadata": "vmtest",
			"syscalls": [
				{ "names": [ "mknod", "mknodat" ],
				  "action": "SCMP_ACT_NOTIFY" }
			]
		}
	}
}
EOF
}

# crun_run NAME: crun runs the container of bundle $d/NAME, its output in
# $d/NAME.out, killed after $limit s.
crun_run() {
	date +%s >"$d/$1.start"
	timeout -s KILL "$limit" "$crun" --root "$state" --cgroup-manager=disabled \
		run --no-pivot -b "$d/$1" "$1" >"$d/$1.out" 2>&1 </dev/null
}

# finished NAME RC: RC and OUT of container NAME, gone; HUNG if it was
# killed.
finished() {
	RC=$2
	OUT=$(cat "$d/$1.out")
	echo "# container $1: exit $RC after $(($(date +%s) - $(cat "$d/$1.start"))) s"
	# crun run deletes a container that exited; one that was killed stays.
	[ ! -e "$state/$1" ] || "$crun" --root "$state" delete -f "$1" >/dev/null 2>&1
	if [ "$RC" -eq 137 ]; then
		hung=${hung:-$1}
		OUT="killed after $limit s: $OUT"
	fi
}

# run NAME: crun runs container NAME (its script from stdin) to the end:
# OUT its output, RC its status (137: killed).  Not if one hung before.
run() {
	cat >"$rootfs/cases/$1.sh"
	config "$1"
	if [ -n "$hung" ]; then
		RC=137
		OUT="not run: container $hung hung"
		return
	fi
	crun_run "$1"
	finished "$1" $?
}

# verdict NAME CALL ARROW: the agent's log has the line
# "oci-agent: NAME: PID CALL -> ARROW".
verdict() {
	sed -n "s/^oci-agent: $1: [0-9]* //p" "$log" | grep -qxF -- "$2 -> $3"
}

# expect NAME CONTAINER WANT-RC CALL ARROW [CHECK]: case NAME passes if
# the container run last exited WANT-RC, the agent answered its CALL with
# ARROW, and CHECK (a shell test on the host) holds.
expect() {
	if [ "$RC" -ne "$3" ]; then
		case_result "$1" fail "container exited $RC, want $3; crun said: $OUT"
	elif ! verdict "$2" "$4" "$5"; then
		case_result "$1" fail "no '$2: PID $4 -> $5' in the agent's log"
	elif [ -n "${6:-}" ] && ! eval "$6"; then
		case_result "$1" fail "'$6' is false"
	else
		case_result "$1" ok
	fi
}

# setup_failed WHY: the run's one result, a failure: nothing was tested.
setup_failed() {
	echo "TAP version 13"
	echo "1..1"
	case_result setup fail "$1"
	exit 1
}

for prog in "$crun" "$agent" "$client"; do
	[ -x "$prog" ] || setup_failed "$prog missing from the initramfs"
done
if [ ! -d /sys/fs/cgroup ]; then
	mount -t tmpfs -o mode=755 sysfs-fs /sys/fs && mkdir /sys/fs/cgroup &&
		sysfs_tmpfs=1
fi
# The container's whole userland: busybox, and the applets it calls.
rm -rf "$d" "$state"
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/tmp" "$rootfs/cases"
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh mknod stat cat grep sed sleep usleep test [ echo rm; do
	ln -s busybox "$rootfs/bin/$a"
done
# The default capabilities of a container runtime, less CAP_MKNOD: a
# device node the container gets was made by the agent.
caps='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_AUDIT_WRITE"'

"$agent" -t 60 "$sock" >/dev/null 2>"$log" &
agent_pid=$!
wait_for "listening on $sock" || setup_failed "the agent did not start: $(cat "$log")"

echo "TAP version 13"
# The continue case first: on a kernel without the flag, the whole run is
# a SKIP, provided the container saw EPERM and nothing hung.
run fifo <<'EOF'
mknod /tmp/fifo p || exit 1
[ -p /tmp/fifo ] || { echo "/tmp/fifo is not a FIFO"; exit 2; }
echo through >/tmp/fifo &
read -r x </tmp/fifo
[ "$x" = through ] || { echo "read '$x' from the FIFO"; exit 3; }
EOF
if grep -q "cannot continue" "$log" || [ -n "$hung" ]; then
	if [ "$RC" -eq 1 ] && echo "$OUT" | grep -q "Operation not permitted" &&
	   [ ! -e "$rootfs/tmp/fifo" ] && verdict fifo 'mknodat("/tmp/fifo", S_IFIFO)' continue; then
		echo "1..0 # SKIP kernel without SECCOMP_USER_NOTIF_CONTINUE: the continue case was refused cleanly (container: $OUT; exit $RC after $(($(date +%s) - t0)) s)"
		sed 's/^/# /' "$log"
		exit 4
	fi
	echo "1..1"
	case_result continue_fifo fail "exit $RC, want 0, or 1 (EPERM) on a kernel without the flag; crun said: $OUT"
	sed 's/^/# /' "$log"
	exit 1
fi

echo "1..6"
# shellcheck disable=SC2016 # the checks are evaluated by expect()
expect continue_fifo fifo 0 'mknodat("/tmp/fifo", S_IFIFO)' continue '[ -p "$rootfs/tmp/fifo" ]'

run null <<'EOF'
eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
[ $((0x$eff & (1 << 27))) -eq 0 ] || { echo "CAP_MKNOD in CapEff $eff"; exit 1; }
mknod /dev/null2 c 1 3 || exit 2
[ -c /dev/null2 ] || { echo "/dev/null2 is not a character device"; exit 3; }
[ "$(stat -c %t:%T /dev/null2)" = 1:3 ] || { echo "/dev/null2 is $(stat -c %t:%T /dev/null2)"; exit 4; }
echo gone >/dev/null2 && [ -z "$(cat /dev/null2)" ] || { echo "/dev/null2 is no /dev/null"; exit 5; }
EOF
expect emulate_null null 0 'mknodat("/dev/null2", S_IFCHR 1:3)' emulate

run block <<'EOF'
out=$(mknod /dev/sda b 8 0 2>&1) && { echo "mknod succeeded"; exit 1; }
echo "$out" | grep -q "Operation not permitted" || { echo "$out"; exit 2; }
[ ! -e /dev/sda ] || exit 3
EOF
expect refuse_block block 0 'mknodat("/dev/sda", S_IFBLK 8:0)' "refuse EPERM"

run outside <<'EOF'
out=$(mknod /fifo p 2>&1) && { echo "mknod succeeded"; exit 1; }
echo "$out" | grep -q "Operation not permitted" || { echo "$out"; exit 2; }
EOF
# shellcheck disable=SC2016
expect refuse_fifo_outside_tmp outside 0 'mknodat("/fifo", S_IFIFO)' "refuse EPERM" '[ ! -e "$rootfs/fifo" ]'

# Two containers at once: "long" is served, waits while "short" runs and
# exits, and is served again.
cat >"$rootfs/cases/long.sh" <<'EOF'
mknod /tmp/long-1 p || exit 1
i=0
while [ ! -e /tmp/go ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "no /tmp/go after 30 s"; exit 2; }
	usleep 100000
done
mknod /tmp/long-2 p || exit 3
[ -p /tmp/long-1 ] && [ -p /tmp/long-2 ] || exit 4
EOF
config long
why=
if [ -n "$hung" ]; then
	why="not run: container $hung hung"
else
	crun_run long &
	long=$!
	wait_for '^oci-agent: long: [0-9]+ mknodat\("/tmp/long-1", S_IFIFO\) -> continue$' ||
		why="long was not served"
	run short <<-'EOF'
	mknod /tmp/short p && [ -p /tmp/short ] || { echo "/tmp/short is not a FIFO"; exit 1; }
	EOF
	if [ -z "$why" ] && [ "$RC" -ne 0 ]; then
		why="short exited $RC: $OUT"
	elif [ -z "$why" ] && ! wait_for '^oci-agent: container short: exited'; then
		why="the agent never saw short exit"
	fi
	touch "$rootfs/tmp/go"
	wait "$long"
	finished long $?
fi
if [ -z "$why" ] && [ "$RC" -ne 0 ]; then
	why="long exited $RC: $OUT"
elif [ -z "$why" ] && ! verdict long 'mknodat("/tmp/long-2", S_IFIFO)' continue; then
	why="long's second mknod was not continued"
elif [ -z "$why" ] && [ "$(grep -nE 'container short: exited|"/tmp/long-2"' "$log" | cut -d: -f1 | head -n1)" != \
			  "$(grep -n 'container short: exited' "$log" | cut -d: -f1)" ]; then
	why="long's second mknod was served before short exited"
fi
case_result several_containers "${why:-ok}" "$why"

# Malformed messages, each a line of the agent's log, and a connection
# left open while a container is served.
printf '{"pid"' | "$client" -H 60 "$sock" >/dev/null 2>&1 &
held=$!
usleep 200000
echo 'not json' | "$client" "$sock"
echo '{"pid": 1, "fds": ["seccompFd"], "state": {"id": "x"}}' | "$client" -f null "$sock"
printf '{"pid": 1, "fds": ["seccompFd"], "state": {"id": "cut' | "$client" -f seccomp "$sock"
"$client" "$sock" </dev/null
run after-garbage <<'EOF'
mknod /tmp/after-garbage p && [ -p /tmp/after-garbage ] ||
	{ echo "/tmp/after-garbage is not a FIFO"; exit 1; }
EOF
served=$RC
kill "$held"
wait "$held" 2>/dev/null
why=
for want in \
	'malformed message \(9 bytes, 0 fds\): no file descriptor \(SCM_RIGHTS\): dropped' \
	'malformed message \(55 bytes, 1 fds\): "seccompFd" is not a seccomp listener but /dev/null: dropped' \
	'malformed message \(53 bytes, 1 fds\): state JSON: an unterminated string at byte 53: dropped' \
	'malformed message \(0 bytes, 0 fds\): empty: dropped' \
	'malformed message \(6 bytes, 0 fds\): no file descriptor \(SCM_RIGHTS\): dropped'; do
	[ -n "$hung" ] || wait_for "^oci-agent: connection [0-9]+: $want\$" ||
		why="${why}no line '$want'; "
done
if [ "$served" -ne 0 ] || ! verdict after-garbage 'mknodat("/tmp/after-garbage", S_IFIFO)' continue; then
	why="${why}the container after the garbage was not served (exit $served: $OUT); "
fi
last=$(grep -nE '"/tmp/after-garbage"|\(6 bytes, 0 fds\)' "$log" | tail -n1)
case "$last" in
*"(6 bytes"*) ;;
*) why="${why}the open connection ended before the container was served; " ;;
esac
kill -0 "$agent_pid" 2>/dev/null || why="${why}the agent is gone; "
case_result malformed_messages "${why:-ok}" "${why%; }"

sed 's/^/# /' "$log"
echo "# crun-example: $(($(date +%s) - t0)) s"
echo "# Totals: pass:$((n - failed)) fail:$failed"
[ "$failed" -eq 0 ]
