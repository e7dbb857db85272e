#!/usr/bin/env bash
# Stops the test Ceph started by up.sh and deletes its data.
set -uo pipefail
DIR=${CEPH_DIR:-/tmp/cipherdrop-ceph}
for pid in "$DIR"/run/*.pid; do
  [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
done
sleep 1
for pid in "$DIR"/run/*.pid; do
  [ -f "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null
done
rm -rf "$DIR"
echo "ceph: stopped" >&2
