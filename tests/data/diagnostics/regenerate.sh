#!/bin/sh
# Rebuild the golden compiler, linker, make and CMake outputs from real runs in the sandbox image.
# Usage: sh tests/data/diagnostics/regenerate.sh [IMAGE]   (from the repository root; needs Docker and the image)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
IMAGE=${1:-$("$ROOT/.venv/bin/python" -c 'from hpcagent.sandbox.image import image_tag; print(image_tag())')}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$HERE"/src/. "$WORK/"
chmod -R a+rwX "$WORK"
# Each output is what the user would see: the compiler's stderr (and make's stdout), with the file paths the
# sandbox uses (/w/...) so the parser's root-prefix stripping is exercised.
docker run --rm --network none --user 1000:1000 -v "$WORK":/w -w /w "$IMAGE" sh -c '
  for cc in gcc clang-16; do
    tag=${cc%-16}
    $cc -Wall -c /w/syntax.c -o /tmp/x.o 2> syntax.$tag.txt
    $cc -Wall -c /w/warnings.c -o /tmp/x.o 2> warnings.$tag.txt
    $cc -c /w/missing_header.c -o /tmp/x.o 2> missing_header.$tag.txt
    $cc -c /w/include_chain.c -o /tmp/x.o 2> include_chain.$tag.txt
    $cc -g /w/undefined.c -o /tmp/undef 2> undefined.$tag.txt
    $cc /w/undefined.c -o /tmp/undef 2> undefined_nodebug.$tag.txt
    $cc -c /w/no_such_file.c 2> driver.$tag.txt
    make -s CC=$cc prog > make.$tag.txt 2>&1
  done
  g++ -c /w/member.cpp -o /tmp/x.o 2> member.g++.txt
  clang++-16 -c /w/member.cpp -o /tmp/x.o 2> member.clang++.txt
  cmake -S /w/cmake_missing -B /tmp/build > cmake_missing.txt 2>&1
  true'
for f in "$WORK"/*.txt; do cp "$f" "$HERE/"; done
echo "wrote $(ls "$WORK"/*.txt | wc -l) outputs to $HERE"
