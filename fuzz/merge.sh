#!/bin/sh
# Minimizes each committed corpus with libFuzzer's -merge=1: keeps the
# smallest set of inputs that reaches the same coverage.  With
# FUZZ_MERGE_FROM=DIR, the inputs in DIR/<name>/ (a campaign's or a
# smoke run's corpus, for instance) are merged in as well, so what a
# run found can be committed.  Seeds with descriptive names (what the
# corpus tools write) always stay; inputs the merge adds are named by
# the SHA-1 of their content, as libFuzzer names them, and only those
# are pruned.
#   merge.sh SRCDIR NAME...
set -eu
srcdir=$1
shift
for name in "$@"; do
  dir=$srcdir/corpus/$name
  extra=
  if [ -n "${FUZZ_MERGE_FROM:-}" ] && [ -d "$FUZZ_MERGE_FROM/$name" ]; then
    extra=$FUZZ_MERGE_FROM/$name
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugtcp-merge.XXXXXX")
  before=$(ls "$dir" | wc -l)
  args=-merge=1
  opts=$srcdir/fuzz/$name.options
  if [ -f "$opts" ]; then
    maxlen=$(sed -n 's/^[[:space:]]*max_len[[:space:]]*=[[:space:]]*//p' "$opts")
    [ -n "$maxlen" ] && args="$args -max_len=$maxlen"
  fi
  # shellcheck disable=SC2086
  ./fuzz/fuzz_$name $args "$tmp" "$dir" $extra >"$tmp.log" 2>&1 || {
    cat "$tmp.log" >&2
    exit 1
  }
  for f in "$dir"/*; do
    h=$(sha1sum <"$f" | cut -c1-40)
    if [ -e "$tmp/$h" ]; then
      rm -f "$tmp/$h"
    else
      # A named seed documents a situation: it stays.
      if echo "$(basename "$f")" | grep -Eq '^[0-9a-f]{40}$'; then rm -f "$f"; fi
    fi
  done
  for f in "$tmp"/*; do
    [ -e "$f" ] && mv "$f" "$dir/"
  done
  echo "fuzz-merge: $name: $before -> $(ls "$dir" | wc -l) inputs${extra:+ (with $extra)}"
  rm -rf "$tmp" "$tmp.log"
done
