#!/usr/bin/env bash
# npm run test:ceph: the end-to-end suite and the multipart/SSE tests against a real Ceph RGW on
# 127.0.0.1 (brought up by up.sh, torn down afterwards unless KEEP_CEPH=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
env_file=$(bash test/ceph/up.sh)
[ -n "${KEEP_CEPH:-}" ] || trap 'bash test/ceph/down.sh' EXIT
export CIPHERDROP_TEST_S3_ENV=$env_file
npx tsx scripts/test.ts --ceph
