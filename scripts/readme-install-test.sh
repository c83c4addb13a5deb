#!/usr/bin/env bash
# Follows the README's "Install" section word for word, as a new user does: its first sh block
# (clone, npm ci, compile, package:js) in an empty folder, then its second sh block (npm install
# of the tarball) in an empty CDK app next to the clone; then synthesizes a stack with the
# library (a trust and an extended server) and checks that the handler bundle is in the assembly.
#
#   scripts/readme-install-test.sh
#
# The clone's URL is the repository's on GitHub: git is told to fetch it from this checkout
# instead (url.<here>.insteadOf, for this script's git only), so the command runs as written and
# the clone is this checkout's HEAD (commit first). KEEP_INSTALL=1 keeps the folder.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

# The README's commands, one per line (scripts/readme-commands.js), from the Install section only.
section=$(mktemp)
node -e '
  const md = require("fs").readFileSync("README.md", "utf8");
  const start = md.indexOf("\n## Install\n");
  const end = md.indexOf("\n## ", start + 1);
  if (start < 0) { console.error("README.md has no \"## Install\" section"); process.exit(1); }
  process.stdout.write(md.slice(start, end < 0 ? undefined : end));
' > "$section" || exit 1
blocks=$(node -e '
  const { commands } = require("./scripts/readme-commands.js");
  const md = require("fs").readFileSync(process.argv[1], "utf8");
  const blocks = [...md.matchAll(/```(?:sh|bash|shell)\n[\s\S]*?```/g)].map((m) => commands(m[0]));
  if (blocks.length !== 2) { console.error(`the Install section has ${blocks.length} sh blocks, expected 2 (build from a clone; install into the app)`); process.exit(1); }
  console.log(JSON.stringify(blocks));
' "$section") || exit 1
rm -f "$section"
build=$(node -e 'console.log(JSON.parse(process.argv[1])[0].join("\n"))' "$blocks")
install=$(node -e 'console.log(JSON.parse(process.argv[1])[1].join("\n"))' "$blocks")
url=$(printf '%s\n' "$build" | sed -n 's/^git clone \([^ ]*\).*/\1/p' | head -1)
[ -n "$url" ] || { echo "the Install section's first block has no git clone"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk-drs-readme-install.XXXXXX")
if [ "${KEEP_INSTALL:-}" = 1 ]; then echo "folder: $work"; else trap 'rm -rf "$work"' EXIT; fi

# git fetches the README's URL from this checkout (environment-only configuration).
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.$root/.insteadOf" GIT_CONFIG_VALUE_0="$url"

run_block() {
  local dir=$1 commands=$2
  echo "(in $dir)"
  printf '%s\n' "$commands" | sed 's/^/$ /'
  (cd "$dir" && bash -euo pipefail -c "$commands")
}

t0=$(date +%s)
run_block "$work" "$build" || { echo "the README's build-from-a-clone commands failed"; exit 1; }
echo "(build from a clone took $(( $(date +%s) - t0 ))s)"

# An empty CDK app next to the clone: package.json, aws-cdk-lib and constructs (the versions the
# README names as the minimum), and nothing else.
app=$work/my-drs-app
mkdir -p "$app" && cd "$app" || exit 1
echo '{ "name": "my-drs-app", "version": "0.0.0", "private": true }' > package.json
read -r lib constructs < <(node "$root/scripts/cdk-lib-version.js" minimum) || exit 1
t0=$(date +%s)
npm install --no-audit --no-fund --loglevel=error "aws-cdk-lib@$lib" "constructs@$constructs" || { echo "npm install aws-cdk-lib failed"; exit 1; }
run_block "$app" "$install" || { echo "the README's install command failed"; exit 1; }
echo "(install into the app took $(( $(date +%s) - t0 ))s)"

cat > app.js <<'EOF'
const { App, Stack } = require('aws-cdk-lib');
const { ExtendedSourceServer, StagingAccountTrust } = require('cdk-drs-multi-account');

const app = new App({ outdir: 'cdk.out' });
const staging = new Stack(app, 'DrsStaging', { env: { account: '111111111111', region: 'us-east-1' } });
new StagingAccountTrust(staging, 'Trust', { targetAccounts: ['222222222222'] });
const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
new ExtendedSourceServer(target, 'Web1', {
  stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
});
app.synth();
EOF
node app.js || { echo "synthesizing the app failed"; exit 1; }
node -e '
  const fs = require("fs");
  const template = JSON.parse(fs.readFileSync("cdk.out/DrsTarget.template.json", "utf8"));
  const types = Object.values(template.Resources).map((r) => r.Type);
  if (!types.includes("Custom::DrsExtendedSourceServer")) { console.error(`no extended server in DrsTarget: ${types.join(", ")}`); process.exit(1); }
  const bundles = fs.readdirSync("cdk.out").filter((d) => d.startsWith("asset.") && fs.existsSync(`cdk.out/${d}/index.js`));
  if (bundles.length === 0) { console.error("no handler bundle in the cloud assembly"); process.exit(1); }
  console.log(`the README install path works: DrsTarget has ${types.length} resources, the assembly ${bundles.length} handler bundle(s)`);
' || exit 1
