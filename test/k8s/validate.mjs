// Validate every document of rendered manifests (stdin) against the Kubernetes OpenAPI schemas
// shipped in kubernetes-models (JSON Schema, ajv). Exit 1 and name the object on any violation.
import { parseAllDocuments } from "yaml";

const text = await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => (s += d));
  process.stdin.on("end", () => resolve(s));
});

// apiVersion -> module path in kubernetes-models
function modulePath(apiVersion) {
  if (apiVersion === "v1") return "kubernetes-models/v1";
  const [group, version] = apiVersion.split("/");
  return `kubernetes-models/${group}/${version}`;
}

let failures = 0, count = 0;
for (const doc of parseAllDocuments(text)) {
  if (doc.errors.length) { console.error(`YAML error: ${doc.errors[0].message}`); failures++; continue; }
  const obj = doc.toJS();
  if (!obj) continue;
  const where = `${obj.kind}/${obj.metadata?.name}`;
  let mod;
  try { mod = await import(modulePath(obj.apiVersion)); } catch (e) {
    console.error(`${where}: no schema for apiVersion ${obj.apiVersion}`); failures++; continue;
  }
  const Model = mod[obj.kind];
  if (!Model) { console.error(`${where}: unknown kind ${obj.kind} in ${obj.apiVersion}`); failures++; continue; }
  try {
    new Model(obj).validate();
    count++;
  } catch (e) {
    console.error(`${where}: ${e.message}`);
    failures++;
  }
}
console.log(`validated ${count} objects, ${failures} invalid`);
process.exit(failures || count === 0 ? 1 : 0);
