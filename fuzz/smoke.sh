#!/bin/sh
# Runs every fuzz target for a bounded time from its committed corpus and
# regressions.
#   smoke.sh ENGINE SECONDS SRCDIR NAME...
# ENGINE is libfuzzer or afl.  FUZZ_JOBS (default 1) targets run at once,
# one core each.  fuzz/<t>.options gives max_len, fuzz/<t>.dict the
# dictionary.  Prints each target's executions, rate and corpus growth,
# and exits non-zero on any finding, naming the input and how to replay
# and explain it.  FUZZ_WORKDIR keeps the outputs (default: a new
# temporary directory).
set -u
engine=$1 seconds=$2 srcdir=$3
shift 3
jobs=${FUZZ_JOBS:-1}

case $engine in
libfuzzer | afl) ;;
*)
  echo "fuzz-smoke: unknown engine '$engine' (expected libfuzzer or afl)" >&2
  exit 2
  ;;
esac
case $seconds in
'' | *[!0-9]*)
  echo "fuzz-smoke: seconds must be a number, not '$seconds'" >&2
  exit 2
  ;;
esac

work=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/plugtcp-fuzz.XXXXXX")}
mkdir -p "$work"

# option NAME KEY: a value from fuzz/NAME.options, or nothing.
option() {
  f=$srcdir/fuzz/$1.options
  [ -f "$f" ] && sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$f" | head -n 1
}

# run_one NAME: fuzzes one target; writes $out/status (0 or 1).
run_one() {
  name=$1
  prog=./fuzz/fuzz_$name
  seeds=$srcdir/corpus/$name
  regs=$srcdir/fuzz/regressions/$name
  dict=$srcdir/fuzz/$name.dict
  out=$work/$engine-$name
  maxlen=$(option "$name" max_len)
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/artifacts" "$out/seeds"
  cp "$seeds"/* "$out/seeds/" 2>/dev/null
  [ -d "$regs" ] && find "$regs" -type f ! -name 'README*' -exec cp {} "$out/seeds/" \;
  status=0
  case $engine in
  libfuzzer)
    set -- -max_total_time="$seconds" -print_final_stats=1 -timeout=30 \
      -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/"
    [ -f "$dict" ] && set -- "$@" -dict="$dict"
    [ -n "$maxlen" ] && set -- "$@" -max_len="$maxlen"
    "$prog" "$@" "$out/corpus" "$out/seeds" >"$out/log" 2>&1
    rc=$?
    {
      echo "fuzz-smoke: $name under libFuzzer for ${seconds}s (exit $rc)"
      sed -n 's/^stat::\(number_of_executed_units\|average_exec_per_sec\|new_units_added\|peak_rss_mb\): */  \1: /p' "$out/log"
      echo "  corpus: $(ls "$out/seeds" | wc -l) seeds -> $(ls "$out/corpus" | wc -l) new inputs"
    } >"$out/summary"
    if [ $rc -ne 0 ] || [ -n "$(ls -A "$out/artifacts")" ]; then
      status=1
      {
        echo "fuzz-smoke: FINDING in $name:"
        grep -E 'oracle failed|ERROR: |SUMMARY: |runtime error' "$out/log" | head -n 5
        for f in "$out"/artifacts/*; do
          [ -e "$f" ] || continue
          echo "  input: $f"
          echo "  replay: ./fuzz/replay_$name $f   (normal build)"
          case $name in
          conn | e2e) echo "  explain: ./tools/plugtcp-fuzz-explain -t $name $f" ;;
          esac
        done
      } >>"$out/summary"
    fi
    ;;
  afl)
    [ -f "$dict" ] && set -- -x "$dict" || set --
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 \
      AFL_CMPLOG_ONLY_NEW=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
      afl-fuzz -V "$seconds" -m none -t 10000 -i "$out/seeds" -o "$out/afl" "$@" -- "$prog" \
      >"$out/log" 2>&1
    rc=$?
    stats=$out/afl/default/fuzzer_stats
    {
      echo "fuzz-smoke: $name under AFL++ for ${seconds}s (exit $rc)"
      [ -f "$stats" ] &&
        sed -n 's/^\(execs_done\|execs_per_sec\|corpus_count\|saved_crashes\|saved_hangs\|stability\) *: */  \1: /p' "$stats"
    } >"$out/summary"
    crashes=$(find "$out/afl/default/crashes" -type f ! -name README.txt 2>/dev/null)
    if [ $rc -ne 0 ] || [ ! -f "$stats" ] || [ -n "$crashes" ]; then
      status=1
      {
        echo "fuzz-smoke: FINDING or failure in $name:"
        tail -n 20 "$out/log"
        for f in $crashes; do
          echo "  input: $f"
          echo "  replay: ./fuzz/replay_$name $f   (normal build)"
          case $name in
          conn | e2e) echo "  explain: ./tools/plugtcp-fuzz-explain -t $name $f" ;;
          esac
        done
      } >>"$out/summary"
    fi
    ;;
  esac
  echo $status >"$out/status"
}

# Up to $jobs targets at a time.
running=0
for name in "$@"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

status=0
for name in "$@"; do
  out=$work/$engine-$name
  cat "$out/summary"
  [ "$(cat "$out/status" 2>/dev/null)" = 0 ] || status=1
done
echo "fuzz-smoke: outputs in $work"
exit $status
