#!/usr/bin/env bash
# `npm run test:docker`: builds both images (scripts/docker-build.sh), then runs the Docker suite in
# integration_tests/docker against emulated deployments. Without a usable Docker engine it says so
# and exits non-zero: it never passes without running.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker >/dev/null 2>&1; then
  echo "test:docker: the docker command is not installed; the Docker suite did not run." >&2
  echo "test:docker: on these machines, ../shared/tools/docker-local-base.sh installs and starts an engine." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "test:docker: no Docker engine answers (docker info failed); the Docker suite did not run." >&2
  echo "test:docker: start dockerd (../shared/tools/docker-local-base.sh on these machines) and try again." >&2
  exit 1
fi
npm run build                   # the local executables the suite compares the images with
bash scripts/docker-build.sh
npx tsc -p integration_tests/docker/tsconfig.json
exec npx vitest run --config integration_tests/docker/vitest.config.ts "$@"
