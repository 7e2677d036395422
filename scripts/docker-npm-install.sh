#!/bin/sh
# Installs from package-lock.json inside an image build: `npm ci` with the given flags.
#
# Some registry mirrors serve only Linux builds of platform-specific optional packages (biome, rollup,
# esbuild). With such a mirror npm cannot complete the ideal tree and `npm ci` stops with
# "Missing: <package> from lock file" even though the lockfile is what `npm install` writes there.
# In that case this script runs `npm install` with the same flags and then insists that the lockfile
# came out byte-for-byte unchanged, which gives the two guarantees `npm ci` gives: the exact locked
# versions, and a failure when package.json and the lockfile disagree.
set -eu
if npm ci "$@"; then exit 0; fi
echo "docker-npm-install: npm ci refused the lockfile; retrying with npm install and a lockfile check" >&2
cp package-lock.json /tmp/package-lock.locked.json
npm install "$@"
if ! cmp -s package-lock.json /tmp/package-lock.locked.json; then
  echo "docker-npm-install: package-lock.json is out of date (npm install changed it); run npm install and commit the lockfile" >&2
  exit 1
fi
rm -f /tmp/package-lock.locked.json
