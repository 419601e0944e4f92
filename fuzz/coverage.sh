#!/bin/sh
# Line and branch coverage of core/ and plugins/ from replaying every
# committed corpus and regression through the replay programs.
#   coverage.sh KIND SRCDIR NAME...
# KIND is clang (source-based: llvm-profdata + llvm-cov) or gcc (gcov
# data read by gcovr), as configure --enable-coverage chose.  Run from
# the build directory.  Writes coverage/report.txt and an HTML report in
# coverage/html, and prints the totals for core/tcp, core/sim (what the
# e2e replay reaches), core/ and plugins/.
# With COVERAGE_ENFORCE=1 it fails when core/tcp is below
# COVERAGE_MIN_LINES (90) percent of lines or COVERAGE_MIN_BRANCHES (80)
# percent of branches.
set -eu
kind=$1 srcdir=$2
shift 2
srcdir=$(cd "$srcdir" && pwd)
min_lines=${COVERAGE_MIN_LINES:-90}
min_branches=${COVERAGE_MIN_BRANCHES:-80}
out=coverage
rm -rf "$out"
mkdir -p "$out"

# The program behind a libtool wrapper, if there is one.
real_prog() {
  d=$(dirname "$1") b=$(basename "$1")
  if [ -x "$d/.libs/$b" ]; then
    echo "$d/.libs/$b"
  elif [ -x "$d/.libs/lt-$b" ]; then
    echo "$d/.libs/lt-$b"
  else
    echo "$1"
  fi
}

# pct COVERED TOTAL
pct() {
  awk -v c="$1" -v t="$2" 'BEGIN { if (t == 0) print "100.0"; else printf "%.1f", 100 * c / t }'
}

case $kind in
clang)
  profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata || true)
  cov=$(command -v llvm-cov-14 || command -v llvm-cov || true)
  if [ -z "$profdata" ] || [ -z "$cov" ]; then
    echo "coverage: llvm-profdata and llvm-cov are needed (Debian: llvm-14)" >&2
    exit 2
  fi
  bins=
  for name in "$@"; do
    echo "coverage: replaying corpus/$name and fuzz/regressions/$name"
    LLVM_PROFILE_FILE="$out/$name-%p.profraw" srcdir=$srcdir "./fuzz/replay_$name" >"$out/$name.log"
    bins="$bins $(real_prog "./fuzz/replay_$name")"
  done
  for lib in core/tcp/.libs/libplugtcp.so core/sim/.libs/libplugsim.so; do
    if [ -f "$lib" ]; then bins="$bins $lib"; fi
  done
  "$profdata" merge -sparse -o "$out/all.profdata" "$out"/*.profraw
  # llvm-cov takes the first binary as is and the others after -object.
  # shellcheck disable=SC2086
  set -- $bins
  main=$1
  shift
  objects=
  for b in "$@"; do objects="$objects -object $b"; done
  # Only core/ and plugins/: files directly in fuzz/, tests/, tools/ or
  # bench/ (the harnesses) and the build's config.h are left out.
  ignore='/(fuzz|tests|tools|bench)/[^/]+$|(^|/)config\.h$'
  # shellcheck disable=SC2086
  "$cov" report "$main" $objects -instr-profile="$out/all.profdata" \
    -ignore-filename-regex="$ignore" >"$out/report.txt"
  # shellcheck disable=SC2086
  "$cov" show "$main" $objects -instr-profile="$out/all.profdata" -format=html \
    -show-branches=count -ignore-filename-regex="$ignore" -output-dir="$out/html" >/dev/null
  # shellcheck disable=SC2086
  "$cov" export "$main" $objects -instr-profile="$out/all.profdata" -summary-only \
    -ignore-filename-regex="$ignore" >"$out/summary.json"
  # summary AREA: lines and branches over the files under AREA (a path
  # from the source root), summed from the per-file JSON summaries.
  summary() {
    tr '{' '\n' <"$out/summary.json" | awk -v area="$1" '
      /"filename":/ {
        f = $0; sub(/.*"filename":"/, "", f); sub(/".*/, "", f)
        inarea = f ~ ("(^|/)" area "/"); what = ""; next
      }
      /"totals":/ { inarea = 0 }
      /"branches":$/ { what = "b"; next }
      /"lines":$/ { what = "l"; next }
      /"count":/ {
        if (inarea && what != "") {
          c = $0; sub(/.*"count":/, "", c); sub(/,.*/, "", c)
          v = $0; sub(/.*"covered":/, "", v); sub(/,.*/, "", v)
          if (what == "b") { bt += c; bc += v } else { lt += c; lc += v }
        }
        what = ""; next
      }
      { what = "" }
      END {
        printf "%s: lines %.1f%% (%d/%d), branches %.1f%% (%d/%d)\n", area,
          lt ? 100 * lc / lt : 100, lc, lt, bt ? 100 * bc / bt : 100, bc, bt
      }'
  }
  ;;
gcc)
  if ! command -v gcovr >/dev/null 2>&1; then
    echo "coverage: gcovr is needed (Debian: gcovr)" >&2
    exit 2
  fi
  find . -name '*.gcda' -exec rm -f {} +
  for name in "$@"; do
    echo "coverage: replaying corpus/$name and fuzz/regressions/$name"
    srcdir=$srcdir "./fuzz/replay_$name" >"$out/$name.log"
  done
  mkdir -p "$out/html"
  gcovr -r "$srcdir" --object-directory . -f "$srcdir/core/" -f "$srcdir/plugins/" \
    --txt "$out/report.txt" --html-details "$out/html/index.html" >/dev/null
  summary() {
    area=$1
    gcovr -r "$srcdir" --object-directory . -f "$srcdir/$area/" --json-summary \
      "$out/summary.json" >/dev/null
    lc=$(tr ',{}' '\n\n\n' <"$out/summary.json" | grep '"line_covered"' | tail -n 1 | tr -dc 0-9)
    lt=$(tr ',{}' '\n\n\n' <"$out/summary.json" | grep '"line_total"' | tail -n 1 | tr -dc 0-9)
    bc=$(tr ',{}' '\n\n\n' <"$out/summary.json" | grep '"branch_covered"' | tail -n 1 | tr -dc 0-9)
    bt=$(tr ',{}' '\n\n\n' <"$out/summary.json" | grep '"branch_total"' | tail -n 1 | tr -dc 0-9)
    rm -f "$out/summary.json"
    echo "$area: lines $(pct "$lc" "$lt")% ($lc/$lt), branches $(pct "$bc" "$bt")% ($bc/$bt)"
  }
  ;;
*)
  echo "coverage: this build has no coverage instrumentation; configure with --enable-coverage" >&2
  exit 2
  ;;
esac

echo "coverage: replayed $(sed -n 's/^replay [a-z0-9_]*: \([0-9]*\) inputs.*/\1/p' "$out"/*.log |
  awk '{ n += $1 } END { print n }') inputs"
summary core/tcp | tee "$out/core-tcp.txt"
summary core/sim | tee "$out/summary.txt"
summary core | tee -a "$out/summary.txt"
summary plugins | tee -a "$out/summary.txt"
echo "coverage: per-file report in $out/report.txt, HTML in $out/html/"

if [ "${COVERAGE_ENFORCE:-0}" = 1 ]; then
  line=$(cat "$out/core-tcp.txt")
  lp=$(echo "$line" | sed 's/.*lines \([0-9.]*\)%.*/\1/')
  bp=$(echo "$line" | sed 's/.*branches \([0-9.]*\)%.*/\1/')
  if awk -v l="$lp" -v b="$bp" -v ml="$min_lines" -v mb="$min_branches" \
    'BEGIN { exit !(l < ml || b < mb) }'; then
    echo "coverage: core/tcp below the target of ${min_lines}% lines and ${min_branches}% branches" >&2
    exit 1
  fi
fi
