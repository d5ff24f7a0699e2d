#!/usr/bin/env bash
# Builds one libFuzzer binary per header reader and runs each for SECONDS (default 60) on a
# corpus seeded from ../shared/samples. Findings (crashing inputs) land in
# .build-fuzz/artifacts-READER/; replay one with `.build-fuzz/fuzz-READER FILE`.
#
#   Fuzz/run.sh [seconds] [fits|netcdf|nidas ...]
#
# The reader sources are compiled straight into each fuzzer with coverage instrumentation
# (swiftc -sanitize=fuzzer,address), with Fuzz/Shims.swift standing in for the scanner
# types Coverage.swift names; the C libraries are the system's, uninstrumented.
set -euo pipefail
seconds=${1:-60}
shift || true
readers=("$@")
[ ${#readers[@]} -eq 0 ] && readers=(fits netcdf nidas)

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${FUZZ_OUT:-$root/.build-fuzz}
samples=${SAMPLES:-$(dirname "$root")/shared/samples}
[ -d "$samples" ] || { echo "no samples at $samples (set SAMPLES)" >&2; exit 2; }
mkdir -p "$out"

tc=$root/Sources/TidemarkCore/TimeCoverage
sources=(
  "$root/Sources/TidemarkCore/Support/PathBytes.swift" "$root/Sources/TidemarkCore/Support/SystemError.swift" "$root/Sources/TidemarkCore/Definitions/Duration.swift"
  "$tc/Coverage.swift" "$tc/ClockFields.swift" "$tc/Instant.swift" "$tc/Instant+Checked.swift" "$tc/DateLabel.swift" "$tc/FITSDateParser.swift"
  "$tc/TimeScale.swift" "$tc/HeaderReadError.swift" "$tc/ReadOnlyFile.swift" "$tc/FileKind.swift" "$tc/CompressedPrefix.swift"
  "$tc/FITSCards.swift" "$tc/FITSDataSize.swift" "$tc/FITSFile.swift" "$tc/FITSHeaderGuard.swift" "$tc/FITSTimeKeywords.swift" "$tc/FITSReader.swift"
  "$tc/CFTime.swift" "$tc/ACDDAttributes.swift" "$tc/HDF5Superblock.swift" "$tc/NetCDFClassicLayout.swift" "$tc/NetCDFFile.swift" "$tc/NetCDFReader.swift"
  "$tc/ByteStream.swift" "$tc/BZ2Stream.swift" "$tc/NIDASHeader.swift" "$tc/NIDASReader.swift"
  "$here/Shims.swift" "$here/FuzzInput.swift"
)
cflags=$(pkg-config --cflags netcdf cfitsio zlib)
xcc=()
for f in $cflags; do xcc+=(-Xcc "$f"); done

for r in "${readers[@]}"; do
  case $r in
    fits) entry=FuzzFITS.swift; seeds=("$samples"/fits/* "$samples"/bad/*.fits "$samples"/bad/*.fz) ;;
    netcdf) entry=FuzzNetCDF.swift; seeds=("$samples"/netcdf/* "$samples"/bad/*.nc "$samples"/bad/*.cdf) ;;
    nidas) entry=FuzzNIDAS.swift; seeds=("$samples"/nidas/*) ;;
    *) echo "unknown reader $r" >&2; exit 2 ;;
  esac
  echo "== building fuzz-$r"
  swiftc -sanitize=fuzzer,address -parse-as-library -swift-version 6 -Onone -g -module-name TidemarkFuzz \
    -I "$root/Sources/CFITSIO" -I "$root/Sources/CNetCDF" -I "$root/Sources/CBZ2" -I "$root/Sources/CZlib" "${xcc[@]}" \
    "${sources[@]}" "$here/$entry" -o "$out/fuzz-$r"
  corpus=$out/corpus-$r
  mkdir -p "$corpus" "$out/artifacts-$r"
  for s in "${seeds[@]}"; do
    # Big seeds slow every run; the first 64 KiB hold the headers.
    [ -f "$s" ] && head -c 65536 "$s" > "$corpus/seed-$(basename "$s" | tr ' []' '___')"
  done
  echo "== running fuzz-$r for ${seconds}s"
  # A huge calloc from a corrupt header returns NULL in production (cfitsio then reports
  # "memory allocation error"); ASan would abort on it instead.
  ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1} "$out/fuzz-$r" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix="$out/artifacts-$r/" -print_final_stats=1 "$corpus" 2>&1 | tail -n 25
done
