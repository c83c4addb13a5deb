#!/usr/bin/env bash
# A user's first hour, on the packed library: installs dist/js/*.tgz (from the build's `package`
# step, or `npx projen compile && npx projen package:js`) with one aws-cdk-lib and constructs into
# an empty folder outside this checkout (so nothing resolves from this repository's node_modules),
# then synthesizes a JavaScript app and a TypeScript app (scripts/consumer/) with `npx cdk synth`
# and checks their cloud assemblies (scripts/consumer/check.js).
#
#   scripts/consumer-test.sh newest|minimum|<aws-cdk-lib version> [<constructs version>]
#
# The CDK CLI, TypeScript, ts-node and @types/node are the versions of this repository's dev
# dependencies. KEEP_CONSUMER=1 keeps the folder and prints where it is.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

case "${1:-minimum}" in
  newest|minimum) read -r lib constructs < <(node scripts/cdk-lib-version.js "${1:-minimum}") || exit 1;;
  *) lib=$1; constructs=${2:-$(node scripts/cdk-lib-version.js minimum | cut -d' ' -f2)};;
esac
[ -n "${lib:-}" ] && [ -n "${constructs:-}" ] || { echo "cannot tell which aws-cdk-lib to test"; exit 1; }

shopt -s nullglob
tarballs=(dist/js/*.tgz)
[ ${#tarballs[@]} -eq 1 ] || { echo "expected one dist/js/*.tgz, found ${#tarballs[@]}: run the build, or npx projen compile && npx projen package:js"; exit 1; }
tarball=$root/${tarballs[0]}

# The tarball holds the library and its handler bundle, nothing else (a stray folder in the
# checkout once made it 62 MB).
node -e '
  const { execFileSync } = require("child_process");
  const tgz = process.argv[1];
  const files = execFileSync("tar", ["tzf", tgz], { encoding: "utf8" }).split("\n").filter(Boolean);
  const allowed = /^package\/(lib\/.+\.(js|d\.ts)|assets\/[a-z-]+\/[^/]+\.lambda\/index\.js|rosetta\/[^/]+\.ts-fixture|\.jsii|package\.json|README\.md|API\.md|CONTRIBUTING\.md|LICENSE)$/;
  const stray = files.filter((f) => !allowed.test(f));
  const size = require("fs").statSync(tgz).size;
  if (stray.length) { console.error(`unexpected files in ${tgz}:\n  ${stray.slice(0, 20).join("\n  ")}`); process.exit(1); }
  // Each generated function construct (lib/<concept>/<name>-function.js) finds its bundle.
  const functions = files.map((f) => /^package\/lib\/([a-z-]+\/.+)-function\.js$/.exec(f)?.[1]).filter(Boolean);
  const missing = ["provider/drs-handler", ...functions].filter((name) => !files.includes(`package/assets/${name}.lambda/index.js`));
  if (missing.length) { console.error(`${tgz} has no bundle for ${missing.join(", ")}`); process.exit(1); }
  if (size > 5 * 1024 * 1024) { console.error(`${tgz} is ${size} bytes`); process.exit(1); }
  console.log(`${tgz.split("/").pop()}: ${files.length} files, ${size} bytes`);
' "$tarball" || exit 1

dev() { node -p "require('./package.json').devDependencies['$1'].replace(/^[\\^~]/, '')"; }
cli=$(dev aws-cdk) typescript=$(dev typescript) tsnode=$(dev ts-node) typesnode=$(dev @types/node)

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk-drs-consumer.XXXXXX")
if [ "${KEEP_CONSUMER:-}" = 1 ]; then echo "consumer folder: $work"; else trap 'rm -rf "$work"' EXIT; fi
cd "$work" || exit 1
echo '{ "name": "drs-consumer", "version": "0.0.0", "private": true }' > package.json

t0=$(date +%s)
echo "\$ npm install cdk-drs-multi-account (${tarball##*/}) aws-cdk-lib@$lib constructs@$constructs aws-cdk@$cli typescript@$typescript ts-node@$tsnode @types/node@$typesnode"
npm install --no-audit --no-fund --loglevel=error "$tarball" "aws-cdk-lib@$lib" "constructs@$constructs" \
  "aws-cdk@$cli" "typescript@$typescript" "ts-node@$tsnode" "@types/node@$typesnode" \
  || { echo "npm install failed"; exit 1; }
installed=$(node -p "require('aws-cdk-lib/package.json').version")
[ "$installed" = "$lib" ] || { echo "installed aws-cdk-lib $installed, not $lib"; exit 1; }
echo "(install took $(( $(date +%s) - t0 ))s)"

status=0
mkdir -p js ts
cp "$root/scripts/consumer/app.js" js/app.js
echo '{ "app": "node app.js" }' > js/cdk.json
cp "$root/scripts/consumer/app.ts" ts/app.ts
cp "$root/scripts/consumer/tsconfig.json" tsconfig.json
echo '{ "app": "npx ts-node --prefer-ts-exts app.ts" }' > ts/cdk.json

for app in js ts; do
  t0=$(date +%s)
  echo "\$ cd $app && npx cdk synth"
  (cd "$app" && npx cdk synth > /dev/null) || { echo "cdk synth of the $app app failed"; status=1; continue; }
  case $app in
    js) expect=(DrsStaging= DrsTarget=Custom::DrsExtendedSourceServer);;
    ts) expect=(DrsStaging= DrsTarget=Custom::DrsExtendedSourceServer,Custom::DrsStagingAccountExtension,AWS::StepFunctions::StateMachine,@drill-steps);;
  esac
  node "$root/scripts/consumer/check.js" "$work" "$app" "${expect[@]}" || status=1
  echo "($app app synth and check took $(( $(date +%s) - t0 ))s)"
done

[ $status -eq 0 ] && echo "consumer test passed with aws-cdk-lib $lib, constructs $constructs, aws-cdk (CLI) $cli"
exit $status
