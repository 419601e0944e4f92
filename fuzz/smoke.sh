#!/bin/sh
# Runs every fuzz target for a bounded time from its committed corpus.
#   smoke.sh ENGINE SECONDS SRCDIR NAME...
# ENGINE is libfuzzer or afl.  Exits non-zero on any finding, printing
# the crashing input's path and how to replay it.
set -u
engine=$1 seconds=$2 srcdir=$3
shift 3

work=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/plugtcp-fuzz.XXXXXX")}
mkdir -p "$work"
status=0

for name in "$@"; do
  prog=./fuzz/fuzz_$name
  seeds=$srcdir/corpus/$name
  dict=$srcdir/fuzz/$name.dict
  out=$work/$engine-$name
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/artifacts"
  dictarg=
  case $engine in
  libfuzzer)
    [ -f "$dict" ] && dictarg=-dict=$dict
    echo "fuzz-smoke: $name under libFuzzer for ${seconds}s"
    "$prog" -max_total_time="$seconds" -print_final_stats=1 $dictarg \
      -artifact_prefix="$out/artifacts/" "$out/corpus" "$seeds" \
      >"$out/log" 2>&1
    rc=$?
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$out/log" |
      sed "s/^/  $name: /"
    if [ $rc -ne 0 ] || [ -n "$(ls -A "$out/artifacts")" ]; then
      echo "fuzz-smoke: FINDING in $name (exit $rc):"
      tail -n 40 "$out/log"
      for f in "$out"/artifacts/*; do
        [ -e "$f" ] && echo "  input: $f  (replay: ./fuzz/replay_$name $f in a normal build)"
      done
      status=1
    fi
    ;;
  afl)
    [ -f "$dict" ] && dictarg="-x $dict"
    echo "fuzz-smoke: $name under AFL++ for ${seconds}s"
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 \
    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CRASHES=0 \
      afl-fuzz -V "$seconds" -m none -i "$seeds" -o "$out/afl" $dictarg -- "$prog" \
      >"$out/log" 2>&1
    rc=$?
    stats=$out/afl/default/fuzzer_stats
    if [ -f "$stats" ]; then
      grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs) ' "$stats" |
        sed "s/^/  $name: /"
    fi
    crashes=$(find "$out/afl/default/crashes" -type f ! -name README.txt 2>/dev/null)
    if [ $rc -ne 0 ] || [ ! -f "$stats" ] || [ -n "$crashes" ]; then
      echo "fuzz-smoke: FINDING or failure in $name (exit $rc):"
      tail -n 30 "$out/log"
      for f in $crashes; do echo "  input: $f"; done
      status=1
    fi
    ;;
  *)
    echo "fuzz-smoke: unknown engine '$engine'" >&2
    exit 2
    ;;
  esac
done
exit $status
