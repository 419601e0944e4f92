#!/bin/sh
# Checks an OSS-Fuzz output directory against the conventions
# (google/oss-fuzz new_project_guide, and hardening.md §2.3):
#   - a fuzzer is an executable without an extension;
#   - a seed corpus is <fuzzer>_seed_corpus.zip, a valid, non-empty zip;
#   - <fuzzer>.dict and <fuzzer>.options belong to a fuzzer; an options
#     file has a [libfuzzer] section and names a dictionary that exists;
#   - every fuzzer has a seed corpus, and nothing else lies around.
#   oss-fuzz-lint.sh OUT
# Exits 1 with one line per problem.
set -u
out=${1:?usage: oss-fuzz-lint.sh OUT}
status=0
bad() {
  echo "oss-fuzz-lint: $*"
  status=1
}

fuzzers=
for f in "$out"/*; do
  [ -e "$f" ] || continue
  b=$(basename "$f")
  if [ -f "$f" ] && [ -x "$f" ]; then
    case $b in
    *.*) bad "$b: a fuzzer binary must have no extension" ;;
    *) fuzzers="$fuzzers $b" ;;
    esac
  fi
done
[ -n "$fuzzers" ] || bad "no fuzzer in $out"

is_fuzzer() {
  case " $fuzzers " in *" $1 "*) return 0 ;; esac
  return 1
}

for f in "$out"/*; do
  [ -e "$f" ] || continue
  b=$(basename "$f")
  if [ -f "$f" ] && [ -x "$f" ]; then
    continue
  fi
  case $b in
  *_seed_corpus.zip)
    is_fuzzer "${b%_seed_corpus.zip}" || bad "$b: no fuzzer named ${b%_seed_corpus.zip}"
    if ! unzip -tq "$f" >/dev/null 2>&1; then
      bad "$b: not a valid zip"
    elif [ "$(unzip -Z1 "$f" | wc -l)" -eq 0 ]; then
      bad "$b: empty"
    fi
    ;;
  *.zip) bad "$b: a seed corpus must be named <fuzzer>_seed_corpus.zip" ;;
  *.dict)
    is_fuzzer "${b%.dict}" || bad "$b: no fuzzer named ${b%.dict}"
    ;;
  *.options)
    is_fuzzer "${b%.options}" || bad "$b: no fuzzer named ${b%.options}"
    grep -q '^\[libfuzzer\]' "$f" || bad "$b: no [libfuzzer] section"
    d=$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*//p' "$f")
    if [ -n "$d" ] && [ ! -f "$out/$d" ]; then
      bad "$b: names dictionary $d, which is not in $out"
    fi
    ;;
  *) bad "$b: unexpected file" ;;
  esac
done
for fz in $fuzzers; do
  [ -f "$out/${fz}_seed_corpus.zip" ] || bad "$fz: no ${fz}_seed_corpus.zip"
done
[ $status -eq 0 ] && echo "oss-fuzz-lint: $(echo $fuzzers | wc -w) fuzzers in $out follow the conventions"
exit $status
