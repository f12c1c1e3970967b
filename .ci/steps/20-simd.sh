#!/usr/bin/env bash
# The SIMD variant of the sum kernel (workloads/kernels/sum_simd_amd64.go) is
# built only with GOEXPERIMENT=simd on amd64: vet it and run its tests, which
# check it against the naive sum within the family's bound.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(go env GOARCH)" != amd64 ]; then
	echo "simd: skipped (GOARCH $(go env GOARCH); simd/archsimd is amd64 only)"
	exit 0
fi
GOEXPERIMENT=simd go vet ./workloads/...
GOEXPERIMENT=simd go test -count=1 ./workloads/...
GOEXPERIMENT=simd go test -count=1 -run '^$' -bench 'Kernels/family=sum' -benchtime 1x . >/dev/null
