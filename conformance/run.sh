#!/usr/bin/env bash
# `make conformance`: the W3C Verifiable Credentials suites of ../shared/conformance/w3c (see its README),
# run against this checkout with Cairn's own suite configs laid over the shared ones. The shared harness is
# read-only and declares what Cairn could do when the suites were copied; conformance/w3c/configs/ says what it
# does now (for example the ecdsa issuers for P-256, P-384 and ecdsa-sd-2023). Arguments go to run.sh:
#   conformance/run.sh                   all four suites, results in ./w3c-results
#   conformance/run.sh ecdsa -g "P-384"  one suite, the tests whose title matches
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${CAIRN_W3C_SUITES:-$root/../shared/conformance/w3c}
if [[ ! -x "$shared/run.sh" ]]; then
  echo "conformance: no W3C suites at $shared (set CAIRN_W3C_SUITES, or check out ../shared)" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-w3c-harness.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$shared" "$work/w3c"
chmod -R u+w "$work/w3c"
cp -R "$root/conformance/w3c/configs/." "$work/w3c/lib/configs/"
cd "$root"
"$work/w3c/run.sh" "$@"
