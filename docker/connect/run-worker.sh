#!/bin/sh
# Starts a distributed Connect worker from /opt/depot/connect-distributed.properties, with each
# CONNECT_<KEY> environment variable appended as <key>=value (later lines win): CONNECT_GROUP_ID
# becomes group.id, CONNECT_PLUGIN_PATH plugin.path.
set -eu
worker=/tmp/connect-distributed.properties
cp /opt/depot/connect-distributed.properties "$worker"
env | grep '^CONNECT_' | while IFS='=' read -r name value; do
  key=$(echo "${name#CONNECT_}" | tr 'A-Z_' 'a-z.')
  echo "$key=$value" >> "$worker"
done
exec /opt/kafka/bin/connect-distributed.sh "$worker"
