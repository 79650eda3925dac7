#!/usr/bin/env bash
# `npm test`: install what is missing, build, lint (ESLint and Prettier), run the unit tests, start Kafka
# and Redis, run the integration tests against them, then the chaos suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_node_modules
ensure_build
say "lint"
(cd "$ROOT" && npm run --silent lint)
say "unit tests"
(cd "$ROOT" && npx --no-install jest --selectProjects unit "$@")
ensure_kafka
ensure_redis
say "integration tests (real Kafka on ${PARTITA_BROKERS:-127.0.0.1:9092})"
(cd "$ROOT" && npx --no-install jest --selectProjects integration --runInBand "$@")
say "chaos tests (faults and hostile input, driven from outside)"
(cd "$ROOT" && npx --no-install jest --selectProjects chaos --runInBand "$@")
