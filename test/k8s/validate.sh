#!/usr/bin/env bash
# Render every kustomize overlay offline and validate it against the Kubernetes schemas; prove the
# check can fail with a deliberately broken copy; check the rendered base is current.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${K8S_WORK:-$ROOT/build/k8s-validate}
command -v kubectl >/dev/null || { echo "SKIP: kubectl (with its built-in kustomize) is not installed"; exit 77; }
command -v npm >/dev/null || { echo "SKIP: npm is not installed"; exit 77; }
mkdir -p "$WORK"
cp "$HERE/package.json" "$HERE/validate.mjs" "$WORK/"
(cd "$WORK" && [ -d node_modules/kubernetes-models ] || npm install --no-audit --no-fund --silent)
"$ROOT/scripts/render-manifests" --check "$ROOT/deploy/base"
# Every shipped config.yaml must load in the binary (the ConfigMaps are made from them).
if [ -x "${RCI_BIN:-}" ]; then
    for c in "$ROOT"/deploy/base/config.yaml "$ROOT"/deploy/overlays/*/config.yaml; do
        [ -f "$c" ] || continue
        "$RCI_BIN" --config "$c" config >/dev/null || { echo "FAIL: $c does not load"; exit 1; }
        echo "ok: $c loads"
    done
fi
for k in "$ROOT/deploy/base" "$ROOT"/deploy/overlays/*/; do
    echo "== $k"
    kubectl kustomize "$k" >"$WORK/rendered.yaml"
    node "$WORK/validate.mjs" <"$WORK/rendered.yaml"
done
echo "== a deliberately broken copy must fail"
rm -rf "$WORK/broken" && cp -r "$ROOT/deploy" "$WORK/broken"
# containerPort must be an integer; a string is a schema violation.
sed -i 's/containerPort: 6379}/containerPort: "six"}/' "$WORK/broken/template/statefulset.yaml.in"
sed -i 's/containerPort: 6379}/containerPort: "six"}/' "$WORK/broken/base/statefulsets.yaml"
kubectl kustomize "$WORK/broken/base" >"$WORK/broken.yaml"
if node "$WORK/validate.mjs" <"$WORK/broken.yaml"; then echo "FAIL: the broken manifest passed validation"; exit 1; fi
echo "ok: the broken manifest was rejected"
