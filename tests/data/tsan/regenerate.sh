#!/bin/sh
# Rebuild the golden ThreadSanitizer reports from real runs in the sandbox image.
# Usage: sh tests/data/tsan/regenerate.sh [IMAGE]   (from the repository root; needs Docker and the image)
# TSan's report order and fold counts can change between runs: after regenerating, update tests/test_tsan.py.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
IMAGE=${1:-$("$ROOT/.venv/bin/python" -c 'from hpcagent.sandbox.image import image_tag; print(image_tag())')}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Race-suite programs reused as golden sources, plus the non-race reports in src/.
for f in r_scalar_sum.c r_array_shift.c r_heap_histogram.c r_global_counter.c r_single_nowait.c \
         r_atomic_vs_plain.c r_cxx_lambda.cpp r_struct_member.c r_inner_index.c c_task_taskwait.c \
         c_reduction_sum.c; do
  cp "$HERE/../races/$f" "$WORK/"
done
cp "$HERE"/src/* "$WORK/"
chmod -R a+rwX "$WORK"
docker run --rm --network none --user 1000:1000 -v "$WORK":/w -w /w "$IMAGE" sh -c '
  export OMP_TOOL_LIBRARIES=/usr/lib/llvm-16/lib/libarcher.so OMP_NUM_THREADS=4
  export TSAN_OPTIONS="ignore_noninstrumented_modules=1 external_symbolizer_path=/usr/lib/llvm-16/bin/llvm-symbolizer"
  for f in *.c *.cpp; do
    b=${f%.*}
    case $f in *.cpp) cc=clang++-16;; *) cc=clang-16;; esac
    $cc -fopenmp -fsanitize=thread -g -O1 "$f" -o "bin_$b" -lpthread
    # The pthread programs in src/ need TSan to watch libc-started threads: no ignore_noninstrumented_modules.
    case $b in r_*|c_*) opts=$TSAN_OPTIONS;; *) opts="external_symbolizer_path=${TSAN_OPTIONS#*external_symbolizer_path=}";; esac
    TSAN_OPTIONS="$opts" ./"bin_$b" >/dev/null 2>"$b.txt" || true
  done'
cp "$WORK"/*.txt "$HERE/"
echo "wrote $(ls "$WORK"/*.txt | wc -l) reports to $HERE"
