#!/usr/bin/env bash
# What the test suite needs beyond `bun install`, as Debian packages: installed with apt-get when this
# runs as root on Debian (a fresh machine, CI), otherwise listed with the command that installs them.
# `bun run test` calls this first, and .ci/run calls `bun run test`, so both need the same things.
set -uo pipefail

# The fixed paths probed below sit under TEST_DEPS_ROOT (default: /), so test/tools/test-deps.test.ts can run this
# against a fake file system.
root="${TEST_DEPS_ROOT:-}"

# check (a shell test that passes when the dependency is there; no '|' in it, the field separator) → Debian package,
# and what it is for.
declare -a CHECKS=(
  "command -v redis-server|redis-server|the shared result cache tier is tested against a real Redis"
  "test -x \"\$root/usr/bin/chromium\"|chromium|browser tests of / and /docs (playwright-core drives Debian's Chromium)"
  "command -v promtool|prometheus|promtool check metrics on a real /metrics scrape, and on deploy/prometheus"
  "PATH=\"\$PATH:\$root/usr/sbin\" command -v nginx|nginx|the scale-out test runs the real nginx in front of three replicas (Debian puts it in /usr/sbin)"
  "python3 -c 'import requests' 2>/dev/null|python3-requests|examples/python/classify.py is run by a test"
  "compgen -G \"\$root/usr/lib/postgresql/*/bin/initdb\"|postgresql|the prediction log is tested against a real PostgreSQL server"
  "command -v openssl|openssl|the TLS tests make their certificate authority with openssl"
)

missing=()
for entry in "${CHECKS[@]}"; do
  IFS='|' read -r check package why <<<"$entry"
  if ! eval "$check" >/dev/null 2>&1; then missing+=("$package"); echo "test-deps: missing $package ($why)"; fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then exit 0; fi
  echo "test-deps: apt-get could not install ${missing[*]}" >&2
  exit 1
fi
echo "test-deps: install them first, e.g. on Debian/Ubuntu: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
exit 1
