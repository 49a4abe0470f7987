#!/usr/bin/env bash
# Unit tests of test/podman/kube2pods.mjs (the StatefulSet -> podman pod converter), on Node.js.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${K2P_WORK:-$ROOT/build/kube2pods-test}
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm are not installed"; exit 77; }
mkdir -p "$WORK"
cp "$ROOT/test/k8s/package.json" "$HERE/kube2pods.mjs" "$HERE/kube2pods_test.mjs" "$WORK/"
(cd "$WORK" && [ -d node_modules/yaml ] || npm install --no-audit --no-fund --silent)
if command -v kubectl >/dev/null; then
    kubectl kustomize "$ROOT/deploy/base" >"$WORK/kubectl-base.yaml"
    kubectl kustomize "$ROOT/deploy/overlays/copy-mode" >"$WORK/kubectl-copy-mode.yaml"
    export KUBECTL_RENDERED_BASE=$WORK/kubectl-base.yaml KUBECTL_RENDERED=$WORK/kubectl-copy-mode.yaml
fi
RCI_ROOT=$ROOT node --test "$WORK/kube2pods_test.mjs"
