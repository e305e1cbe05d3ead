#!/usr/bin/env bash
# scripts/demo.sh: the one command that sets up a fresh Debian 12 machine and
# shows ufork running a real multi-process program: a pre-forking TCP server
# (master + workers) and its client processes, first natively, then as
# µprocesses in one address space, with ufork's per-fork report.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sh scripts/deps.sh
make -s
make -s dash
mkdir -p build/demo
tools/ufork-cc -O2 -o build/demo/prefork demo/prefork.c

ms() { echo $(( ($2 - $1) / 1000000 )); }

echo "== native Linux: build/demo/prefork 4 4 50"
t0=$(date +%s%N)
build/demo/prefork 4 4 50
t1=$(date +%s%N)
echo "   ($(ms "$t0" "$t1") ms)"
echo
echo "== ufork: build/ufork run --stats build/demo/prefork 4 4 50"
t0=$(date +%s%N)
build/ufork run --stats build/demo/prefork 4 4 50
status=$?
t1=$(date +%s%N)
echo "   ($(ms "$t0" "$t1") ms, exit status $status)"
echo
echo "Every process above (master, 4 workers, 4 clients) ran in one host process:"
echo "each fork copied the master's memory to another slot of the same address"
echo "space and relocated its pointers (the hash table of 20,000 heap strings)."
