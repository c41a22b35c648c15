#!/bin/sh
# A CI job: start the server under test (here the demo server), gate its streams on their
# expectations, keep the JUnit report. Exit status: that of `stream-inspector test`.
set -u
here=$(dirname "$0")
stream-inspector serve --port 0 > server.log 2>&1 &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 300); do   # wait (30 s at most) for the server to say where it listens
    SERVER_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' server.log | head -n 1)
    [ -n "$SERVER_URL" ] && break
    sleep 0.1
done
export SERVER_URL
stream-inspector test "$here" --env ci --junit report.xml
