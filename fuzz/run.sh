#!/usr/bin/env bash
# Run each fuzzer for $1 seconds on its corpus; print libFuzzer's last
# status line (coverage, executions per second); then fuzz hv from inside a
# guest for as long (pvmmu fuzz).  Exits non-zero on a finding.
set -u
cd "$(dirname "$0")/.."
secs=${1:-300}
status=0
for h in hypercalls scenario insn elf kernel xenstore; do
	corpus=build/fuzz/corpus-$h
	mkdir -p "$corpus"
	seeds=
	for d in fuzz/regressions/$h fuzz/seeds/$h; do [ -d $d ] && seeds="$seeds $d"; done
	[ "$h" = scenario ] && seeds="$seeds tests/scenarios tests/attacks"
	# shellcheck disable=SC2086
	build/fuzz/fuzz_$h -max_total_time="$secs" -print_final_stats=1 -artifact_prefix=build/fuzz/ \
		"$corpus" $seeds > "build/fuzz/$h.log" 2>&1 || status=1
	echo "fuzz_$h: $(grep -E '^#[0-9]+' "build/fuzz/$h.log" | tail -1)"
	grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "build/fuzz/$h.log" | sed 's/^/    /'
	[ $status = 0 ] || { tail -40 "build/fuzz/$h.log"; break; }
done
# hv itself, fuzzed from inside a guest under QEMU, from a fresh seed
if [ $status = 0 ] && [ "${PVMMU_FUZZ_HV:-1}" = 1 ]; then
	if command -v qemu-system-x86_64 >/dev/null; then
		build/release/pvmmu fuzz --seconds "$secs" --seed "$(date +%s)" > build/fuzz/hv.log 2>&1 || status=1
		echo "pvmmu fuzz: $(tail -1 build/fuzz/hv.log)"
		[ $status = 0 ] || grep '^FAIL' build/fuzz/hv.log
	else
		echo "SKIP: pvmmu fuzz needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
	fi
fi
exit $status
