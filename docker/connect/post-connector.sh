#!/bin/sh
# Posts config/depot-sink.json to the Connect worker's REST API once it answers: what an operator
# runs by hand (curl -X POST --data @config/depot-sink.json .../connectors). A 409 means the
# connector exists already (the worker keeps it in its config topic): nothing to do.
set -eu
url="${CONNECT_URL:-http://connect:8083}"
until curl -fsS "$url/connectors" > /dev/null; do
  echo "waiting for $url"
  sleep 3
done
code=$(curl -sS -o /tmp/answer -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data @/config/depot-sink.json "$url/connectors")
cat /tmp/answer; echo
case "$code" in
  201) echo "depot-sink created" ;;
  409) echo "depot-sink exists already" ;;
  *) echo "POST /connectors answered $code" >&2; exit 1 ;;
esac
