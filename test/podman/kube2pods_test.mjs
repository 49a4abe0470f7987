// Unit tests of the pod converter (node --test). KUBECTL_RENDERED, when set, is `kubectl kustomize`
// output of deploy/overlays/copy-mode: the converter's own kustomize must give the same objects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { applyJsonPatch, kustomize, convert } from "./kube2pods.mjs";

const ROOT = process.env.RCI_ROOT || join(dirname(fileURLToPath(import.meta.url)), "../..");
const BASE = join(ROOT, "deploy/base"), COPY = join(ROOT, "deploy/overlays/copy-mode");

test("JSON patch: add, append, replace, remove; a missing path is an error", () => {
  const o = { a: { list: [1, 3] }, b: 1 };
  applyJsonPatch(o, [
    { op: "add", path: "/a/list/1", value: 2 },
    { op: "add", path: "/a/list/-", value: 4 },
    { op: "replace", path: "/b", value: 2 },
    { op: "add", path: "/c~1d", value: "x" },
    { op: "remove", path: "/a/list/0" },
  ]);
  assert.deepEqual(o, { a: { list: [2, 3, 4] }, b: 2, "c/d": "x" });
  assert.throws(() => applyJsonPatch(o, [{ op: "replace", path: "/nope/x", value: 1 }]), /does not exist/);
  assert.throws(() => applyJsonPatch(o, [{ op: "replace", path: "/zzz", value: 1 }]), /nothing to replace/);
  assert.throws(() => applyJsonPatch(o, [{ op: "add", path: "/a/list/9", value: 1 }]), /out of range/);
  assert.throws(() => applyJsonPatch(o, [{ op: "move", path: "/b", from: "/a" }]), /unsupported op/);
});

test("base: one pod per StatefulSet pod, as the controller and kubelet make them", () => {
  const cfg = readFileSync(join(BASE, "config.yaml"), "utf8");
  const shards = Number(/^shards: (\d+)/m.exec(cfg)[1]), replicas = Number(/^replicas: (\d+)/m.exec(cfg)[1]);
  const { pods, secrets } = convert(kustomize(BASE), { subnet: "198.19.250", first: 10 });
  assert.equal(pods.length, shards * (replicas + 1));
  assert.deepEqual(secrets, ["redis-password", "redis-tls"]);
  const names = pods.map((p) => p.pod.metadata.name);
  assert.deepEqual(names.slice(0, 2), ["redis-shard0-0", "redis-shard0-1"]);
  assert.equal(new Set(pods.map((p) => p.ip)).size, pods.length, "every pod has its own IP");
  for (const p of pods) {
    const name = p.pod.metadata.name, spec = p.pod.spec;
    assert.equal(p.fqdn, `${name}.redis-headless.default.svc.cluster.local`);
    assert.equal(spec.restartPolicy, "OnFailure");
    assert.equal(spec.hostname, name);
    assert.equal(spec.affinity, undefined);
    assert.deepEqual(p.pvcs, [`data-${name}`]);
    assert.deepEqual(p.emptyDirs, []);
    assert.ok(spec.volumes.some((v) => v.name === "data" && v.persistentVolumeClaim?.claimName === `data-${name}`));
    assert.equal(p.pod.metadata.labels["statefulset.kubernetes.io/pod-name"], name);
    for (const c of [...spec.initContainers, ...spec.containers]) {
      assert.equal(c.ports, undefined, `${name}/${c.name}: ports are dropped`);
      assert.equal(c.readinessProbe, undefined);
      assert.equal(c.livenessProbe, undefined);
      for (const e of c.env || []) assert.equal(e.valueFrom, undefined, `${name}/${c.name}: ${e.name} is literal`);
    }
    const env = Object.fromEntries(spec.initContainers[0].env.map((e) => [e.name, e.value]));
    assert.equal(env.POD_NAME, name);
    assert.equal(env.POD_NAMESPACE, "default");
    assert.equal(env.POD_IP, p.ip);
    // 0400 in the manifest is octal (YAML 1.1, as Kubernetes reads it): 256.
    assert.equal(spec.volumes.find((v) => v.name === "password").secret.defaultMode, 256);
    assert.deepEqual(p.configMaps.map((c) => c.metadata.name), ["redis-cluster-init"]);
    assert.equal(p.configMaps[0].data["config.yaml"], cfg);
  }
});

test("copy mode: the overlay's patch applied, images mapped, and every mapping must be used", () => {
  const objs = kustomize(COPY);
  const map = { "ghcr.io/example/redis-cluster-init-binary:0.1.0": "localhost/b", "redis:7.2-bookworm": "localhost/r" };
  const { pods } = convert(objs, { imageMap: map });
  const spec = pods[0].pod.spec;
  assert.deepEqual(spec.initContainers.map((c) => [c.name, c.image]),
    [["install-binary", "localhost/b"], ["cluster-init", "localhost/r"]]);
  assert.equal(spec.containers[0].image, "localhost/r");
  assert.deepEqual(spec.initContainers[1].command, ["/rci/redis-cluster-init"]);
  // Each pod's emptyDir is its own volume, as in Kubernetes (podman would share one by name).
  for (const p of pods) {
    const name = p.pod.metadata.name;
    assert.deepEqual(p.emptyDirs, [`rci-bin-${name}`]);
    assert.ok(p.pod.spec.volumes.some((v) => v.name === "rci-bin" && v.persistentVolumeClaim?.claimName === `rci-bin-${name}`));
    assert.ok(!p.pod.spec.volumes.some((v) => v.emptyDir));
  }
  assert.throws(() => convert(objs, { imageMap: { ...map, "nobody:1": "x" } }), /no container uses this image/);
});

test("refused: a pod the runtime could not run faithfully", () => {
  const bad = (mutate) => { const objs = kustomize(BASE); mutate(objs); return () => convert(objs); };
  const sts = (objs) => objs.find((o) => o.kind === "StatefulSet");
  const svc = (objs) => objs.find((o) => o.kind === "Service" && o.metadata.name === "redis-headless");
  assert.throws(bad((o) => { sts(o).spec.template.spec.initContainers[0].env[0].valueFrom = { fieldRef: { fieldPath: "spec.nodeName" } }; }), /unsupported valueFrom/);
  assert.throws(bad((o) => { sts(o).spec.template.spec.initContainers[0].restartPolicy = "Always"; }), /native sidecars/);
  assert.throws(bad((o) => { delete svc(o).spec.publishNotReadyAddresses; }), /not-ready addresses/);
  assert.throws(bad((o) => { svc(o).spec.clusterIP = "10.0.0.1"; }), /not headless/);
  assert.throws(bad((o) => { sts(o).spec.serviceName = "nope"; }), /not in the manifests/);
  assert.throws(bad((o) => { o.splice(o.findIndex((x) => x.kind === "ConfigMap"), 1); }), /ConfigMap redis-cluster-init/);
  assert.throws(() => convert([]), /no StatefulSet/);
});

test("the converter's kustomize equals kubectl kustomize", { skip: !process.env.KUBECTL_RENDERED && "kubectl is not installed" }, () => {
  for (const [dir, file] of [[BASE, process.env.KUBECTL_RENDERED_BASE], [COPY, process.env.KUBECTL_RENDERED]]) {
    const want = parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1" }).map((d) => d.toJS()).filter(Boolean);
    const key = (o) => `${o.kind}/${o.metadata.name}`;
    const got = kustomize(dir);
    assert.deepEqual(got.map(key).sort(), want.map(key).sort(), dir);
    for (const o of got) assert.deepEqual(o, want.find((w) => key(w) === key(o)), `${dir}: ${key(o)}`);
  }
});
