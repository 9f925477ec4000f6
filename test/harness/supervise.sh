#!/usr/bin/env bash
# supervise.sh OWNER_PID COMMAND [ARGS...]
# Runs COMMAND and stops it when the test process that owns it (OWNER_PID) is gone, so a worker
# killed without running its cleanup never leaves a server running. A SIGTERM to this script's
# process group (how the harness stops a server) reaches COMMAND directly.
set -u
owner=$1
shift
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?' TERM INT
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    sleep 5
    kill -KILL "$child" 2>/dev/null
    exit 1
  fi
  sleep 1 &
  wait $!
done
wait "$child"
