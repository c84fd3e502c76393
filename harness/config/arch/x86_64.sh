# shellcheck shell=bash disable=SC2034
# (assignments: common.sh reads them)
# SPDX-License-Identifier: GPL-2.0
# ARCH=x86_64 (the default): what differs between the guest architectures,
# as plain assignments, sourced by harness/lib/common.sh (the one place that
# reads them).  arm64.sh has the same names.

# The build directories' suffix: none, so that build/kbuild/after,
# build/kselftest and build/initramfs.cpio.gz stay what they always were.
ARCH_SUFFIX=
# The kernel build: make variables, the image QEMU boots (in the build
# directory), the arch's tinyconfig fragment (in the tree; none: empty) and
# the harness's fragment for this arch (in harness/config/).
KMAKE_ARGS=
KIMAGE=arch/x86/boot/bzImage
ARCH_TINY_CONFIG=arch/x86/configs/tiny.config
ARCH_CONFIG=arch/x86_64.config
# The guest programs: make variables of the kselftest build, the C
# compiler of the project's own guest programs, the compat build of
# seccomp_bpf (empty: none) and the static busybox of the guest.
KST_MAKE_ARGS=
TARGET_CC=gcc
COMPAT_CFLAGS=-m32
COMPAT_SUFFIX=_ia32
# A name is looked up in PATH when the initramfs is made: [deps] may have
# only just installed it.
GUEST_BUSYBOX=busybox
# QEMU: program (QEMU_BIN), machine, CPU under TCG and under KVM (empty:
# KVM is never tried), the kernel's console device (KCONSOLE), RAM.
QEMU_BIN=qemu-system-x86_64
QEMU_MACHINE=pc
QEMU_CPU=max
QEMU_KVM_CPU=host
KCONSOLE=ttyS0
QEMU_MEM=1G
# -smp: two CPUs, as two sockets.  The kernel has no ACPI, so it counts
# the CPUs of SeaBIOS's MP table, and that lists one CPU per socket: with
# plain -smp 2 (two cores of one socket) the guest ran on one CPU.
QEMU_SMP=2,sockets=2,cores=1,threads=1
# The scope of this arch's packages in the list of harness/lib/deps.sh
# (empty: the vmtest scope has them all).
DEPS_ARCH_SCOPE=
