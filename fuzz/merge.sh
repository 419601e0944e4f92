#!/bin/sh
# Minimizes each committed corpus with libFuzzer's -merge=1: keeps the
# smallest set of inputs that reaches the same coverage.  Seeds that
# survive keep their descriptive names; inputs the merge adds are named
# by the SHA-1 of their content, as libFuzzer names them.
#   merge.sh SRCDIR NAME...
set -eu
srcdir=$1
shift
for name in "$@"; do
  dir=$srcdir/corpus/$name
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugtcp-merge.XXXXXX")
  before=$(ls "$dir" | wc -l)
  ./fuzz/fuzz_$name -merge=1 "$tmp" "$dir" >"$tmp.log" 2>&1 || {
    cat "$tmp.log" >&2
    exit 1
  }
  for f in "$dir"/*; do
    h=$(sha1sum <"$f" | cut -c1-40)
    if [ -e "$tmp/$h" ]; then rm -f "$tmp/$h"; else rm -f "$f"; fi
  done
  for f in "$tmp"/*; do
    [ -e "$f" ] && mv "$f" "$dir/"
  done
  echo "fuzz-merge: $name: $before -> $(ls "$dir" | wc -l) inputs"
  rm -rf "$tmp" "$tmp.log"
done
