/* podspec: a simulator helper (not shipped). Reads rendered Kubernetes manifests (YAML, libyaml)
 * and prints, as shell assignments, what a kubelet would run for the first StatefulSet's pods:
 * the init container named by argv[2] and the first main container: command, args, exec probes,
 * env (literal values, or fieldRef paths), volume mounts, and which volume each mount is (PVC, ConfigMap,
 * emptyDir). podsim evaluates this output, so the simulator runs the pod spec that ships.
 * usage: podspec MANIFESTS.yaml INIT_CONTAINER_NAME */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static const char *str(yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE ? (char *)n->data.scalar.value : NULL; }

/* Print a value single-quoted for the shell. */
static void q(const char *s)
{
    putchar('\'');
    for (; *s; s++) { if (*s == '\'') fputs("'\\''", stdout); else putchar(*s); }
    putchar('\'');
}

static void list(yaml_document_t *d, yaml_node_t *seq, const char *var)
{
    printf("%s=(", var);
    if (seq && seq->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
            const char *s = str(yaml_document_get_node(d, *i));
            if (s) { q(s); putchar(' '); }
        }
    printf(")\n");
}

static void container(yaml_document_t *d, yaml_node_t *c, const char *pfx, yaml_node_t *volumes, yaml_node_t *claims)
{
    char var[64];
    snprintf(var, sizeof var, "%s_COMMAND", pfx); list(d, get(d, c, "command"), var);
    snprintf(var, sizeof var, "%s_ARGS", pfx); list(d, get(d, c, "args"), var);
    /* exec probes: what the kubelet runs to decide Ready and alive */
    snprintf(var, sizeof var, "%s_READY", pfx);
    list(d, get(d, get(d, get(d, c, "readinessProbe"), "exec"), "command"), var);
    snprintf(var, sizeof var, "%s_ALIVE", pfx);
    list(d, get(d, get(d, get(d, c, "livenessProbe"), "exec"), "command"), var);
    printf("%s_ENV=(", pfx);
    yaml_node_t *env = get(d, c, "env");
    if (env && env->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *i = env->data.sequence.items.start; i < env->data.sequence.items.top; i++) {
            yaml_node_t *e = yaml_document_get_node(d, *i);
            const char *name = str(get(d, e, "name")), *value = str(get(d, e, "value"));
            const char *field = str(get(d, get(d, get(d, e, "valueFrom"), "fieldRef"), "fieldPath"));
            if (!name) continue;
            char buf[1024];
            if (value) snprintf(buf, sizeof buf, "%s=value:%s", name, value);
            else if (field) snprintf(buf, sizeof buf, "%s=field:%s", name, field);
            else snprintf(buf, sizeof buf, "%s=unsupported:", name);
            q(buf); putchar(' ');
        }
    printf(")\n%s_MOUNTS=(", pfx);
    yaml_node_t *mounts = get(d, c, "volumeMounts");
    if (mounts && mounts->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *i = mounts->data.sequence.items.start; i < mounts->data.sequence.items.top; i++) {
            yaml_node_t *m = yaml_document_get_node(d, *i);
            const char *name = str(get(d, m, "name")), *path = str(get(d, m, "mountPath"));
            if (!name || !path) continue;
            const char *kind = "unknown";
            if (claims && claims->type == YAML_SEQUENCE_NODE)
                for (yaml_node_item_t *k = claims->data.sequence.items.start; k < claims->data.sequence.items.top; k++) {
                    const char *cn = str(get(d, get(d, yaml_document_get_node(d, *k), "metadata"), "name"));
                    if (cn && strcmp(cn, name) == 0) kind = "pvc";
                }
            if (volumes && volumes->type == YAML_SEQUENCE_NODE)
                for (yaml_node_item_t *k = volumes->data.sequence.items.start; k < volumes->data.sequence.items.top; k++) {
                    yaml_node_t *v = yaml_document_get_node(d, *k);
                    const char *vn = str(get(d, v, "name"));
                    if (!vn || strcmp(vn, name) != 0) continue;
                    if (get(d, v, "configMap")) kind = "configmap";
                    else if (get(d, v, "emptyDir")) kind = "emptydir";
                    else if (get(d, v, "secret")) kind = "secret";
                }
            char buf[1024];
            snprintf(buf, sizeof buf, "%s:%s:%s", kind, name, path);
            q(buf); putchar(' ');
        }
    printf(")\n");
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: podspec MANIFESTS.yaml INIT_CONTAINER_NAME\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int found = 0;
    for (;;) {
        yaml_document_t d;
        if (!yaml_parser_load(&p, &d)) { fprintf(stderr, "%s: YAML error: %s\n", argv[1], p.problem); break; }
        yaml_node_t *root = yaml_document_get_root_node(&d);
        if (!root) { yaml_document_delete(&d); break; }
        const char *kind = str(get(&d, root, "kind"));
        if (!found && kind && strcmp(kind, "StatefulSet") == 0) {
            yaml_node_t *spec = get(&d, root, "spec");
            yaml_node_t *pod = get(&d, get(&d, spec, "template"), "spec");
            yaml_node_t *volumes = get(&d, pod, "volumes"), *claims = get(&d, spec, "volumeClaimTemplates");
            yaml_node_t *inits = get(&d, pod, "initContainers"), *mains = get(&d, pod, "containers");
            if (inits && inits->type == YAML_SEQUENCE_NODE)
                for (yaml_node_item_t *i = inits->data.sequence.items.start; i < inits->data.sequence.items.top; i++) {
                    yaml_node_t *c = yaml_document_get_node(&d, *i);
                    const char *n = str(get(&d, c, "name"));
                    if (n && strcmp(n, argv[2]) == 0) { container(&d, c, "INIT", volumes, claims); found = 1; }
                }
            if (found && mains && mains->type == YAML_SEQUENCE_NODE && mains->data.sequence.items.start < mains->data.sequence.items.top)
                container(&d, yaml_document_get_node(&d, *mains->data.sequence.items.start), "MAIN", volumes, claims);
        }
        yaml_document_delete(&d);
    }
    yaml_parser_delete(&p);
    fclose(f);
    if (!found) { fprintf(stderr, "podspec: no StatefulSet with an init container '%s' in %s\n", argv[2], argv[1]); return 1; }
    return 0;
}
