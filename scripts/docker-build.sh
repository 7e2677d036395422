#!/usr/bin/env bash
# Builds airbyte/source-convex and airbyte/destination-convex, tagged :dev and :<package version>,
# and prints each image's size and what it adds over the base image.
#
#   npm run docker:build                                      base: $BASE_IMAGE, else the local
#   BASE_IMAGE=local/node:20-bookworm-slim npm run docker:build   stand-in if present, else the
#                                                               Dockerfile's pinned default
# The builds use the host network, so npm inside the build reaches the registry as the host does.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "docker-build: no usable Docker engine (is dockerd running? see ../shared/tools/docker-local-base.sh)" >&2
  exit 1
fi

LOCAL_BASE=local/node:20-bookworm-slim
default_base="$(sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile.source)"
if [ -n "${BASE_IMAGE:-}" ]; then base="$BASE_IMAGE"
elif docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then base="$LOCAL_BASE"
else base="$default_base"; fi

# Docker's CLI needs the buildx plugin for BuildKit; without it, use the classic builder.
if [ -z "${DOCKER_BUILDKIT:-}" ] && ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi

version_of() { node -p "require('./$1/package.json').version"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

echo "docker-build: base image $base"
summary=()
for connector in ${DOCKER_BUILD_ONLY:-source-convex destination-convex}; do
  kind="${connector%-convex}"
  version="$(version_of "$connector")"
  image="airbyte/$connector"
  started=$(date +%s)
  docker build --network host \
    --build-arg "BASE_IMAGE=$base" --build-arg "CONNECTOR_VERSION=$version" \
    -f "Dockerfile.$kind" -t "$image:dev" -t "$image:$version" . >&2
  seconds=$(( $(date +%s) - started ))
  size=$(docker image inspect -f '{{.Size}}' "$image:dev")
  base_size=$(docker image inspect -f '{{.Size}}' "$base")
  summary+=("$image:$version  $(mb "$size")  (+$(mb $(( size - base_size ))) over the base)  built in ${seconds}s")
done
printf '%s\n' "${summary[@]}"
