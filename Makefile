# pvmmu: paravirtualized direct paging, hypervisor core + sim host + tools.
#
#   make          build build/release/pvmmu and the ring-0 images build/hv/{hv,guest,native}.elf
#   make test     every test, on a gcc build, an ASan+UBSan build and a clang
#                 build, the threaded tests under TSan; ends with "N passed, N failed"
#   make run      build, replay every scenario, run the core benchmark and the
#                 default guest workload on the best host (qemu if installed, else sim),
#                 then boot Debian's Linux on hv: an interactive shell on a terminal,
#                 else its self-checks
#   make linux    fetch Debian's kernel and busybox-static, build the initramfs
#   make fuzz     run the fuzzers (FUZZ_SECONDS each, default 300), then fuzz
#                 hv from inside a guest under QEMU as long (pvmmu fuzz)
#   V=1           show the commands

.DEFAULT_GOAL := all

CC      ?= gcc
CLANG   ?= clang
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
           -Wold-style-definition -Wundef -Wredundant-decls -Wwrite-strings -Wshadow
BASE    := -std=c11 -Iinclude $(WARN) -g
FREESTANDING := -ffreestanding -fno-common -fno-builtin
HOSTED  := -D_GNU_SOURCE -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

CORE += core/audit.c
CORE += core/desc.c
CORE += core/domain.c
CORE += core/fmt.c
CORE += core/frame.c
CORE += core/hypercall.c
CORE += core/mmu_update.c
CORE += core/mmuext.c
CORE += core/pt.c
CORE += core/pt_table.c
CORE += core/ptwr.c
CORE += core/tlb.c
CORE += core/update_va.c

SIM += sim/machine.c
SIM += sim/mmu.c
SIM += sim/guest_host.c

GUEST += guest/mmu/lazy.c
GUEST += guest/mmu/mmu.c
GUEST += guest/mmu/native.c
GUEST += guest/mmu/p2m.c
GUEST += guest/mmu/pin.c
GUEST += guest/mmu/held.c
GUEST += guest/mmu/pv.c
GUEST += guest/os/boot.c
GUEST += guest/os/palloc.c
GUEST += guest/os/proc.c
GUEST += guest/os/vm.c
GUEST += guest/os/workloads.c

TOOLS += tools/bench.c
TOOLS += tools/bench_guest.c
TOOLS += tools/bench_linux.c
TOOLS += tools/bench_smp.c
TOOLS += tools/report.c
TOOLS += tools/stats.c
TOOLS += tools/json.c
TOOLS += tools/cpio.c
TOOLS += tools/fuzz.c
TOOLS += tools/kernel.c
TOOLS += tools/linux.c
TOOLS += tools/pvmmu.c
TOOLS += tools/qemu.c
TOOLS += tools/replay.c
TOOLS += tools/run.c
TOOLS += tools/scenario.c
TOOLS += tools/sprog.c
TOOLS += tools/xen.c

# hv's xenstore: pure, host-tested and fuzzed
XS := hv/xs/xs_db.c hv/xs/xs_conn.c hv/xs/xs_path.c hv/xs/xs_op.c hv/xs/xs_watch.c hv/xs/xs_tx.c hv/xs/xs_ring.c

UNIT += tests/unit/main.c
UNIT += tests/unit/test_frame.c
UNIT += tests/unit/test_mmu.c
UNIT += tests/unit/test_concurrency.c
UNIT += tests/unit/test_hypercall.c
UNIT += tests/unit/test_guest.c
UNIT += tests/unit/test_attacks.c
UNIT += tests/unit/test_preempt.c
UNIT += tests/unit/test_insn.c
UNIT += tests/unit/test_elf.c
UNIT += tests/unit/test_xenstore.c
UNIT += tests/unit/test_acpi.c
UNIT += pc/acpi.c
UNIT += tests/unit/test_kernel.c
UNIT += tests/unit/test_desc.c
UNIT += tests/unit/test_priv.c
UNIT += hv/x86/insn.c
UNIT += hv/x86/priv.c
UNIT += hv/dom/elf.c
UNIT += $(XS)
UNIT += tools/kernel.c

# the PC under both ring-0 images
PC := pc/pc.c pc/tsc.c pc/acpi.c pc/smp.c pc/ap.S

HV += hv/main.c
HV += hv/x86/entry.S
HV += hv/x86/copy.S
HV += hv/x86/cpu.c
HV += hv/x86/insn.c
HV += hv/x86/priv.c
HV += hv/x86/mem.c
HV += hv/x86/fpu.c
HV += hv/x86/smp.c
HV += hv/x86/apic.c
HV += hv/x86/pci.c
HV += hv/dom/builder.c
HV += hv/dom/elf.c
HV += $(XS)
HV += hv/dom/memory.c
HV += hv/dom/exchange.c
HV += hv/pv/callback.c
HV += hv/pv/cpuid.c
HV += hv/pv/debugreg.c
HV += hv/pv/descriptor.c
HV += hv/pv/emul_priv.c
HV += hv/pv/grant.c
HV += hv/pv/mode.c
HV += hv/pv/platform.c
HV += hv/pv/physdev.c
HV += hv/pv/hypercall.c
HV += hv/pv/iret.c
HV += hv/pv/ptwr.c
HV += hv/pv/traps.c
HV += hv/event/console.c
HV += hv/event/xenstore.c
HV += hv/event/evtchn.c
HV += hv/event/time.c
HV += hv/sched/sched.c
HV += hv/sched/timer.c
HV += hv/sched/sched_op.c
HV += hv/sched/vcpu_op.c

HEADERS := $(wildcard include/pvmmu/*.h core/*.h sim/*.h tools/*.h tests/unit/*.h guest/*.h guest/*/*.h hv/*.h hv/*/*.h pc/*.h)

# One build variant: $(1) name, $(2) compiler, $(3) extra flags.
define variant
$(1)_CORE_OBJ  := $$(CORE:%.c=build/$(1)/%.o) $$(GUEST:%.c=build/$(1)/%.o)
$(1)_HOST_OBJ  := $$(SIM:%.c=build/$(1)/%.o)
build/$(1)/core/%.o: core/%.c $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC [$(1)] $$<")
	$$(Q)$(2) $$(BASE) $$(FREESTANDING) $(3) -c $$< -o $$@
build/$(1)/guest/%.o: guest/%.c $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC [$(1)] $$<")
	$$(Q)$(2) $$(BASE) $$(FREESTANDING) $(3) -c $$< -o $$@
build/$(1)/%.o: %.c $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC [$(1)] $$<")
	$$(Q)$(2) $$(BASE) $$(HOSTED) $(3) -c $$< -o $$@
build/$(1)/pvmmu: $$($(1)_CORE_OBJ) $$($(1)_HOST_OBJ) $$(TOOLS:%.c=build/$(1)/%.o)
	@$$(if $$(Q),echo "  LD [$(1)] $$@")
	$$(Q)$(2) $(3) -pthread -o $$@ $$^ -llzma
build/$(1)/test_unit: $$($(1)_CORE_OBJ) $$($(1)_HOST_OBJ) $$(UNIT:%.c=build/$(1)/%.o)
	@$$(if $$(Q),echo "  LD [$(1)] $$@")
	$$(Q)$(2) $(3) -pthread -o $$@ $$^ -llzma
build/$(1)/core.o: $$(CORE:%.c=build/$(1)/%.o)
	$$(Q)ld -r -o $$@ $$^
build/$(1)/guest.o: $$(GUEST:%.c=build/$(1)/%.o)
	$$(Q)ld -r -o $$@ $$^
endef

SAN := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(eval $(call variant,release,$(CC),-O2))
$(eval $(call variant,asan,$(CC),$(SAN)))
$(eval $(call variant,clang,$(CLANG),-O2))
$(eval $(call variant,tsan,$(CLANG),-O1 -fsanitize=thread))

# The ring-0 images, core/ and guest/ compiled again with kernel flags: no
# red zone (exceptions push on the stack in use) and general registers only
# (the hypervisor never touches the guest's vector state).
#   hv.elf      the hypervisor: core/ + hv/ + pc/
#   guest.elf   the guest kernel as a Xen PV image: guest/ + guest/x86 + guest/xen
#   native.elf  the same kernel booted without a hypervisor: guest/ + guest/x86
#               + guest/native + pc/
# pc/pvh.S is each ring-0 image's entry, assembled for where it is linked.
KFLAGS := $(BASE) $(FREESTANDING) -O2 -nostdlib -fpie -mno-red-zone -mgeneral-regs-only \
          -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
          -fcf-protection=none -ffunction-sections
KLD := ld -nostdlib -static --no-relax -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

X86_GUEST += guest/x86/access.c
X86_GUEST += guest/x86/run.c

XEN_GUEST += guest/xen/entry.S
XEN_GUEST += guest/xen/abi.c
XEN_GUEST += guest/xen/abi_memory.c
XEN_GUEST += guest/xen/abi_physdev.c
XEN_GUEST += guest/xen/attacks.c
XEN_GUEST += guest/xen/churn.c
XEN_GUEST += guest/xen/events.c
XEN_GUEST += guest/xen/scenario.c
XEN_GUEST += guest/xen/fuzz.c
XEN_GUEST += guest/xen/hostif.c
XEN_GUEST += guest/xen/ring0.c
XEN_GUEST += guest/xen/start.c
XEN_GUEST += guest/xen/stress.c
XEN_GUEST += guest/xen/xstate.c

NATIVE_GUEST += guest/native/entry.S
NATIVE_GUEST += guest/native/hostif.c
NATIVE_GUEST += guest/native/start.c
NATIVE_GUEST += guest/native/vcpus.c

# The three images into build/$(1)/, compiled by $(2): build/hv (gcc) is
# what pvmmu runs; build/hv-clang proves the images clang-clean and boots.
define images
build/$(1)/%.o: %.c $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC [$(1)] $$<")
	$$(Q)$(2) $$(KFLAGS) -c $$< -o $$@
build/$(1)/%.o: %.S $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AS [$(1)] $$<")
	$$(Q)$(2) $$(KFLAGS) -c $$< -o $$@
build/$(1)/pc/pvh-hv.o: pc/pvh.S $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AS [$(1)] $$< for hv.elf")
	$$(Q)$(2) $$(KFLAGS) -DPVH_HIGH_L4=261 -DPVH_HIGH_L3=322 -DPVH_MAIN=hv_main -c $$< -o $$@
build/$(1)/pc/pvh-native.o: pc/pvh.S $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AS [$(1)] $$< for native.elf")
	$$(Q)$(2) $$(KFLAGS) -DPVH_HIGH_L4=272 -DPVH_HIGH_L3=0 -DPVH_MAIN=native_main -c $$< -o $$@

$(1)_HV_OBJ := $$(call kobj,$(1),$$(CORE) $$(HV) $$(PC)) build/$(1)/pc/pvh-hv.o
build/$(1)/hv.elf: hv/hv.ld hv/hot.ld $$($(1)_HV_OBJ)
	@$$(if $$(Q),echo "  LD [$(1)] $$@")
	$$(Q)$$(KLD) -T hv/hv.ld -o $$@ $$($(1)_HV_OBJ)

$(1)_XEN_OBJ := $$(call kobj,$(1),$$(GUEST) $$(X86_GUEST) $$(XEN_GUEST))
build/$(1)/guest.elf: guest/xen/guest.ld $$($(1)_XEN_OBJ)
	@$$(if $$(Q),echo "  LD [$(1)] $$@")
	$$(Q)$$(KLD) -T guest/xen/guest.ld -o $$@ $$($(1)_XEN_OBJ)

$(1)_NATIVE_OBJ := $$(call kobj,$(1),$$(GUEST) $$(X86_GUEST) $$(NATIVE_GUEST) $$(PC) core/fmt.c) \
                   build/$(1)/pc/pvh-native.o
build/$(1)/native.elf: guest/native/native.ld $$($(1)_NATIVE_OBJ)
	@$$(if $$(Q),echo "  LD [$(1)] $$@")
	$$(Q)$$(KLD) -T guest/native/native.ld -o $$@ $$($(1)_NATIVE_OBJ)
endef

kobj = $(patsubst %.S,build/$(1)/%.o,$(patsubst %.c,build/$(1)/%.o,$(2)))
$(eval $(call images,hv,$(CC)))
$(eval $(call images,hv-clang,$(CLANG)))

IMAGES := build/hv/hv.elf build/hv/guest.elf build/hv/native.elf
CLANG_IMAGES := build/hv-clang/hv.elf build/hv-clang/guest.elf build/hv-clang/native.elf

# Fuzzing (clang's libFuzzer).  make fuzz FUZZ_SECONDS=N runs each harness
# for N seconds (default 300) on its corpus in build/fuzz/; findings are
# written there and belong in fuzz/regressions/ once fixed.
FUZZ_SECONDS ?= 300
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SIM := $(CORE) sim/machine.c sim/mmu.c

build/fuzz/fuzz_hypercalls: fuzz/fuzz_hypercalls.c $(FUZZ_SIM) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ  $@")
	$(Q)$(CLANG) $(BASE) $(HOSTED) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_hypercalls.c $(FUZZ_SIM)
build/fuzz/fuzz_scenario: fuzz/fuzz_scenario.c tools/scenario.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ  $@")
	$(Q)$(CLANG) $(BASE) $(HOSTED) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_scenario.c tools/scenario.c

build/fuzz/fuzz_insn: fuzz/fuzz_insn.c hv/x86/insn.c hv/x86/priv.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ  $@")
	$(Q)$(CLANG) $(BASE) $(HOSTED) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_insn.c hv/x86/insn.c hv/x86/priv.c

build/fuzz/fuzz_elf: fuzz/fuzz_elf.c hv/dom/elf.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ  $@")
	$(Q)$(CLANG) $(BASE) $(HOSTED) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_elf.c hv/dom/elf.c

build/fuzz/fuzz_xenstore: fuzz/fuzz_xenstore.c $(XS) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ  $@")
	$(Q)$(CLANG) $(BASE) $(HOSTED) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_xenstore.c $(XS)

build/fuzz/fuzz_kernel: fuzz/fuzz_kernel.c tools/kernel.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ  $@")
	$(Q)$(CLANG) $(BASE) $(HOSTED) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_kernel.c tools/kernel.c -llzma

fuzz: build/fuzz/fuzz_kernel build/fuzz/fuzz_hypercalls build/fuzz/fuzz_scenario build/fuzz/fuzz_insn build/fuzz/fuzz_elf \
      build/fuzz/fuzz_xenstore build/release/pvmmu $(IMAGES)
	fuzz/run.sh $(FUZZ_SECONDS)


all: build/release/pvmmu $(IMAGES)

# A Linux guest: Debian's stock kernel (the package the linux-image-amd64
# metapackage names) and an initramfs of Debian's busybox-static, our /init
# and our program (guest/linux/), both fetched with apt-get download on
# first use into build/debian/ (tools/debian-fetch.sh).  make linux fails
# with a message where they cannot be had; the tests then skip loudly.
build/linux/pvmmu-linux: guest/linux/pvmmu-linux.c guest/linux/xenbus.c guest/linux/xenbus.h
	@mkdir -p $(@D)
	@echo "  CC [linux] $@ (static)"
	$(Q)$(CC) -std=c11 -O2 -static $(WARN) -o $@ guest/linux/pvmmu-linux.c guest/linux/xenbus.c

build/linux/vmlinuz:
	@mkdir -p $(@D)
	$(Q)tools/debian-fetch.sh linux-image-amd64 build/debian/linux
	$(Q)cp "$$(ls build/debian/linux/root/boot/vmlinuz-* | head -1)" $@

build/linux/busybox:
	@mkdir -p $(@D)
	$(Q)tools/debian-fetch.sh busybox-static build/debian/busybox
	$(Q)cp build/debian/busybox/root/bin/busybox $@

build/linux/initramfs.cpio: build/release/pvmmu build/linux/pvmmu-linux build/linux/busybox guest/linux/init
	@echo "  CPIO $@"
	$(Q)build/release/pvmmu initramfs --out $@ --busybox build/linux/busybox --file init=guest/linux/init \
		--file bin/pvmmu-linux=build/linux/pvmmu-linux

linux: $(IMAGES) build/linux/vmlinuz build/linux/initramfs.cpio

test: build/release/pvmmu $(IMAGES) $(CLANG_IMAGES) build/release/test_unit build/release/core.o build/release/guest.o \
      build/asan/pvmmu build/asan/test_unit build/clang/pvmmu build/clang/test_unit \
      build/tsan/test_unit build/fuzz/fuzz_hypercalls build/fuzz/fuzz_scenario build/fuzz/fuzz_insn \
      build/fuzz/fuzz_elf build/fuzz/fuzz_kernel build/fuzz/fuzz_xenstore
	$(Q)tests/run.sh

# Linux in make run: two vCPUs on two physical CPUs where the host has two
# cores to give QEMU's TCG threads, else one.
RUN_CPUS := $(shell [ "$$(nproc 2>/dev/null || echo 1)" -ge 2 ] && echo 2 || echo 1)

run: build/release/pvmmu $(IMAGES)
	build/release/pvmmu replay tests/scenarios/*.pvs
	build/release/pvmmu bench core
	build/release/pvmmu run --workload fork-exit
	@if ! command -v qemu-system-x86_64 >/dev/null; then \
		echo "make run: qemu-system-x86_64 is not installed: no Linux guest (apt-get install qemu-system-x86)"; \
	elif ! $(MAKE) -s linux; then \
		echo "make run: Debian's kernel or busybox-static could not be had: no Linux guest"; \
	elif [ -t 0 ]; then \
		build/release/pvmmu run --host qemu --kernel build/linux/vmlinuz --initrd build/linux/initramfs.cpio \
			--vcpus $(RUN_CPUS) --cpus $(RUN_CPUS) --append "console=hvc0 quiet"; \
	else \
		build/release/pvmmu run --host qemu --kernel build/linux/vmlinuz --initrd build/linux/initramfs.cpio \
			--vcpus $(RUN_CPUS) --cpus $(RUN_CPUS) --append "console=hvc0 quiet pvmmu.test"; \
	fi

clean:
	rm -rf build

.PHONY: all test run clean fuzz linux
