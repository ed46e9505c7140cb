#!/bin/sh
# The harness case's codex.binary: runs the real Codex CLI ($BENCH_CODEX) with the same arguments and
# stdin, then appends "<start ns> <end ns>" to $BENCH_CODEX_TIMES, so the time spent inside codex can
# be taken out of a loop's wall time. Both loops (car and bash) go through it alike.
start=$(date +%s%N)
"$BENCH_CODEX" "$@"
code=$?
echo "$start $(date +%s%N)" >>"$BENCH_CODEX_TIMES"
exit $code
