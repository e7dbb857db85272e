#!/usr/bin/env bash
# Brings up a one-node Ceph on 127.0.0.1 for the tests: one monitor, one OSD (bluestore on a sparse
# file) and the RADOS Gateway (S3) with SSE-C over plain HTTP and SSE-KMS (testing backend) on.
# Installs Debian's packages if missing. Idempotent: a running gateway is left as it is.
# Writes $CEPH_DIR/env (S3_* variables for Cipherdrop) and prints its path.
# Facts and config keys: ../shared/S3-SERVERS.md. Stop with test/ceph/down.sh.
set -euo pipefail

DIR=${CEPH_DIR:-/tmp/cipherdrop-ceph}
RGW_PORT=${CEPH_RGW_PORT:-7480}
MON_V2=${CEPH_MON_PORT:-3300}
MON_V1=$((MON_V2 + 3489)) # 6789 by default
ACCESS_KEY=cipherdrop-test-access
SECRET_KEY=cipherdrop-test-secret-0123456789abcdef
KMS_KEY_ID=cipherdrop-test-kms
# A fixed test key for the KMS "testing" backend (not a secret: this store holds test data only).
KMS_KEY=$(printf 'cipherdrop-kms-testing-key-32byt' | base64)
CONF=$DIR/ceph.conf
ENDPOINT=http://127.0.0.1:$RGW_PORT

log() { echo "ceph: $*" >&2; }

if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null; then
  log "installing Debian's Ceph packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl >/dev/null
fi

if [ -f "$DIR/env" ] && curl -fsS -o /dev/null "$ENDPOINT"; then
  log "already running at $ENDPOINT"
  echo "$DIR/env"
  exit 0
fi

[ -d "$DIR/run" ] && "$(dirname "$0")/down.sh" >/dev/null 2>&1 || true
rm -rf "$DIR"
mkdir -p "$DIR"/{mon,osd,rgw,run,log}
FSID=$(uuidgen)

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
mon data = $DIR/mon/\$name
osd data = $DIR/osd/\$name
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 21474836480
osd memory target = 1073741824
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $KMS_KEY_ID=$KMS_KEY
rgw enable usage log = false
CONF

export CEPH_CONF=$CONF
log "monitor"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap" >/dev/null
# A monitor that refuses to start (a full disk: "mon data avail crit") says why only in the foreground.
ceph-mon -i a || { log "the monitor did not start: $(timeout 10 ceph-mon -i a -d 2>&1 | grep -E 'error|avail' | head -2)"; exit 1; }
log "OSD"
OSD_UUID=$(uuidgen)
OSD_ID=$(timeout 60 ceph osd new "$OSD_UUID")
mkdir -p "$DIR/osd/osd.$OSD_ID"
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -i "$OSD_ID"
log "gateway"
radosgw -n client.rgw.a
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "$ENDPOINT" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o /dev/null "$ENDPOINT" || { log "the gateway did not come up; see $DIR/log"; exit 1; }
timeout 60 radosgw-admin user create --uid cipherdrop --display-name Cipherdrop \
  --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >/dev/null

cat >"$DIR/env" <<ENV
S3_ENDPOINT=$ENDPOINT
S3_BUCKET=cipherdrop-test
S3_REGION=us-east-1
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
CEPH_KMS_KEY_ID=$KMS_KEY_ID
ENV
log "ready at $ENDPOINT"
echo "$DIR/env"
