// kube2pods: turn our kustomize output (StatefulSets, Services, ConfigMaps) into what
// `podman kube play` runs: one Pod per StatefulSet pod, as the StatefulSet controller and kubelet
// would make it. Used by scripts/runtime-test; tested by kube2pods_test.mjs.
//
// usage: node kube2pods.mjs --kustomize DIR --out DIR [--namespace default] [--subnet 198.19.250]
//                            [--first 10] [--image MANIFEST_IMAGE=LOCAL_IMAGE]...
//        node kube2pods.mjs --rendered FILE ... (manifests already rendered, e.g. kubectl kustomize)
//        node kube2pods.mjs --kustomize DIR --print  (the rendered manifests, to compare)
//
// Writes to --out: secrets.yaml (the optional Secrets the pods mount, empty), one <pod>.yaml per
// pod (its ConfigMaps and the Pod), and pods.tsv, one line per pod, tab-separated: pod, IP, FQDN,
// its PVC volumes, its emptyDir volumes (each list comma-separated, "-" for none).
//
// What differs from Kubernetes, and how it is bridged (each is a podman 4.3 limitation):
// - init containers restart forever under restartPolicy Always: the Pod gets OnFailure;
// - optional Secrets must exist: secrets.yaml creates each one, empty;
// - containerPort is published on the host: ports are dropped (pods talk over the network);
// - downward-API env fields become literal values (name, namespace, the IP the pod is given);
// - probes need systemd timers: they are dropped, and the caller polls them with podman exec;
// - affinity and the PodDisruptionBudget mean nothing on one host: dropped;
// - volumeClaimTemplates become persistentVolumeClaim volumes named <claim>-<pod>, as the
//   StatefulSet controller names PVCs: podman keeps them as named volumes across pod re-creation;
// - podman makes one named volume per emptyDir name, shared by every pod that names it: each
//   emptyDir becomes a volume of the pod's own, <volume>-<pod>, which the caller removes with the pod.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

export function fail(msg) { throw new Error(`kube2pods: ${msg}`); }

function readDocs(file) {
  const out = [];
  // YAML 1.1, as Kubernetes reads manifests: defaultMode 0400 is octal.
  for (const d of parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1" })) {
    if (d.errors.length) fail(`${file}: ${d.errors[0].message}`);
    const o = d.toJS();
    if (o) out.push(o);
  }
  return out;
}

// JSON pointer (RFC 6901) into obj: parent container and last key. "-" appends to an array.
function locate(obj, path, file) {
  const parts = path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : cur?.[p];
    if (cur === undefined) fail(`${file}: path ${path} does not exist`);
  }
  return [cur, parts[parts.length - 1]];
}

// The subset of RFC 6902 our overlays use: add and replace (remove too, for completeness).
export function applyJsonPatch(obj, ops, file = "patch") {
  for (const op of ops) {
    const [parent, key] = locate(obj, op.path, file);
    const val = structuredClone(op.value);
    if (Array.isArray(parent)) {
      const i = key === "-" ? parent.length : Number(key);
      if (!(i >= 0 && i <= parent.length)) fail(`${file}: index ${key} out of range in ${op.path}`);
      if (op.op === "add") parent.splice(i, 0, val);
      else if (op.op === "replace") { if (i >= parent.length) fail(`${file}: nothing to replace at ${op.path}`); parent[i] = val; }
      else if (op.op === "remove") parent.splice(i, 1);
      else fail(`${file}: unsupported op ${op.op}`);
    } else {
      if (op.op === "add") parent[key] = val;
      else if (op.op === "replace") { if (!(key in parent)) fail(`${file}: nothing to replace at ${op.path}`); parent[key] = val; }
      else if (op.op === "remove") delete parent[key];
      else fail(`${file}: unsupported op ${op.op}`);
    }
  }
  return obj;
}

// The subset of kustomize our deploy/ uses: resources (files, directories), configMapGenerator
// with files (no name suffix hash), patches with a target kind and a JSON 6902 patch file.
export function kustomize(dir) {
  const k = readDocs(join(dir, "kustomization.yaml"))[0] || fail(`${dir}: empty kustomization`);
  for (const key of Object.keys(k)) {
    if (!["apiVersion", "kind", "resources", "configMapGenerator", "generatorOptions", "patches"].includes(key))
      fail(`${dir}/kustomization.yaml: unsupported field ${key}`);
  }
  let objs = [];
  for (const r of k.resources || []) {
    const p = resolve(dir, r);
    objs = objs.concat(statSync(p).isDirectory() ? kustomize(p) : readDocs(p));
  }
  for (const g of k.configMapGenerator || []) {
    const data = {};
    for (const f of g.files || []) data[f.split("/").pop()] = readFileSync(join(dir, f), "utf8");
    objs.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: g.name }, data });
  }
  for (const p of k.patches || []) {
    if (!p.path || !p.target?.kind) fail(`${dir}: only patches with target.kind and path are supported`);
    const ops = readDocs(join(dir, p.path))[0];
    if (!Array.isArray(ops)) fail(`${dir}/${p.path}: not a JSON 6902 patch (a list of ops)`);
    for (const o of objs)
      if (o.kind === p.target.kind && (!p.target.name || o.metadata.name === p.target.name))
        applyJsonPatch(o, ops, `${dir}/${p.path}`);
  }
  return objs;
}

const DOWNWARD = { "metadata.name": (p) => p.name, "metadata.namespace": (p) => p.namespace, "status.podIP": (p) => p.ip };

function containerFor(c, pod, images) {
  const out = structuredClone(c);
  if (images[out.image]) { images[out.image].used = true; out.image = images[out.image].to; }
  delete out.ports;
  delete out.readinessProbe;
  delete out.livenessProbe;
  delete out.startupProbe;
  out.env = (out.env || []).map((e) => {
    if (!e.valueFrom) return e;
    const path = e.valueFrom.fieldRef?.fieldPath;
    if (!DOWNWARD[path]) fail(`${pod.name}/${c.name}: env ${e.name}: unsupported valueFrom`);
    return { name: e.name, value: DOWNWARD[path](pod) };
  });
  if (!out.env.length) delete out.env;
  return out;
}

// One Pod of StatefulSet sts at ordinal j. ip: the address the caller assigns it.
export function podFor(sts, j, namespace, ip, images = {}) {
  const name = `${sts.metadata.name}-${j}`;
  const pod = { name, namespace, ip };
  const tpl = structuredClone(sts.spec.template);
  const spec = tpl.spec;
  delete spec.affinity;
  spec.hostname = name;
  spec.subdomain = sts.spec.serviceName;
  spec.restartPolicy = "OnFailure";
  spec.initContainers = (spec.initContainers || []).map((c) => containerFor(c, pod, images));
  spec.containers = spec.containers.map((c) => containerFor(c, pod, images));
  const pvcs = [], emptyDirs = [];
  spec.volumes = (spec.volumes || []).map((v) => {
    if (!v.emptyDir) return v;
    const claim = `${v.name}-${name}`;
    emptyDirs.push(claim);
    return { name: v.name, persistentVolumeClaim: { claimName: claim } };
  });
  for (const t of sts.spec.volumeClaimTemplates || []) {
    const claim = `${t.metadata.name}-${name}`;
    pvcs.push(claim);
    spec.volumes = (spec.volumes || []).concat([{ name: t.metadata.name, persistentVolumeClaim: { claimName: claim } }]);
  }
  const labels = { ...(tpl.metadata?.labels || {}), "statefulset.kubernetes.io/pod-name": name };
  return {
    pod: { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels }, spec },
    fqdn: `${name}.${sts.spec.serviceName}.${namespace}.svc.cluster.local`,
    pvcs,
    emptyDirs,
  };
}

// All pods of all StatefulSets in objs. Addresses: subnet.(first + k) in StatefulSet, ordinal order.
// imageMap: { "manifest image": "local image" }; every entry must be used.
export function convert(objs, { namespace = "default", subnet = "198.19.250", first = 10, imageMap = {} } = {}) {
  const images = Object.fromEntries(Object.entries(imageMap).map(([k, v]) => [k, { to: v, used: false }]));
  const configMaps = objs.filter((o) => o.kind === "ConfigMap");
  const secrets = new Set();
  const pods = [];
  let k = 0;
  for (const sts of objs.filter((o) => o.kind === "StatefulSet")) {
    // The pods' DNS names come from the governing Service. Aliases exist from the pod's creation,
    // which is faithful only for a headless Service that publishes not-ready addresses.
    const svc = objs.find((o) => o.kind === "Service" && o.metadata.name === sts.spec.serviceName);
    if (!svc) fail(`${sts.metadata.name}: its serviceName ${sts.spec.serviceName} is not in the manifests`);
    if (svc.spec?.clusterIP !== "None") fail(`${sts.metadata.name}: Service ${svc.metadata.name} is not headless`);
    if (svc.spec?.publishNotReadyAddresses !== true)
      fail(`${sts.metadata.name}: Service ${svc.metadata.name} does not publish not-ready addresses: the init containers could not resolve their peers`);
    if (sts.spec.template.spec.initContainers?.some((c) => c.restartPolicy === "Always"))
      fail(`${sts.metadata.name}: native sidecars are not supported by podman kube play`);
    for (let j = 0; j < sts.spec.replicas; j++) {
      const ip = `${subnet}.${first + k++}`;
      const p = podFor(sts, j, namespace, ip, images);
      const used = new Set((p.pod.spec.volumes || []).filter((v) => v.configMap).map((v) => v.configMap.name));
      for (const v of p.pod.spec.volumes || []) if (v.secret) secrets.add(v.secret.secretName);
      for (const n of used) if (!configMaps.some((c) => c.metadata.name === n)) fail(`${p.pod.metadata.name}: ConfigMap ${n} is not in the manifests`);
      pods.push({ ...p, ip, configMaps: configMaps.filter((c) => used.has(c.metadata.name)) });
    }
  }
  if (!pods.length) fail("no StatefulSet in the manifests");
  for (const [k, v] of Object.entries(images)) if (!v.used) fail(`--image ${k}: no container uses this image`);
  return { pods, secrets: [...secrets].sort() };
}

function main(argv) {
  const a = { namespace: "default", subnet: "198.19.250", rendered: [], imageMap: {} };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--kustomize") { a.kustomize = v; i++; }
    else if (argv[i] === "--rendered") { a.rendered.push(v); i++; }
    else if (argv[i] === "--out") { a.out = v; i++; }
    else if (argv[i] === "--namespace") { a.namespace = v; i++; }
    else if (argv[i] === "--subnet") { a.subnet = v; i++; }
    else if (argv[i] === "--first") { a.first = Number(v); i++; }
    else if (argv[i] === "--image") {
      const eq = (v || "").indexOf("=");
      if (eq < 1) fail("--image wants MANIFEST_IMAGE=LOCAL_IMAGE");
      a.imageMap[v.slice(0, eq)] = v.slice(eq + 1); i++;
    }
    else if (argv[i] === "--print") { a.print = true; }
    else fail(`unknown argument ${argv[i]}`);
  }
  if (!a.kustomize && !a.rendered.length) fail("need --kustomize DIR or --rendered FILE");
  const objs = a.kustomize ? kustomize(a.kustomize) : a.rendered.flatMap(readDocs);
  if (a.print) { process.stdout.write(objs.map((o) => stringify(o, { blockQuote: "literal" })).join("---\n")); return; }
  if (!a.out) fail("need --out DIR");
  const { pods, secrets } = convert(objs, a);
  mkdirSync(a.out, { recursive: true });
  writeFileSync(join(a.out, "secrets.yaml"),
    secrets.map((s) => stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: s }, type: "Opaque", data: {} })).join("---\n"));
  const tsv = [];
  for (const p of pods) {
    writeFileSync(join(a.out, `${p.pod.metadata.name}.yaml`), [...p.configMaps, p.pod].map((o) => stringify(o, { blockQuote: "literal" })).join("---\n"));
    const list = (l) => (l.length ? l.join(",") : "-");
    tsv.push([p.pod.metadata.name, p.ip, p.fqdn, list(p.pvcs), list(p.emptyDirs)].join("\t"));
  }
  writeFileSync(join(a.out, "pods.tsv"), tsv.join("\n") + "\n");
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try { main(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(1); }
}
