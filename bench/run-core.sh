#!/bin/sh
# Side-by-side run of plugtcp's core and lwIP 2.1.3, both as two stacks in
# one process over an in-memory wire (bench/core_bench.c and
# ../shared/bench/lwip/lwip_bulk.c), 100 MB with every byte checked.
#   bench/run-core.sh [BYTES] [RUNS]        (from a configured build tree)
# Wall times are interleaved and reported as medians; instruction counts
# come from callgrind (exact and repeatable) on a 20 MB run.
set -eu
bytes=${1:-100000000}
runs=${2:-5}
cg_bytes=20000000
top=$(cd "$(dirname "$0")/.." && pwd)
lwip_src=${LWIP_BENCH_SRC:-$top/../shared/bench/lwip/lwip_bulk.c}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugtcp-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -x ./bench/core_bench ] || { echo "run from a build tree after make" >&2; exit 2; }
have_lwip=no
if [ -f "$lwip_src" ] && pkg-config --exists lwip 2>/dev/null; then
  # shellcheck disable=SC2046
  gcc -O2 -Wall $(pkg-config --cflags lwip) -o "$tmp/lwip_bulk" "$lwip_src" \
    $(pkg-config --libs lwip) && have_lwip=yes
else
  echo "(lwIP side skipped: needs $lwip_src and Debian's liblwip-dev)" >&2
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

i=0
while [ $i -lt "$runs" ]; do
  ./bench/core_bench -n "$bytes" --json | sed 's/.*"wall_s": \([0-9.]*\).*/\1/' >>"$tmp/ptcp.wall"
  if [ $have_lwip = yes ]; then
    "$tmp/lwip_bulk" -n "$bytes" | sed -n 's/.*time=\([0-9.]*\) s.*/\1/p' >>"$tmp/lwip.wall"
  fi
  i=$((i + 1))
done

# objself FILE OBJECT: instructions executed in OBJECT's own code (self
# cost, inlined functions included) from a callgrind output file.
# callgrind_annotate lists code inlined from headers under the header's
# name without the object, so summing its lines would miss it.
objself() {
  awk -v want="$2" '
    function obname(s,  id, rest) {
      if (match(s, /^\([0-9]+\)/)) {
        id = substr(s, RSTART, RLENGTH); rest = substr(s, RLENGTH + 1); sub(/^ /, "", rest)
        if (rest != "") name[id] = rest
        return name[id]
      }
      return s
    }
    /^ob=/ { ob = obname(substr($0, 4)); next }
    /^cob=/ { obname(substr($0, 5)); next }
    /^calls=/ { skip = 1; next }       # the next line is the call'"'"'s inclusive cost
    /^[0-9+*-]/ { if (skip) skip = 0; else if (index(ob, want)) s += $2; next }
    END { print s + 0 }' "$1"
}

cg() { # cg LABEL CMD...: instructions of a whole run, profile in $tmp/cg.LABEL
  label=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$label" "$@" >/dev/null 2>"$tmp/cg.err"
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err"
}

ptcp_json=$(./bench/core_bench -n "$cg_bytes" --json)
ptcp_segs=$(echo "$ptcp_json" | sed 's/.*"data_segments": \([0-9]*\).*/\1/')
ptcp_ins=$(cg ptcp ./bench/core_bench -n "$cg_bytes")
ptcp_lib=$(objself "$tmp/cg.ptcp" libplugtcp)
ptcp_wall=$(median <"$tmp/ptcp.wall")

echo "core benchmark: $bytes bytes, one connection, every byte verified; wall = median of $runs interleaved runs"
printf "%-10s %10s %12s %14s %16s\n" stack "wall s" "MB/s" "instr/dataseg" "lib instr/dataseg"
printf "%-10s %10s %12.0f %14.0f %16.0f\n" plugtcp "$ptcp_wall" \
  "$(echo "$bytes $ptcp_wall" | awk '{print $1/$2/1e6}')" \
  "$(echo "$ptcp_ins $ptcp_segs" | awk '{print $1/$2}')" \
  "$(echo "$ptcp_lib $ptcp_segs" | awk '{print $1/$2}')"
if [ $have_lwip = yes ]; then
  lwip_wall=$(median <"$tmp/lwip.wall")
  lwip_out=$("$tmp/lwip_bulk" -n "$cg_bytes")
  lwip_segs=$(echo "$lwip_out" | sed -n 's/.*data_segs(a->b)=\([0-9]*\).*/\1/p')
  lwip_ins=$(cg lwip "$tmp/lwip_bulk" -n "$cg_bytes")
  lwip_lib=$(objself "$tmp/cg.lwip" liblwip)
  printf "%-10s %10s %12.0f %14.0f %16.0f\n" lwip-2.1.3 "$lwip_wall" \
    "$(echo "$bytes $lwip_wall" | awk '{print $1/$2/1e6}')" \
    "$(echo "$lwip_ins $lwip_segs" | awk '{print $1/$2}')" \
    "$(echo "$lwip_lib $lwip_segs" | awk '{print $1/$2}')"
fi
echo "$ptcp_json" | sed 's/.*"sizeof_conn": \([0-9]*\), "sizeof_time_wait": \([0-9]*\).*/sizeof(connection) = \1 bytes, sizeof(TIME-WAIT entry) = \2 bytes/'
