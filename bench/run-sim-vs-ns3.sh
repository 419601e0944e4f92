#!/bin/sh
# plugtcp-sim against ns-3 3.37 (Debian's libns3-dev, program
# ../shared/bench/ns3/bulk.cc) on the same three bulk transfers:
#   a  100 MB over 100 Mbit/s, 10 ms, no loss
#   b  100 MB over 100 Mbit/s, 10 ms, 1% loss on the data direction
#   c   10 MB over 1 Gbit/s, 1 ms, no loss
# Both: one point-to-point link, a 100-packet drop-tail device queue and
# no queue disc above it (ns-3 --qdisc=none), 1 MiB socket buffers,
# 1448-byte segments (plugtcp: MSS 1460 less the timestamp option),
# NewReno, SACK and timestamps on.  plugtcp-sim computes and verifies
# every checksum and checks every delivered byte against its pattern;
# ns-3 does neither (its checksums are off by default).
#
#   bench/run-sim-vs-ns3.sh [RUNS]      (from a build tree, after make)
#
# Runs are interleaved (a-ns3, a-sim, b-ns3, ...) RUNS times; the table
# gives medians of whole-process wall time (start-up included, for both)
# and of peak RSS (/usr/bin/time -v), and their ratios.  With CALLGRIND=1 it also counts instructions of one run
# of each (valgrind, exact and repeatable).
set -eu
runs=${1:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
ns3_src=${NS3_BENCH_DIR:-$top/../shared/bench/ns3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sim-vs-ns3.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -x ./tools/plugtcp-sim ] || { echo "run from a build tree after make" >&2; exit 2; }
# The real binary, not libtool's wrapper script (which would add a shell
# to every timing).
if [ -x ./tools/.libs/plugtcp-sim ]; then
  sim=./tools/.libs/plugtcp-sim
  LD_LIBRARY_PATH=$(pwd)/core/sim/.libs:$(pwd)/core/tcp/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
else
  sim=./tools/plugtcp-sim
fi
ns3=${NS3_BULK:-$tmp/ns3-bulk}
if [ ! -x "$ns3" ]; then
  pkg-config --exists ns3-core 2>/dev/null || {
    echo "ns-3 not found: apt-get install -y libns3-dev libgsl-dev" >&2
    exit 2
  }
  sh "$ns3_src/build.sh" "$ns3"
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian: time)" >&2; exit 2; }

scenarios="a b c"
ns3_args() {
  case $1 in
  a) echo "--bytes=100000000 --dataRate=100Mbps --delay=10ms --loss=0" ;;
  b) echo "--bytes=100000000 --dataRate=100Mbps --delay=10ms --loss=0.01" ;;
  c) echo "--bytes=10000000 --dataRate=1Gbps --delay=1ms --loss=0" ;;
  esac
}
sim_args() {
  case $1 in
  a) echo "-n 100000000 --rate 100Mbps --delay 10ms --loss 0" ;;
  b) echo "-n 100000000 --rate 100Mbps --delay 10ms --loss 0.01" ;;
  c) echo "-n 10000000 --rate 1Gbps --delay 1ms --loss 0" ;;
  esac
}
common_sim="-q --json --queue 100 --impair forward --sndbuf 1Mi --rcvbuf 1Mi --mss 1460"

# timed LABEL CMD...: appends the wall seconds of the whole process (in
# ns, around /usr/bin/time, whose own 10 ms resolution is too coarse)
# and its peak RSS in KiB to files.
timed() {
  label=$1
  shift
  t0=$(date +%s%N)
  /usr/bin/time -v "$@" >"$tmp/out.$label" 2>"$tmp/time.$label"
  t1=$(date +%s%N)
  echo "$t0 $t1" | awk '{printf "%.4f\n", ($2 - $1) / 1e9}' >>"$tmp/wall.$label"
  sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$tmp/time.$label" \
    >>"$tmp/rss.$label"
}

i=0
while [ $i -lt "$runs" ]; do
  for s in $scenarios; do
    # shellcheck disable=SC2046
    timed "$s-ns3" "$ns3" $(ns3_args $s) --qdisc=none
    grep -q '^completed=1' "$tmp/out.$s-ns3" || { cat "$tmp/out.$s-ns3"; echo "ns-3 $s did not complete" >&2; exit 1; }
    # shellcheck disable=SC2046,SC2086
    timed "$s-sim" "$sim" $(sim_args $s) $common_sim
    grep -q '"verified":true,"ok":true' "$tmp/out.$s-sim" || { cat "$tmp/out.$s-sim"; echo "plugtcp-sim $s failed" >&2; exit 1; }
  done
  i=$((i + 1))
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"; }

echo "plugtcp-sim vs ns-3 3.37: medians of $runs interleaved runs"
echo
echo "| | transfer | ns-3 wall s | plugtcp-sim wall s | speed-up | ns-3 peak RSS MiB | plugtcp-sim peak RSS MiB | memory ratio | ns-3 events | plugtcp-sim events | sim. completion ns-3 / plugtcp s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for s in $scenarios; do
  nw=$(median <"$tmp/wall.$s-ns3")
  sw=$(median <"$tmp/wall.$s-sim")
  nr=$(median <"$tmp/rss.$s-ns3")
  sr=$(median <"$tmp/rss.$s-sim")
  ne=$(sed -n 's/^events=//p' "$tmp/out.$s-ns3")
  se=$(field "$tmp/out.$s-sim" events)
  nt=$(sed -n 's/^sim_completion_s=//p' "$tmp/out.$s-ns3")
  st=$(field "$tmp/out.$s-sim" sim_time_s)
  echo "| $s | $(ns3_args $s) | $nw | $sw | $(echo "$nw $sw" | awk '{printf "%.1fx", $1/$2}') |" \
    "$(echo "$nr" | awk '{printf "%.1f", $1/1024}') | $(echo "$sr" | awk '{printf "%.1f", $1/1024}') |" \
    "$(echo "$sr $nr" | awk '{printf "%.2f", $1/$2}') | $ne | $se |" \
    "$(printf '%.3f / %.3f' "$nt" "$st") |"
done
echo
echo "plugtcp-sim: $sim <args> $common_sim"
echo "ns-3:        $ns3 <args> --qdisc=none"

if [ "${CALLGRIND:-0}" = 1 ]; then
  echo
  echo "instructions (callgrind, one run each):"
  for s in $scenarios; do
    # shellcheck disable=SC2046
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.ns3" "$ns3" $(ns3_args $s) \
      --qdisc=none >/dev/null 2>"$tmp/cg.err"
    ni=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err")
    # shellcheck disable=SC2046,SC2086
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.sim" "$sim" $(sim_args $s) \
      $common_sim >/dev/null 2>"$tmp/cg.err"
    si=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err")
    echo "  $s: ns-3 $ni, plugtcp-sim $si ($(echo "$ni $si" | awk '{printf "%.1fx", $1/$2}'))"
  done
fi
