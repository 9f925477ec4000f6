#!/usr/bin/env bash
# Podman smoke test for Debian bookworm (root, no registry access, no Docker engine).
# Builds a stand-in node:20 base via debootstrap, builds a tiny Dockerfile on it, runs it, curls it.
# Env: WORK (default /tmp/kubellama-podman), REBUILD_BASE=1 forces a new base image, PORT (default 18080).
set -euo pipefail
WORK=${WORK:-/tmp/kubellama-podman}; PORT=${PORT:-18080}
BASE=docker.io/library/node:20-bookworm-slim; IMG=localhost/podman-smoke:latest
P=(podman --runtime runc --cgroup-manager=cgroupfs)   # runc + cgroupfs: no crun, no systemd here
STEP=init; T0=$(date +%s)
step() { STEP=$*; T0=$(date +%s); echo "==> $*"; }
ok()   { echo "    ok ($(( $(date +%s) - T0 ))s)"; }
die()  { echo "podman-smoke: FAILED at step '$STEP': $*" >&2; DIED=1; exit 1; }
cleanup() { "${P[@]}" rm -f -i -t0 smoke-bridge smoke-ro smoke-host >/dev/null 2>&1 || true; }
trap 'rc=$?; cleanup; [ $rc -eq 0 ] || [ -n "${DIED:-}" ] || echo "podman-smoke: FAILED at step: $STEP (exit $rc)" >&2' EXIT
[ "$(id -u)" -eq 0 ] || die "must run as root"
cleanup   # remove leftovers of an interrupted earlier run

step "install podman runc debootstrap"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -q || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc debootstrap || die "apt-get install failed"
fi
podman --version; ok

step "containers.conf (default_ulimits = [])"
# Without this every run fails: 'error setting rlimit type 7 (NOFILE): operation not permitted'
# (podman asks for nofile=1048576 / nproc=4194304; this sandbox lacks CAP_SYS_RESOURCE, hard nofile=20000).
CONF=/etc/containers/containers.conf
if [ ! -e $CONF ]; then mkdir -p /etc/containers; printf '[containers]\ndefault_ulimits = []\n' > $CONF
elif ! grep -Eq '^\s*default_ulimits\s*=' $CONF; then die "$CONF exists without default_ulimits; add 'default_ulimits = []' under [containers]"; fi
"${P[@]}" info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} cgroup{{.Host.CgroupsVersion}} {{.Store.GraphDriverName}}' || die "podman info failed"; ok

step "stand-in base image $BASE"
if [ "${REBUILD_BASE:-0}" = 1 ] || ! "${P[@]}" image exists $BASE; then
  R=$WORK/rootfs; rm -rf "$R"; mkdir -p "$WORK"
  debootstrap --variant=minbase --include=libstdc++6,ca-certificates bookworm "$R" >"$WORK/debootstrap.log" 2>&1 \
    || die "debootstrap failed, see $WORK/debootstrap.log"
  install -m755 "$(command -v node)" "$R/usr/local/bin/node"                       # same path as the official image
  if [ -d /usr/lib/node_modules/npm ]; then mkdir -p "$R/usr/local/lib/node_modules"; cp -a /usr/lib/node_modules/npm "$R/usr/local/lib/node_modules/"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"; ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"; fi
  cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/" 2>/dev/null || true  # the host's extra CAs (TLS-intercepting egress)
  chroot "$R" sh -c 'update-ca-certificates >/dev/null 2>&1 && groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/bash node'
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*
  tar --numeric-owner -C "$R" -c . | "${P[@]}" import -q --change 'CMD ["node"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' - $BASE >/dev/null || die "podman import failed"
fi
"${P[@]}" run --rm --network none $BASE node -e 'console.log("node in base:", process.version)' || die "cannot run node in base image"; ok

step "podman build"
mkdir -p "$WORK/app"
cat > "$WORK/app/app.js" <<'EOF'
require('http').createServer((q, s) => s.end('hello from ' + process.version + ' uid=' + process.getuid() + '\n'))
  .listen(process.env.PORT || 8080, () => console.log('listening'));
EOF
printf 'FROM %s\nWORKDIR /app\nCOPY app.js .\nCMD ["node","app.js"]\n' $BASE > "$WORK/app/Dockerfile"
"${P[@]}" build -q -t $IMG "$WORK/app" >/dev/null || die "podman build failed"; ok

probe() { for _ in $(seq 50); do out=$(curl -fsS --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null) && { echo "    $out"; return 0; }; sleep 0.2; done
          "${P[@]}" logs "$2" >&2 || true; die "no HTTP answer on 127.0.0.1:$1 from $2"; }
step "run: bridge network, -p 127.0.0.1:$PORT:8080"
"${P[@]}" run -d --name smoke-bridge -p 127.0.0.1:$PORT:8080 $IMG >/dev/null || die "podman run failed"
probe $PORT smoke-bridge; ok
step "run: --user 1000 --read-only, -p 127.0.0.1:$((PORT+1)):8080"
"${P[@]}" run -d --name smoke-ro --user 1000 --read-only -p 127.0.0.1:$((PORT+1)):8080 $IMG >/dev/null || die "podman run failed"
probe $((PORT+1)) smoke-ro; ok
step "run: --network host, PORT=$((PORT+2))"
"${P[@]}" run -d --name smoke-host --network host -e PORT=$((PORT+2)) $IMG >/dev/null || die "podman run failed"
probe $((PORT+2)) smoke-host; ok
step "cleanup"; cleanup; ok
echo "podman-smoke: ALL OK"
