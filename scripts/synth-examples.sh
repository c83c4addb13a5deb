#!/usr/bin/env bash
# Runs each example's documented commands exactly as its README shows them, the way a new user
# does on a fresh clone after `npm ci`: in a copy of the working tree without anything ignored or
# generated (no assets/, lib/, cdk.out; node_modules linked to this one), `cd examples/<name>`,
# then every `npx cdk ls` and `npx cdk synth ...` of the README's sh blocks, in order. Deploy
# commands are not run. Each README must show `npx cdk ls`, `npx cdk synth` and at least one
# `npx cdk synth -c ...`.
#
# Checks: every command succeeds (cdk-nag's checks run inside the synth: a finding fails it);
# each assembly holds the handler bundle that cdk.json's build step made; `cdk ls` lists the
# stacks that `cdk synth` writes.
#
# Output (cloud assemblies, as the CLI wrote them), in .ci-out/ unless OUT_DIR is set:
#   <name>/            the README's `npx cdk synth` without context (placeholder accounts)
#   <name>.context-N/  its N-th `npx cdk synth -c ...`
#
#   scripts/synth-examples.sh [name ...]      (default: every examples/*/ with a cdk.json)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${OUT_DIR:-$root/.ci-out}
mkdir -p "$out"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

if [ $# -gt 0 ]; then names=("$@"); else
  names=()
  for f in examples/*/cdk.json; do names+=("$(basename "$(dirname "$f")")"); done
fi

# The fresh copy: tracked and untracked-but-not-ignored files only, outside this tree (so that
# nothing resolves from this checkout by walking up the folders).
fresh=$(mktemp -d "${TMPDIR:-/tmp}/cdk-drs-fresh.XXXXXX")
trap 'rm -rf "$fresh"' EXIT
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
  [ "$f" != node_modules ] && [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$fresh"
ln -s "$(cd node_modules && pwd -P)" "$fresh/node_modules"
[ ! -e "$fresh/assets" ] || { echo "the fresh copy has assets/: it is not fresh"; exit 1; }

failures=0
problem() { echo "EXAMPLE FAILURE ($name): $*"; failures=$((failures + 1)); }

for name in "${names[@]}"; do
  t0=$(date +%s)
  readme=examples/$name/README.md
  echo "--- examples/$name"
  [ -f "$readme" ] || { problem "no $readme"; continue; }
  mapfile -t cmds < <(node scripts/readme-commands.js "$readme")
  cwd=$fresh
  synths=0 plain=0 lists=0 contexts=0 ls_out=""
  rm -rf "$out/$name" "$out/$name".context-*
  for cmd in "${cmds[@]}"; do
    case "$cmd" in
      "cd "*)
        dir=${cmd#cd }
        cwd=$(cd "$cwd" && cd "$dir" && pwd) || { problem "'$cmd' failed"; break; }
        continue;;
      "npx cdk synth"*|"npx cdk ls"*|"npx cdk list"*) ;;
      *) continue;;
    esac
    [ "$cwd" = "$fresh/examples/$name" ] || { problem "'$cmd' does not run in examples/$name (the README must 'cd examples/$name' first)"; break; }
    echo "\$ $cmd"
    rm -rf "$cwd/cdk.out"
    case "$cmd" in
      "npx cdk ls"*|"npx cdk list"*)
        lists=$((lists + 1))
        ls_out=$( (cd "$cwd" && bash -c "$cmd") ) || { problem "'$cmd' failed"; continue; }
        echo "$ls_out";;
      *)
        synths=$((synths + 1))
        (cd "$cwd" && bash -c "$cmd" >/dev/null) || { problem "'$cmd' failed"; continue; }
        if [[ "$cmd" == *" -c "* || "$cmd" == *" --context "* ]]; then
          contexts=$((contexts + 1)); dest="$out/$name.context-$contexts"
        else
          plain=$((plain + 1)); dest="$out/$name"; rm -rf "$dest"
        fi
        mv "$cwd/cdk.out" "$dest"
        # The handler bundle that cdk.json's build step made is in the assembly.
        node -e '
          const fs = require("fs"), path = require("path");
          const [dir, bundle] = process.argv.slice(1);
          const expected = fs.readFileSync(bundle);
          const assets = fs.readdirSync(dir).filter((d) => d.startsWith("asset.") && fs.existsSync(path.join(dir, d, "index.js")));
          if (!assets.some((d) => fs.readFileSync(path.join(dir, d, "index.js")).equals(expected))) {
            console.error(`no asset in ${dir} is the handler bundle ${bundle}`); process.exit(1);
          }
        ' "$dest" "$fresh/assets/provider/drs-handler.lambda/index.js" || problem "'$cmd': the handler bundle is not in its assembly";;
    esac
  done
  rm -rf "$cwd/cdk.out"
  [ "$lists" -gt 0 ] || problem "$readme shows no 'npx cdk ls'"
  [ "$plain" -gt 0 ] || problem "$readme shows no 'npx cdk synth' without context"
  [ "$contexts" -gt 0 ] || problem "$readme shows no 'npx cdk synth -c ...'"
  if [ -n "$ls_out" ] && [ -f "$out/$name/manifest.json" ]; then
    # `cdk ls` lists what `cdk synth` (same context) writes.
    node -e '
      const manifest = require(process.argv[1]);
      const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === "aws:cloudformation:stack")
        .map(([id, a]) => a.displayName ?? id).sort();
      const listed = process.argv[2].split("\n").map((l) => l.trim()).filter(Boolean).sort();
      if (JSON.stringify(stacks) !== JSON.stringify(listed)) {
        console.error(`cdk ls listed ${listed.join(", ")}; cdk synth wrote ${stacks.join(", ")}`); process.exit(1);
      }
    ' "$out/$name/manifest.json" "$ls_out" || problem "'npx cdk ls' and 'npx cdk synth' disagree"
  fi
  echo "(examples/$name: $synths synth(s), $lists ls, took $(( $(date +%s) - t0 ))s)"
done

[ "$failures" -eq 0 ] || { echo "$failures example problem(s)"; exit 1; }
