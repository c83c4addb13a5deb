#!/usr/bin/env bash
# Runs the construct and template tests (every concept's tests outside runtime/ and the e2e
# suites, and the integ snapshot test) against
# another aws-cdk-lib than the one in node_modules: installs it (and constructs) into
# .ci-out/cdk-lib-<version>/ and runs jest with scripts/jest-cdk-lib.config.js, which resolves
# every require of aws-cdk-lib and constructs there.
#
#   scripts/cdk-lib-matrix.sh newest|minimum|<aws-cdk-lib version> [<constructs version>]
#
# `newest` and `minimum` are resolved by scripts/cdk-lib-version.js. Extra jest arguments can be
# given in JEST_ARGS (e.g. JEST_ARGS=--maxWorkers=1).
set -uo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

case "${1:-newest}" in
  newest|minimum) read -r lib constructs < <(node scripts/cdk-lib-version.js "${1:-newest}") || exit 1;;
  *) lib=$1; constructs=${2:-$(node scripts/cdk-lib-version.js minimum | cut -d' ' -f2)};;
esac
[ -n "${lib:-}" ] && [ -n "${constructs:-}" ] || { echo "cannot tell which aws-cdk-lib to test"; exit 1; }

dir=.ci-out/cdk-lib-$lib
installed() { node -p "require('./$dir/node_modules/$1/package.json').version" 2>/dev/null; }
if [ "$(installed aws-cdk-lib)" != "$lib" ] || [ "$(installed constructs)" != "$constructs" ]; then
  t0=$(date +%s)
  rm -rf "$dir" && mkdir -p "$dir"
  echo '{ "name": "cdk-lib-matrix", "private": true }' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error "aws-cdk-lib@$lib" "constructs@$constructs") \
    || { echo "cannot install aws-cdk-lib@$lib constructs@$constructs"; exit 1; }
  echo "(installing aws-cdk-lib@$lib constructs@$constructs took $(( $(date +%s) - t0 ))s)"
fi

echo "construct and template tests with aws-cdk-lib $(installed aws-cdk-lib), constructs $(installed constructs)"
t0=$(date +%s)
# shellcheck disable=SC2086 # JEST_ARGS is a list of arguments
CDK_LIB_DIR=$dir CDK_LIB_EXPECTED_VERSION=$lib npx jest -c scripts/jest-cdk-lib.config.js --ci ${JEST_ARGS:-} \
  --testPathIgnorePatterns /node_modules/ /runtime/ '\.e2e\.test\.ts$' -- \
  'test/(trust|servers|provider|drill|observability|common|examples)/' test/integ/snapshot.test.ts
rc=$?
echo "(jest with aws-cdk-lib $lib took $(( $(date +%s) - t0 ))s)"
exit $rc
