#!/usr/bin/env bash
# `npm run demo`: install what is missing, build, start Kafka, then run the example app and its worker.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_node_modules
ensure_build
ensure_kafka
ensure_redis
node "$ROOT/scripts/dev/demo.js"
