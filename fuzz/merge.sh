#!/bin/sh
# Minimizes each committed corpus with libFuzzer's -merge=1: keeps the
# smallest set of inputs that reaches the same coverage.  Seeds with
# descriptive names (what the corpus tools write) always stay; inputs
# the merge adds are named by the SHA-1 of their content, as libFuzzer
# names them, and only those are pruned.
#
# With FUZZ_MERGE_FROM=DIR it adds instead: the inputs in DIR/<name>/ (a
# campaign's or a smoke run's corpus) that reach something corpus/<name>/
# does not are copied in, and nothing already there is removed.
#   merge.sh SRCDIR NAME...
set -eu
srcdir=$1
shift
for name in "$@"; do
  dir=$srcdir/corpus/$name
  args=-merge=1
  opts=$srcdir/fuzz/$name.options
  if [ -f "$opts" ]; then
    maxlen=$(sed -n 's/^[[:space:]]*max_len[[:space:]]*=[[:space:]]*//p' "$opts")
    [ -n "$maxlen" ] && args="$args -max_len=$maxlen"
  fi
  before=$(ls "$dir" | wc -l)
  if [ -n "${FUZZ_MERGE_FROM:-}" ]; then
    if [ ! -d "$FUZZ_MERGE_FROM/$name" ]; then
      echo "fuzz-merge: $name: nothing in $FUZZ_MERGE_FROM/$name"
      continue
    fi
    log=$(mktemp "${TMPDIR:-/tmp}/plugtcp-merge.XXXXXX")
    # shellcheck disable=SC2086
    ./fuzz/fuzz_$name $args "$dir" "$FUZZ_MERGE_FROM/$name" >"$log" 2>&1 || {
      cat "$log" >&2
      exit 1
    }
    rm -f "$log"
    echo "fuzz-merge: $name: $before -> $(ls "$dir" | wc -l) inputs (added from $FUZZ_MERGE_FROM/$name)"
    continue
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugtcp-merge.XXXXXX")
  # shellcheck disable=SC2086
  ./fuzz/fuzz_$name $args "$tmp" "$dir" >"$tmp.log" 2>&1 || {
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
  echo "fuzz-merge: $name: $before -> $(ls "$dir" | wc -l) inputs"
  rm -rf "$tmp" "$tmp.log"
done
