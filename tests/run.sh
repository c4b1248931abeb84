#!/usr/bin/env bash
# The test suite: unit tests, scenarios, the replay tool's own behaviour,
# the command line, the freestanding core and a benchmark smoke run, on the
# release (gcc), ASan+UBSan (gcc) and clang builds.  Ends with the line
# "N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
# scratch files of this run alone: two checkouts may test at once
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmmu-test.XXXXXX")
# Linux's self-checks (guest/linux/pvmmu-linux.c): all of them, and none
# failed; on hv one more than on Xen's dom0: the xenstore's (Xen's dom0
# under the harness has no xenstored)
LINUX_PASSED='pvmmu-linux-test passed=11 failed=0'
LINUX_PASSED_XEN='pvmmu-linux-test passed=10 failed=0'
trap 'rm -rf "$T"' EXIT

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect STATUS WHAT CMD...: CMD exits with STATUS
expect() {
	local want=$1 what=$2; shift 2
	"$@" >$T/test.out 2>&1
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "$what (exit $got, wanted $want)"; sed 's/^/    /' $T/test.out | tail -20; fi
}

# counted NAME CMD...: CMD prints "...: N passed, N failed"; add its counts
counted() {
	local name=$1; shift
	local out rc line p f
	out=$("$@" 2>&1); rc=$?
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then bad "$name printed no count (exit $rc)"; printf '%s\n' "$out" | tail -20; return; fi
	p=$(printf '%s' "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(printf '%s' "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		[ "$f" = 0 ] && failed=$((failed + 1))
		echo "FAIL: $name ($line, exit $rc)"; printf '%s\n' "$out" | grep -v ' passed, ' | head -40
	fi
	echo "$name: $line"
}

# golden FILE.pvs: replay output and exit status match FILE.out / FILE.status
golden() {
	local pvs=$1 bin=$2
	local base=${pvs%.pvs} out rc
	out=$("$bin" replay "$pvs" 2>&1); rc=$?
	if [ "$out" = "$(cat "$base.out")" ] && [ "$rc" = "$(cat "$base.status")" ]; then ok
	else bad "replay golden $pvs"; diff <(printf '%s\n' "$out") "$base.out" | head; echo "    exit $rc"; fi
}

suite() {
	local v=$1 bin=build/$1/pvmmu
	echo "== $v build"
	counted "unit [$v]" "build/$v/test_unit"
	counted "scenarios [$v]" "$bin" replay tests/scenarios/*.pvs
	counted "attacks [$v]" "$bin" replay tests/attacks/*.pvs
	for f in tests/replay/*.pvs; do golden "$f" "$bin"; done
	expect 2 "no command [$v]" "$bin"
	expect 2 "unknown command [$v]" "$bin" frobnicate
	expect 0 "--help [$v]" "$bin" --help
	expect 0 "replay --help [$v]" "$bin" replay --help
	expect 0 "bench --help [$v]" "$bin" bench --help
	expect 0 "run --help [$v]" "$bin" run --help
	expect 2 "run unknown workload [$v]" "$bin" run --workload frob
	expect 2 "run unknown mode [$v]" "$bin" run --mode frob
	expect 2 "run --host frob [$v]" "$bin" run --host frob
	expect 2 "run --accel frob [$v]" "$bin" run --accel frob
	expect 2 "run --accel kvm on the sim host [$v]" "$bin" run --host sim --accel kvm
	expect 2 "run --attack on the sim host [$v]" "$bin" run --host sim --attack all
	expect 2 "run --timeout 0 [$v]" "$bin" run --timeout 0
	expect 2 "run --ops 0 [$v]" "$bin" run --ops 0
	expect 2 "run --pages junk [$v]" "$bin" run --pages x
	expect 2 "run option without value [$v]" "$bin" run --workload
	expect 0 "run every workload, every mode [$v]" "$bin" run --workload all --ops 3 --pages 32768
	expect 0 "run --json [$v]" "$bin" run --workload fork-exit --ops 2 --json
	if grep -q '"audit":true' $T/test.out; then ok; else bad "run --json output [$v]"; fi
	expect 2 "replay without files [$v]" "$bin" replay
	expect 2 "replay --seed without number [$v]" "$bin" replay --seed
	expect 2 "replay --seed junk [$v]" "$bin" replay --seed x tests/scenarios/own-frames-only.pvs
	expect 2 "replay unknown option [$v]" "$bin" replay --frob tests/scenarios/own-frames-only.pvs
	expect 2 "replay missing file [$v]" "$bin" replay /nonexistent.pvs
	expect 2 "bench without target [$v]" "$bin" bench
	expect 2 "bench --reps 0 [$v]" "$bin" bench core --reps 0
	expect 2 "bench --budget 0 [$v]" "$bin" bench core --budget 0
	expect 2 "bench unknown target [$v]" "$bin" bench frob
	expect 0 "replay with another seed [$v]" "$bin" replay --seed 12345 tests/scenarios/*.pvs
	expect 0 "bench smoke run [$v]" "$bin" bench core --reps 1 --json
	if grep -q '"pin-unpin/read":{"unit":"x","median":[0-9.]*,"lo":.*"target":8}' $T/test.out; then ok; else bad "bench --json output [$v]"; fi
	expect 0 "bench guest --help [$v]" "$bin" bench guest --help
	expect 2 "bench guest --reps 0 [$v]" "$bin" bench guest --reps 0
	expect 2 "bench guest unknown workload [$v]" "$bin" bench guest --workload frob
	expect 2 "bench guest --accel kvm on the sim host [$v]" "$bin" bench guest --host sim --accel kvm
	expect 0 "bench guest on the sim host [$v]" "$bin" bench guest --host sim --workload fork-exit --reps 1 --ops 3 --pages 16384 --json
	if grep -q '"workload":"fork-exit".*"pv_over_native":{"median":[0-9.]*,.*"target":1.30.*"machine":{"cpu"' $T/test.out; then ok
	else bad "bench guest --json output [$v]"; fi
	# the report: every row in report.json with the machine, a table per
	# benchmark in report.md, the plots drawn by gnuplot
	expect 2 "bench report --host xen [$v]" "$bin" bench report --host xen
	expect 0 "bench report on the sim host [$v]" "$bin" bench report --host sim --reps 1 --ops 3 --out $T/report-$v
	if grep -q '"machine":{"cpu"' $T/report-$v/report.json &&
	   grep -q '"bench":"core","op":"pin-unpin/read","kind":"time"' $T/report-$v/report.json &&
	   grep -q '"bench":"guest","op":"fork-exit","kind":"ratio".*"side":"pv/native"' $T/report-$v/report.json &&
	   grep -q '^### core' $T/report-$v/report.md && grep -q '^| fork-exit | lat_proc fork | us |' $T/report-$v/report.md
	then ok; else bad "bench report writes report.json and report.md [$v]"; fi
	if ! command -v gnuplot >/dev/null; then
		echo "SKIP: bench report's plots: gnuplot is not installed (apt-get install gnuplot-nox)"
	elif grep -q '<svg' $T/report-$v/report.svg && grep -q "gpPt6" $T/report-$v/report-ratio.svg; then ok
	else bad "bench report draws report.svg and report-ratio.svg with the targets [$v]"; fi
}

# The README's scenario example runs as written.
awk '/^domain A frames=16$/{on=1} on&&/^```$/{exit} on' README.md > $T/readme.pvs
if [ -s $T/readme.pvs ] && build/release/pvmmu replay $T/readme.pvs >/dev/null; then ok
else bad "README scenario example"; fi

# core/ and guest/ link against nothing but their platform interfaces.
undef=$(nm -u build/release/core.o | awk '{print $2}' | grep -v '^env_' | tr '\n' ' ')
if [ -z "$undef" ]; then ok; else bad "core/ needs symbols beyond env_*: $undef"; fi
undef=$(nm -u build/release/guest.o | awk '{print $2}' | grep -v '^hostif_' | tr '\n' ' ')
if [ -z "$undef" ]; then ok; else bad "guest/ needs symbols beyond hostif_*: $undef"; fi

# The fuzzers: every saved finding runs clean, then a short run of each.
for h in hypercalls scenario insn elf kernel xenstore; do
	files=$(ls fuzz/regressions/$h/* 2>/dev/null)
	if [ -z "$files" ]; then ok; continue; fi
	# shellcheck disable=SC2086
	if build/fuzz/fuzz_$h $files >$T/fuzz.log 2>&1; then ok
	else bad "fuzz regression ($h)"; tail -20 $T/fuzz.log; fi
done
if PVMMU_FUZZ_HV=0 fuzz/run.sh "${PVMMU_FUZZ_SECONDS:-20}"; then ok; else bad "short fuzz run"; fi

# The qemu host: hv.elf booted by QEMU, the guest in ring 3 on QEMU's MMU;
# and native.elf, the same kernel booted by QEMU alone in ring 0.
qemu_suite() {
	local bin=build/release/pvmmu
	echo "== qemu host (TCG)"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "SKIP: qemu-system-x86_64 is not installed: the hv tests did not run (apt-get install qemu-system-x86)"
		return
	fi
	expect 0 "qemu: boot and run fork-exit" "$bin" run --host qemu --workload fork-exit --mode pv --ops 3 --pages 16384
	if grep -q 'hv: audit after the domain was destroyed: ok' $T/test.out; then ok; else bad "qemu: hv audits after teardown"; fi
	# several physical CPUs: hv finds them in the firmware's MADT (QEMU's
	# -smp, TCG threads), starts every one (INIT-SIPI-SIPI, each on its own
	# GDT, TSS, stacks and local APIC), and they idle until they have a vCPU
	for n in 2 4 8; do
		expect 0 "qemu: fork-exit with $n CPUs" "$bin" run --host qemu --cpus $n --workload fork-exit --mode pv --ops 3 --pages 16384
		if grep -q "hv: $n CPUs from the firmware's MADT" $T/test.out && grep -q "hv: $n CPUs up" $T/test.out &&
		   grep -q 'hv: audit after the domain was destroyed: ok' $T/test.out; then ok
		else bad "qemu: hv finds and starts the $n CPUs QEMU gives it"; fi
	done
	# vCPUs side by side on 2 and 4 CPUs: processes migrating between two
	# vCPUs (mixed), and two fork loops at once, each ending with clean
	# audits, no frame leaked and the sim's pins; type changes flush the
	# other vCPU's TLB on its CPU, by IPI, counted (mixed's tables added
	# to live spaces, the fork loops' first pins, before tables are held)
	for n in 2 4; do
		: >$T/ipis
		for w in mixed fork-exit-2; do
			"$bin" run --host sim --workload $w --mode pv --ops 40 --pages 32768 --json 2>/dev/null |
				grep -o '"pins":[0-9.]*,"unpins":[0-9.]*' >$T/sim.json
			"$bin" run --host qemu --cpus $n --workload $w --mode pv --ops 40 --pages 32768 --json \
				2>$T/qemu.log >$T/qemu.json
			if grep -q '"audit":true,"leak_free":true' $T/qemu.json && grep -q "hv: $n CPUs up" $T/qemu.log &&
			   [ "$(grep -o '"pins":[0-9.]*,"unpins":[0-9.]*' $T/qemu.json)" = "$(cat $T/sim.json)" ]; then ok
			else bad "qemu: $w on $n CPUs finishes cleanly with the sim's pins"; tail -5 $T/qemu.log; fi
			grep -o '"flush_ipis":[0-9.]*' $T/qemu.json >>$T/ipis
		done
		if grep -qv '"flush_ipis":0.000' $T/ipis; then ok
		else bad "qemu: mixed and fork-exit-2 on $n CPUs count flush IPIs"; cat $T/ipis; fi
	done
	# one vCPU's hostile modes while the others run on other CPUs: every
	# attempt refused as on one CPU (the 4 that watch vCPUs take turns on a
	# CPU are skipped, and said so), hv goes on to a clean audit
	for n in 2 4; do
		expect 0 "qemu: every attack refused on $n CPUs" "$bin" run --host qemu --cpus $n --attack all
		if grep -q ', 0 not, 4 SKIPPED here; hv went on to a clean audit' $T/test.out; then ok
		else bad "qemu: attacks on $n CPUs: none failed, 4 skipped"; fi
	done
	# stress: the hostile modes on vCPU 0 while a workload runs with no end
	# on vCPUs 6 and 7 (each operation checking itself), hv auditing every
	# 100 ms with the other CPUs held still, then the domain crashed under
	# the running workload: hv crashes it and audits clean
	for n in 2 4; do
		expect 0 "qemu: stress on $n CPUs: every attack refused beside mixed, the domain crashed under it" \
			"$bin" run --host qemu --cpus $n --attack all --workload mixed
		if grep -q ', 0 not, 4 SKIPPED here$' $T/test.out &&
			grep -q 'hv audited [1-9][0-9]* times while it ran; the domain crashed under it, and hv audited clean' \
				$T/test.out && grep -q '^  | hv: d1 crashed: an exception its stack cannot take' $T/test.out
		then ok; else bad "qemu: stress on $n CPUs: audited while it ran, crashed by hv, clean"; fi
	done
	expect 0 "qemu: stress on 2 CPUs beside fork-exit-2" "$bin" run --host qemu --cpus 2 --attack all --workload fork-exit-2
	expect 2 "qemu: stress beside a workload that is not steady" "$bin" run --host qemu --attack all --workload fault-storm
	expect 2 "qemu: stress beside the ABI rules" "$bin" run --host qemu --abi all --workload mixed
	expect 0 "qemu: every ABI rule answered as Xen answers it, on 2 CPUs" "$bin" run --host qemu --cpus 2 --abi all
	# the fuzzer's two vCPUs side by side, each on a CPU of its own: hostile
	# hypercalls, stores and instructions at once, the domain crashed while
	# the other runs
	for n in 2 4; do
		expect 0 "qemu: hv fuzzed from a guest on $n CPUs, 4 seeds" "$bin" fuzz --runs 4 --seed 1 --cpus $n
	done
	expect 2 "fuzz --cpus 9" "$bin" fuzz --cpus 9
	# a remote flush goes to the CPUs a domain's vCPUs run on and no other:
	# one vCPU on 4 CPUs sends no IPI
	"$bin" run --host qemu --cpus 4 --workload fork-exit --mode pv --ops 20 --pages 16384 --json \
		2>$T/qemu.log >$T/qemu.json
	if grep -q '"flush_ipis":0.000' $T/qemu.json && grep -q '"audit":true' $T/qemu.json; then ok
	else bad "qemu: one vCPU on 4 CPUs sends no flush IPI"; tail -3 $T/qemu.log; fi
	expect 2 "qemu: --cpus out of range" "$bin" run --host qemu --cpus 9
	expect 2 "--cpus on the sim host" "$bin" run --host sim --cpus 2
	# the native kernel gives each vCPU a CPU of its own where there are enough
	for w in fork-exit-2 mixed; do
		expect 0 "qemu: native $w on 2 CPUs, a vCPU on each" "$bin" run --host qemu --cpus 2 --workload $w --mode native \
			--ops 40 --pages 16384
		if grep -q '| native: 2 CPUs for 2 vCPUs, one each' $T/test.out; then ok
		else bad "qemu: native $w started a CPU for its second vCPU"; fi
	done
	expect 0 "qemu: the native image boots and runs fork-exit" "$bin" run --host qemu --workload fork-exit --mode native --ops 3 --pages 16384
	if grep -q '| pvmmu native: booting (PVH)' $T/test.out && ! grep -q '| hv:' $T/test.out; then ok
	else bad "qemu: the native run is native.elf alone, without hv"; fi
	# Every workload ends cleanly with the counts the sim host gives, on hv
	# and natively.
	local w m
	for w in fork-exit fork-exec-exit fault-storm mmap-64m mprotect-64m invlpg ctxsw-2 ctxsw-4 ctxsw-8 ctxsw-16; do
		for m in pv nobatch native; do
			"$bin" run --host sim --workload $w --mode $m --ops 4 --pages 32768 --json 2>/dev/null |
				sed 's/"host":"[a-z]*",//; s/"seconds":[0-9.]*,"ops_per_sec":[0-9.]*,//' >$T/sim.json
			"$bin" run --host qemu --workload $w --mode $m --ops 4 --pages 32768 --json 2>$T/qemu.log |
				sed 's/"host":"[a-z]*",//; s/"seconds":[0-9.]*,"ops_per_sec":[0-9.]*,//' >$T/qemu.json
			if [ -s $T/qemu.json ] && grep -q '"audit":true,"leak_free":true' $T/qemu.json &&
			   cmp -s $T/sim.json $T/qemu.json; then ok
			else bad "qemu: $w ($m) counts as on the sim host"; diff $T/sim.json $T/qemu.json; tail -5 $T/qemu.log; fi
		done
	done
	# mixed: 2 vCPUs on the one CPU, in turns.  Which process a vCPU takes
	# when depends on the turns, so of the counts only those that do not
	# (the forks' pins and unpins) must be the sim host's.
	for m in pv nobatch native; do
		"$bin" run --host sim --workload mixed --mode $m --ops 40 --pages 32768 --json 2>/dev/null |
			grep -o '"pins":[0-9.]*,"unpins":[0-9.]*' >$T/sim.json
		"$bin" run --host qemu --workload mixed --mode $m --ops 40 --pages 32768 --json 2>$T/qemu.log \
			>$T/qemu.json
		if grep -q '"audit":true,"leak_free":true' $T/qemu.json &&
		   [ "$(grep -o '"pins":[0-9.]*,"unpins":[0-9.]*' $T/qemu.json)" = "$(cat $T/sim.json)" ]; then ok
		else bad "qemu: mixed ($m) on 2 vCPUs finishes cleanly with the sim's pins"; tail -5 $T/qemu.log; fi
	done
	# The scenario files through real hypercalls: what one guest can make of
	# them, on hv (what it skips, and why, is in the output)
	counted "qemu: scenario files through a guest on hv" "$bin" replay --host qemu tests/scenarios/*.pvs tests/attacks/*.pvs
	# The ABI rules, a group per hypercall, each answered as Xen answers.
	expect 0 "qemu: every ABI rule answered as Xen answers it, hv goes on to a clean audit" \
		"$bin" run --host qemu --abi all
	# Hostile modes: every attempt refused as Xen refuses it, hv goes on.
	for a in writable-pt written-frames foreign-frame reserved-slots bad-root bad-store hv-area sysret-hole bad-buffer vcpu-op vcpu-churn cmpxchg-pt \
		 flags-entry exit-checks compat-cs iret-rax ptwr-insns int-n trap-table umip long-work vm86-iret mov-ss \
		 stale-tlb gdt ldt xstate evtchn timers runstate; do
		expect 0 "qemu: attack $a refused, hv goes on to a clean audit" "$bin" run --host qemu --attack $a
	done
	expect 1 "qemu: an unknown attack mode fails" "$bin" run --host qemu --attack frob
	# hv fuzzed from inside a guest, briefly: with the timer, and replayable
	# without it; any failure prints its seed and keeps its console.
	expect 0 "qemu: hv fuzzed from a guest, 6 seeds with the timer" "$bin" fuzz --runs 6 --seed 1
	expect 0 "qemu: hv fuzzed from a guest, 3 seeds without the timer" "$bin" fuzz --runs 3 --seed 1 --timer off
	if grep -q 'pvmmu fuzz: 3 runs .* 0 failures' $T/test.out; then ok; else bad "qemu: pvmmu fuzz summary"; fi
	expect 2 "fuzz --runs 0" "$bin" fuzz --runs 0
	expect 2 "fuzz --timer maybe" "$bin" fuzz --timer maybe
	# PV against native, side by side, lmbench style.
	expect 0 "qemu: bench guest runs PV and native" "$bin" bench guest --host qemu --workload fault-storm --reps 1 --ops 64 --pages 16384
	if grep -q '^fault-storm *lat_pagefault .*x .*1.00$' $T/test.out && grep -q 'accelerator tcg' $T/test.out; then ok
	else bad "qemu: bench guest prints the ratio, the accelerator and the work counts"; fi
	expect 0 "qemu: bench smp runs the five ways" "$bin" bench smp --reps 1 --ops 20
	if grep -q '^scaling, 2 workers on 2 CPUs over 1 worker on 1 CPU: [0-9.]*x .* on hv' $T/test.out &&
	   grep -q '^  [0-9.]*x ([0-9.]*-[0-9.]*) natively' $T/test.out &&
	   grep -q '^per operation on 2 CPUs: [0-9.]* TLB flushes' $T/test.out; then ok
	else bad "qemu: bench smp prints the scaling on hv and natively, and the flushes"; fi
	expect 0 "qemu: bench smp --json" "$bin" bench smp --reps 1 --ops 20 --json
	if grep -q '^{"benchmark":"smp","accel":"tcg","reps":1,"one_worker":{"median":[0-9.]*,.*"scaling":{"median":[0-9.]*,.*"native_scaling":{"median":[0-9.]*,.*"flush_ipis_per_op":[0-9.]*,"machine":{"cpu"' $T/test.out
	then ok; else bad "qemu: bench smp --json output"; fi
	expect 2 "bench smp --reps 0" "$bin" bench smp --reps 0
	# The images as clang builds them: the same counts, the same refusals.
	for m in pv native; do
		"$bin" run --host sim --workload fork-exec-exit --mode $m --ops 4 --pages 16384 --json 2>/dev/null |
			sed 's/"host":"[a-z]*",//; s/"seconds":[0-9.]*,"ops_per_sec":[0-9.]*,//' >$T/sim.json
		PVMMU_IMAGES=build/hv-clang "$bin" run --host qemu --workload fork-exec-exit --mode $m --ops 4 \
			--pages 16384 --json 2>$T/qemu.log |
			sed 's/"host":"[a-z]*",//; s/"seconds":[0-9.]*,"ops_per_sec":[0-9.]*,//' >$T/qemu.json
		if [ -s $T/qemu.json ] && cmp -s $T/sim.json $T/qemu.json; then ok
		else bad "qemu: clang-built images, fork-exec-exit ($m) counts as on the sim host"; tail -5 $T/qemu.log; fi
	done
	PVMMU_IMAGES=build/hv-clang expect 0 "qemu: clang-built images refuse every attack" "$bin" run --host qemu --attack all
	# Bad guest images: refused with a message, nothing started.
	mkdir -p $T/bad && cp build/hv/hv.elf $T/bad/
	local img
	for img in junk truncated-elf kernel-in-user-half; do
		case $img in
		junk) echo "not an ELF file" >$T/bad/guest.elf ;;
		truncated-elf) head -c 100 build/hv/guest.elf >$T/bad/guest.elf ;;
		kernel-in-user-half) cp build/hv/hv.elf $T/bad/guest.elf ;;
		esac
		PVMMU_IMAGES=$T/bad expect 1 "qemu: bad guest image ($img) refused" \
			"$bin" run --host qemu --workload fork-exit --mode pv --ops 1 --pages 16384
		if grep -q 'hv: guest image refused' $T/test.out; then ok; else bad "qemu: bad image ($img) message"; fi
	done
	# Bad sizes on hv's own command line: a message and no domain, never a fault.
	local p
	for p in 0 100 270000 99999999999999 12x; do
		timeout 60 qemu-system-x86_64 -machine q35 -cpu max,-smap -m 352M -smp 1 -nodefaults -display none \
			-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -kernel build/hv/hv.elf \
			-initrd build/hv/guest.elf -append "pages=$p workload=fork-exit mode=pv ops=1" >$T/test.out 2>&1
		local rc=$?
		if [ $rc = 3 ] && grep -qE 'hv: (pages= takes|guest image refused)' $T/test.out &&
		   ! grep -q 'exception in the hypervisor' $T/test.out; then ok
		else bad "qemu: hv refuses pages=$p with a message (exit $rc)"; tail -5 $T/test.out; fi
	done
	expect 1 "qemu: a run past its time limit is stopped" "$bin" run --host qemu --workload mmap-64m --mode nobatch --ops 1000 --timeout 3
	if grep -q 'passed its time limit of 3 s' $T/test.out; then ok; else bad "qemu: time limit message"; fi
}

# The xen host: Debian's Xen 4.17 under the same QEMU, the guest as its
# dom0, as the oracle: the same guest must get hv's answers there, or the
# ones Xen documents for a dom0 (docs/ARCHITECTURE.md, "Xen as the oracle").
xen_suite() {
	local bin=build/release/pvmmu x=build/xen/xen
	echo "== xen host (Xen 4.17 under QEMU TCG, the guest as dom0)"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "SKIP: qemu-system-x86_64 is not installed: the differential tests against Xen did not run"
		return
	fi
	if [ ! -s $x ] && ! { tools/debian-fetch.sh xen-hypervisor-4.17-amd64 build/xen &&
			      gzip -dc build/xen/root/boot/xen-4.17-amd64.gz >$x.tmp && mv $x.tmp $x; }; then
		rm -f $x.tmp
		echo "SKIP: Debian's xen-hypervisor-4.17-amd64 could not be had (apt-get download):" \
		     "the differential tests against Xen did not run"
		return
	fi
	echo "Xen: $(cat build/xen/version)"
	# every ABI rule and every hostile attempt gets hv's answer, or the
	# documented dom0 one
	expect 0 "xen: every ABI rule answered as on hv, or as Xen answers its dom0" "$bin" run --host xen --abi all
	if grep -q 'answered as Xen answers them (15 as Xen answers its dom0), 0 not, 0 SKIPPED' $T/test.out; then ok
	else bad "xen: the documented ABI differences are 12 dom0 answers"; grep -E 'NOT REFUSED|SKIP|abi \(' $T/test.out; fi
	expect 0 "xen: every attack answered as on hv, or as Xen answers its dom0" "$bin" run --host xen --attack all
	if grep -q 'answered as Xen answers them (14 as Xen answers its dom0), 0 not, 2 SKIPPED' $T/test.out; then ok
	else bad "xen: the documented differences are 14 dom0 answers and 2 skips"; grep -E 'NOT REFUSED|SKIP|attacks \(' $T/test.out; fi
	# the scenario files through the same guest as Xen's dom0
	counted "xen: scenario files through a guest on Xen" "$bin" replay --host xen tests/scenarios/*.pvs tests/attacks/*.pvs
	# the guest's own counts per operation are the same on Xen as on hv
	local w
	for w in fork-exit fork-exec-exit fault-storm mmap-64m mprotect-64m invlpg ctxsw-2; do
		for h in qemu xen; do
			"$bin" run --host $h --workload $w --mode pv --ops 4 --pages 32768 --json 2>$T/$h.log |
				grep -o '"hypercalls":[0-9.]*,"multicall_entries":[0-9.]*\|"page_faults":[0-9.]*},"audit":true,"leak_free":true' \
				>$T/$h.json
		done
		if [ "$(wc -l <$T/xen.json)" = 2 ] && cmp -s $T/qemu.json $T/xen.json; then ok
		else bad "xen: $w per-operation counts as on hv"; diff $T/qemu.json $T/xen.json; tail -3 $T/xen.log; fi
	done
	# the same Linux kernel and initramfs as on hv, as Xen's dom0
	if [ -s build/linux/vmlinuz ] && [ -s build/linux/initramfs.cpio ]; then
		expect 0 "xen: Debian's kernel as dom0 runs the same self-checks" "$bin" run --host xen \
			--kernel build/linux/vmlinuz --initrd build/linux/initramfs.cpio --append "console=hvc0 pvmmu.test"
		if grep -q "$LINUX_PASSED_XEN" $T/test.out; then ok; else bad "xen: Linux's self-checks"; fi
	else
		echo "SKIP: no build/linux (make linux): Linux as Xen's dom0 did not run"
	fi
	expect 0 "xen: mixed on 2 vCPUs (each keeps its number in TSC_AUX)" \
		"$bin" run --host xen --workload mixed --mode pv --ops 40 --pages 16384
	# images: hv accepts and refuses what Xen's loader accepts and refuses
	mkdir -p $T/img && cp build/hv/hv.elf $T/img/
	local img
	for img in good no-loader paddr-is-vaddr xen-4.0 junk; do
		case $img in
		good) cp build/hv/guest.elf $T/img/guest.elf ;;
		no-loader) sed 's/generic/genxxxx/g' build/hv/guest.elf >$T/img/guest.elf ;;
		xen-4.0) sed 's/xen-3\.0/xen-4.0/g' build/hv/guest.elf >$T/img/guest.elf ;;
		paddr-is-vaddr) objcopy --change-section-lma .text+0xffff880000000000 \
			--change-section-lma .data+0xffff880000000000 build/hv/guest.elf $T/img/guest.elf 2>/dev/null ;;
		junk) echo "not an ELF file" >$T/img/guest.elf ;;
		esac
		local want=1
		[ $img = good ] && want=0
		for h in qemu xen; do
			PVMMU_IMAGES=$T/img expect $want "$h: image $img accepted or refused as Xen's loader does" \
				"$bin" run --host $h --workload fork-exit --mode pv --ops 1 --pages 16384
			if [ $want = 0 ] || grep -q 'hv: guest image refused\|Could not construct domain 0' $T/test.out; then ok
			else bad "$h: image $img refused with the loader's message"; fi
		done
	done
	# bad input to the host itself: a clear message and status, never a hung QEMU
	mkdir -p $T/noapt && printf '#!/bin/sh\nexit 100\n' >$T/noapt/apt-get && chmod +x $T/noapt/apt-get
	PATH=$T/noapt:$PATH PVMMU_XEN=$T/noxen expect 1 "xen: the package cannot be had" \
		"$bin" run --host xen --workload fork-exit --mode pv --ops 1
	if grep -q 'it could not be had' $T/test.out; then ok; else bad "xen: missing package message"; fi
	mkdir -p $T/badxen && echo "not Xen" >$T/badxen/xen
	PVMMU_XEN=$T/badxen expect 1 "xen: an image that is not Xen" "$bin" run --host xen --workload fork-exit --mode pv --ops 1
	if grep -q 'QEMU ended before Xen said how dom0 ended' $T/test.out; then ok; else bad "xen: bad Xen image message"; fi
	expect 1 "xen: a run past its time limit is stopped" "$bin" run --host xen --workload mmap-64m --mode nobatch --ops 1000 --timeout 5
	if grep -q 'passed its time limit of 5 s' $T/test.out; then ok; else bad "xen: time limit message"; fi
}

# Debian's Linux as a PV guest of hv: its kernel and busybox-static from
# Debian (make linux), our initramfs and self-checks (guest/linux/)
linux_suite() {
	local bin=build/release/pvmmu k=build/linux/vmlinuz i=build/linux/initramfs.cpio
	echo "== Linux guest (Debian's kernel on hv, QEMU TCG)"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "SKIP: qemu-system-x86_64 is not installed: the Linux guest tests did not run"
		return
	fi
	if ! make -s linux >$T/linux.log 2>&1; then
		echo "SKIP: Debian's linux-image-amd64 or busybox-static could not be had (make linux):" \
		     "the Linux guest tests did not run"; tail -3 $T/linux.log
		return
	fi
	echo "Linux: $(cat build/debian/linux/version)"
	expect 0 "linux: Debian's kernel boots on hv, runs its self-checks and powers off" \
		"$bin" run --host qemu --kernel $k --initrd $i --append "console=hvc0 pvmmu.test" --timeout 600
	if grep -q "$LINUX_PASSED" $T/test.out; then ok
	else bad "linux: every self-check passed"; grep 'pvmmu-linux-check\|Kernel panic\|BUG' $T/test.out | head; fi
	if grep -q 'hv: audit at shutdown: ok' $T/test.out && grep -q 'hv: audit after the domain was destroyed: ok' $T/test.out
	then ok; else bad "linux: hv's audits clean at shutdown and after teardown"; fi
	# no MMU request of Linux's refused: mmu_update, update_va_mapping,
	# multicall, mmuext_op, emulated pagetable stores
	if grep -qE 'hv: d1v[0-9]+ (hypercall (0x1|0xd|0xe|0x1a) refused|pagetable store at)' $T/test.out; then
		bad "linux: no MMU request refused"; grep -E 'refused' $T/test.out | head -5
	else ok; fi
	expect 0 "linux: with 2 vCPUs on 2 CPUs (VCPUOP_initialise, IPIs by event channel) and 1.5 GiB" \
		"$bin" run --host qemu --kernel $k --initrd $i --append "console=hvc0 pvmmu.test" --vcpus 2 \
		--cpus 2 --memory 1536 --timeout 600
	if grep -q "$LINUX_PASSED" $T/test.out && grep -q 'smp: Brought up 1 node, 2 CPUs' $T/test.out
	then ok; else bad "linux: 2 vCPUs up and every self-check passed"; fi
	expect 0 "linux: with 4 vCPUs on 4 CPUs" \
		"$bin" run --host qemu --kernel $k --initrd $i --append "console=hvc0 pvmmu.test" --vcpus 4 \
		--cpus 4 --timeout 600
	if grep -q "$LINUX_PASSED" $T/test.out && grep -q 'smp: Brought up 1 node, 4 CPUs' $T/test.out
	then ok; else bad "linux: 4 vCPUs up on 4 CPUs and every self-check passed"; fi
	# the Linux benchmark with a fork loop per CPU, natively and on hv
	"$bin" bench linux --cpus 2 --reps 1 --json --kernel $k --initrd $i >$T/bench.json 2>$T/bench.log
	if grep -q '"op":"forks"' $T/bench.json && grep -q '"scaling":{"cpus":2,"native":{"median":' $T/bench.json &&
		grep -qE '"scaling":.*"hv":\{"median":(0\.[0-9]|[1-9])' $T/bench.json
	then ok; else bad "linux: bench linux --cpus 2 gives the forks row and both sides' scaling"; tail -3 $T/bench.log; fi
	expect 2 "linux: bench linux --cpus 9" "$bin" bench linux --cpus 9
	# the same from an xl-style config file
	printf 'kernel = "%s"\nramdisk = "%s"\nextra = "console=hvc0 pvmmu.test"\nmemory = 192\nvcpus = 1\nname = "t"\n' \
		$k $i >$T/guest.cfg
	expect 0 "linux: the same from an xl config file (192 MiB)" "$bin" run --host qemu --config $T/guest.cfg --timeout 600
	expect 5 "linux: a reboot is told apart from a poweroff (SCHEDOP_shutdown's reason)" \
		"$bin" run --host qemu --kernel $k --initrd $i --append "console=hvc0 pvmmu.reboot" --timeout 600
	# bad input: a message and a distinct status, nothing hung
	head -c 100000 $k >$T/short
	expect 2 "linux: a truncated kernel is refused" "$bin" run --host qemu --kernel $T/short
	if grep -q 'pvmmu: --kernel' $T/test.out; then ok; else bad "linux: truncated kernel message"; fi
	expect 2 "linux: a missing initrd" "$bin" run --host qemu --kernel $k --initrd $T/nothing
	expect 2 "linux: memory out of range" "$bin" run --host qemu --kernel $k --memory 99999
	expect 2 "linux: a bad config line" "$bin" run --host qemu --config <(echo 'memory = "lots"')
	head -c 5000 $i >$T/short.cpio
	expect 1 "linux: a corrupt initramfs ends in the guest's panic, not hv's" \
		"$bin" run --host qemu --kernel $k --initrd $T/short.cpio --append "console=hvc0 panic=0" --timeout 600
	if grep -q 'shut down: crash' $T/test.out && grep -q 'hv: audit after the domain was destroyed: ok' $T/test.out
	then ok; else bad "linux: the panicking guest is shut down as crashed, hv audits clean"; fi
}

qemu_suite
linux_suite
xen_suite
suite release
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 suite asan
suite clang
echo "== tsan build"
TSAN_OPTIONS=halt_on_error=1 counted "unit [tsan]" build/tsan/test_unit

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
