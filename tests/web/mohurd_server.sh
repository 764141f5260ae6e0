#!/bin/bash
# mohurd_server.sh MOHURD STATE PORTFILE - runs mohurd on a free loopback
# port for the browser test (browser.py starts it, in the test's network
# namespace when there is one), writes the port once mohurd answers
# /healthz, and stops mohurd when it is stopped.
set -u
MOHURD=$1 STATE=$2 PORTFILE=$3
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'public_host verify.mohur.test\nlocal_socket no\n' >"$STATE/mohurd.conf"
"$MOHURD" --state "$STATE" --listen "127.0.0.1:$port" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM INT
for _ in $(seq 300); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]; then
        echo "$port" >"$PORTFILE"
        wait "$pid"
        exit $?
    fi
    kill -0 "$pid" 2>/dev/null || exit 1
    sleep 0.1
done
kill -TERM "$pid" 2>/dev/null
exit 1
