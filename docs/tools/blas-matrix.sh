#!/usr/bin/env bash
# Runs tests under each OpenBLAS kernel this CPU can run and at 1 and 2 OpenMP threads, standing in for the
# other machines CI may use (an Intel Xeon with AVX-512, an AMD EPYC with OPENBLAS_CORETYPE=Haswell):
# OpenBLAS picks its kernels, and so the order of every sum, by CPU, kernel type, shape and thread count.
#
#   docs/tools/blas-matrix.sh                      # the engine's and the predict feature's tests
#   docs/tools/blas-matrix.sh verify               # the whole ./mvnw verify per combination (slow)
#   CORETYPES="unset Haswell" THREADS="1" docs/tools/blas-matrix.sh
#
# "unset" clears OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (OpenBLAS then detects the CPU). SkylakeX needs
# AVX-512 (skipped without it). Prints one line per combination and exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-engine}
coretypes=${CORETYPES:-unset Haswell SkylakeX Zen}
threads=${THREADS:-1 2}
tests=${TESTS:-'dev.mcdropout.nn.*Test,dev.mcdropout.predict.*Test'}
mkdir -p target/blas-matrix
status=0
for core in $coretypes; do
  if [ "$core" = SkylakeX ] && ! grep -q avx512f /proc/cpuinfo; then
    echo "skip  OPENBLAS_CORETYPE=SkylakeX (no AVX-512 on this CPU)"; continue
  fi
  for n in $threads; do
    log=target/blas-matrix/$core-omp$n.log
    env_args=(OMP_NUM_THREADS=$n)
    if [ "$core" = unset ]; then unset_args=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); else unset_args=(); env_args+=(OPENBLAS_CORETYPE=$core); fi
    if [ "$mode" = verify ]; then
      env "${unset_args[@]}" "${env_args[@]}" ./mvnw -o -B verify >"$log" 2>&1
    else
      env "${unset_args[@]}" "${env_args[@]}" ./mvnw -o -B test -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
    fi
    rc=$?
    summary=$(grep -E 'Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" | tail -1 | sed 's/\[[A-Z]*\] //')
    worst=$(grep -hoE 'worst difference[^=]*= [0-9.E-]+|worst difference [0-9.E-]+|worst weight difference[^=]*= [0-9.E-]+' "$log" | tr '\n' ';')
    printf '%-4s OPENBLAS_CORETYPE=%-8s OMP_NUM_THREADS=%s  %s  %s\n' "$([ $rc = 0 ] && echo ok || echo FAIL)" "$core" "$n" "$summary" "$worst"
    [ $rc = 0 ] || status=1
  done
done
exit $status
