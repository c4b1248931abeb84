#!/usr/bin/env bash
# The test suite: unit tests, scenarios, the replay tool's own behaviour,
# the command line, the freestanding core and a benchmark smoke run, on the
# release (gcc), ASan+UBSan (gcc) and clang builds.  Ends with the line
# "N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect STATUS WHAT CMD...: CMD exits with STATUS
expect() {
	local want=$1 what=$2; shift 2
	"$@" >/tmp/pvmmu-test.out 2>&1
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "$what (exit $got, wanted $want)"; sed 's/^/    /' /tmp/pvmmu-test.out | tail -20; fi
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
	expect 2 "run --host qemu (not built) [$v]" "$bin" run --host qemu
	expect 2 "run --ops 0 [$v]" "$bin" run --ops 0
	expect 2 "run --pages junk [$v]" "$bin" run --pages x
	expect 2 "run option without value [$v]" "$bin" run --workload
	expect 0 "run every workload, every mode [$v]" "$bin" run --workload all --ops 3 --pages 32768
	expect 0 "run --json [$v]" "$bin" run --workload fork-exit --ops 2 --json
	if grep -q '"audit":true' /tmp/pvmmu-test.out; then ok; else bad "run --json output [$v]"; fi
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
	if grep -q '"pin_unpin_over_read"' /tmp/pvmmu-test.out; then ok; else bad "bench --json output [$v]"; fi
}

# The README's scenario example runs as written.
awk '/^domain A frames=16$/{on=1} on&&/^```$/{exit} on' README.md > /tmp/pvmmu-readme.pvs
if [ -s /tmp/pvmmu-readme.pvs ] && build/release/pvmmu replay /tmp/pvmmu-readme.pvs >/dev/null; then ok
else bad "README scenario example"; fi

# core/ and guest/ link against nothing but their platform interfaces.
undef=$(nm -u build/release/core.o | awk '{print $2}' | grep -v '^env_' | tr '\n' ' ')
if [ -z "$undef" ]; then ok; else bad "core/ needs symbols beyond env_*: $undef"; fi
undef=$(nm -u build/release/guest.o | awk '{print $2}' | grep -v '^hostif_' | tr '\n' ' ')
if [ -z "$undef" ]; then ok; else bad "guest/ needs symbols beyond hostif_*: $undef"; fi

# The fuzzers: every saved finding runs clean, then a short run of each.
for h in hypercalls scenario; do
	files=$(ls fuzz/regressions/$h/* 2>/dev/null)
	if [ -z "$files" ]; then ok; continue; fi
	# shellcheck disable=SC2086
	if build/fuzz/fuzz_$h $files >/tmp/pvmmu-fuzz.log 2>&1; then ok
	else bad "fuzz regression ($h)"; tail -20 /tmp/pvmmu-fuzz.log; fi
done
if fuzz/run.sh "${PVMMU_FUZZ_SECONDS:-20}"; then ok; else bad "short fuzz run"; fi

suite release
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 suite asan
suite clang
echo "== tsan build"
TSAN_OPTIONS=halt_on_error=1 counted "unit [tsan]" build/tsan/test_unit

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
