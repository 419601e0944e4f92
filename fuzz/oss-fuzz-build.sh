#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for plugtcp (also run by .ci/run
# with the environment emulated).
#
# Uses what the builder sets: CC, CXX, CFLAGS, CXXFLAGS (sanitizers and
# coverage instrumentation), LIB_FUZZING_ENGINE (libFuzzer, AFL++,
# honggfuzz...), OUT, and WORK for intermediate files.  Builds the
# static libplugtcp and libplugsim with those flags, links every target
# against them and $LIB_FUZZING_ENGINE, and writes to $OUT, per target
# <t>:
#   fuzz_<t>                    the fuzzer (no extension)
#   fuzz_<t>_seed_corpus.zip    corpus/<t>/ and fuzz/regressions/<t>/
#   fuzz_<t>.dict               fuzz/<t>.dict
#   fuzz_<t>.options            fuzz/<t>.options, its dict renamed
# fuzz/oss-fuzz-lint.sh checks those names.
#
# A new target: add it to TARGETS with its sources and libraries below.
# The e2e target links libplugsim.a but nothing of it that writes pcap
# files, so the fuzzer needs no libpcap at run time (OSS-Fuzz's runners
# have none); libpcap-dev is needed to configure only.

src=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE must be set (e.g. -fsanitize=fuzzer)}"
: "${OUT:?OUT must name the output directory}"
work=${WORK:-$(mktemp -d)}
jobs=$(nproc 2>/dev/null || echo 2)

TARGETS="segment conn policy e2e"

# sources_of TARGET: the harness's C files, relative to the source root.
sources_of() {
  case $1 in
  segment) echo "fuzz/fuzz_segment.c" ;;
  conn) echo "fuzz/fuzz_conn.c fuzz/conn_driver.c fuzz/conn_peer.c fuzz/conn_oracle.c" ;;
  policy) echo "fuzz/fuzz_policy.c" ;;
  e2e) echo "fuzz/fuzz_e2e.c fuzz/e2e_driver.c fuzz/e2e_user.c fuzz/e2e_oracle.c" ;;
  *)
    echo "oss-fuzz-build: no sources known for target '$1'" >&2
    exit 1
    ;;
  esac
}

# libs_of TARGET: the static libraries (and system ones) it links.
libs_of() {
  case $1 in
  e2e) echo "$simlib $lib -lm" ;;
  *) echo "$lib" ;;
  esac
}

# Build in a copy of the tree, so an in-tree configured checkout (or a
# read-only one) does not get in the way.
build=$work/plugtcp-src
rm -rf "$build"
mkdir -p "$build"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # One tar reads the whole list: xargs would split it into several
  # archives, and the extracting tar stops at the end of the first.
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
    tar -cf - --no-recursion --null -T -) | tar -xf - -C "$build"
else
  tar -C "$src" --exclude='./build-*' --exclude=./.git -cf - . | tar -xf - -C "$build"
  if [ -f "$build/Makefile" ]; then (cd "$build" && make distclean >/dev/null); fi
fi

cd "$build"
autoreconf -fi
./configure --disable-shared --enable-static CC="$CC" CFLAGS="$CFLAGS"
make -j"$jobs" core/tcp/libplugtcp.la core/sim/libplugsim.la
lib=$build/core/tcp/.libs/libplugtcp.a
simlib=$build/core/sim/.libs/libplugsim.a

mkdir -p "$OUT"
for t in $TARGETS; do
  objs=
  for s in $(sources_of "$t"); do
    o=$work/$t-$(basename "$s" .c).o
    $CC $CFLAGS -I"$build/core/tcp/include" -I"$build/core/sim/include" -I"$build" \
      -c "$build/$s" -o "$o"
    objs="$objs $o"
  done
  # The engine may be C++ (libFuzzer, the AFL++ driver): link with CXX.
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS $objs $(libs_of "$t") $LIB_FUZZING_ENGINE -o "$OUT/fuzz_$t"

  rm -f "$OUT/fuzz_${t}_seed_corpus.zip"
  files=$(find "$build/corpus/$t" "$build/fuzz/regressions/$t" -type f ! -name 'README*' \
    2>/dev/null | sort)
  if [ -n "$files" ]; then
    # shellcheck disable=SC2086
    zip -q -j "$OUT/fuzz_${t}_seed_corpus.zip" $files
  fi
  if [ -f "$build/fuzz/$t.dict" ]; then
    cp "$build/fuzz/$t.dict" "$OUT/fuzz_$t.dict"
  fi
  if [ -f "$build/fuzz/$t.options" ]; then
    sed "s/^\([[:space:]]*dict[[:space:]]*=[[:space:]]*\).*/\1fuzz_$t.dict/" \
      "$build/fuzz/$t.options" >"$OUT/fuzz_$t.options"
  fi
done
echo "oss-fuzz-build: $(echo $TARGETS | wc -w) targets in $OUT"
