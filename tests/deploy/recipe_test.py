#!/usr/bin/env python3
"""The shipped deployment files parse and carry what they must: deploy/kubernetes/*.yaml (the
DaemonSet, the Pod example, ...) and the configured hooks.d/perfqos.json.

usage: recipe_test.py SOURCE_DIR HOOKS_JSON. Exit 0 ok, 1 failures (each printed), 77 skipped
(no PyYAML: Debian python3-yaml)."""
import json
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("SKIP: no PyYAML (Debian: apt-get install python3-yaml)")
    sys.exit(77)

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def dig(doc, *path):
    for key in path:
        if isinstance(doc, dict):
            doc = doc.get(key)
        elif isinstance(doc, list) and isinstance(key, int) and key < len(doc):
            doc = doc[key]
        else:
            return None
    return doc


SPEC = re.compile(r"^[A-Za-z0-9_.:-]+=[^=\s]+$")  # perfqosctl SPEC: DEVICE[.KNOB]=VALUE


def check_pod_spec(name, spec):
    check(isinstance(spec, dict), f"{name}: no pod spec")
    containers = dig(spec, "containers") or []
    check(containers, f"{name}: no containers")
    for c in containers + (dig(spec, "initContainers") or []):
        check(c.get("name") and c.get("image"), f"{name}: a container without name or image")
    volumes = {v["name"]: v for v in dig(spec, "volumes") or []}
    for c in containers + (dig(spec, "initContainers") or []):
        for m in c.get("volumeMounts") or []:
            check(m["name"] in volumes, f"{name}: {c['name']} mounts unknown volume {m['name']}")
    return volumes


def check_daemonset(name, doc):
    spec = dig(doc, "spec", "template", "spec")
    volumes = check_pod_spec(name, spec)
    selector = dig(doc, "spec", "selector", "matchLabels") or {}
    labels = dig(doc, "spec", "template", "metadata", "labels") or {}
    check(selector and all(labels.get(k) == v for k, v in selector.items()),
          f"{name}: selector {selector} does not match the template's labels {labels}")
    host_paths = {v["hostPath"]["path"] for v in volumes.values() if "hostPath" in v}
    for path in ("/sys", "/dev", "/run/perfqos"):
        check(path in host_paths, f"{name}: no hostPath volume for {path}")
    daemon = next((c for c in spec["containers"] if c["name"] == "perfqosd"), None)
    if not check(daemon is not None, f"{name}: no perfqosd container"):
        return
    check(dig(daemon, "securityContext", "privileged") is True, f"{name}: perfqosd not privileged")
    mounts = {m["mountPath"] for m in daemon.get("volumeMounts") or []}
    for path in ("/sys", "/dev", "/run/perfqos"):
        check(path in mounts, f"{name}: perfqosd does not mount {path}")
    annotations = dig(doc, "spec", "template", "metadata", "annotations") or {}
    check(annotations.get("prometheus.io/scrape") == "true", f"{name}: no prometheus.io/scrape")
    port = annotations.get("prometheus.io/port")
    args = daemon.get("args") or []
    metrics = args[args.index("--metrics") + 1] if "--metrics" in args else ""
    check(port and metrics.endswith(":" + port),
          f"{name}: prometheus.io/port {port} is not the port of --metrics {metrics!r}")
    ports = [p.get("containerPort") for p in daemon.get("ports") or []]
    check(port and int(port) in ports, f"{name}: port {port} not among containerPorts {ports}")
    init = " ".join(" ".join(c.get("command") or []) for c in spec.get("initContainers") or [])
    check("hooks.d/perfqos.json" in init and "perfqos-oci-hook" in init,
          f"{name}: no init container placing the hook and its hooks.d file on the node")
    embedded = re.search(r"<<'JSON'\n(.*?)\n\s*JSON\n", init.replace("\\n", "\n"), re.S)
    if check(embedded, f"{name}: the init container's hooks.d JSON is not found"):
        check_hooks_json(f"{name} (embedded hooks.d)", json.loads(embedded.group(1)))


def check_pod(name, doc):
    check_pod_spec(name, dig(doc, "spec"))
    annotations = dig(doc, "metadata", "annotations") or {}
    requests = {k: v for k, v in annotations.items() if k.startswith("perfqos.io/request.")}
    check(requests, f"{name}: no perfqos.io/request.* annotation")
    for key, value in requests.items():
        check(isinstance(value, str) and SPEC.match(value),
              f"{name}: {key}: {value!r} is not a SPEC (DEVICE=VALUE)")
    cstates = annotations.get("cpu-c-states.crio.io")
    check(cstates is None or re.match(r"^(enable|disable|max_latency:[0-9]+)$", cstates),
          f"{name}: cpu-c-states.crio.io {cstates!r}")


def check_hooks_json(name, hook):
    check(hook.get("version") == "1.0.0", f"{name}: version must be 1.0.0")
    path = dig(hook, "hook", "path") or ""
    check(path.startswith("/") and path.endswith("/perfqos-oci-hook"), f"{name}: hook.path {path!r}")
    stages = hook.get("stages") or []
    check(stages and set(stages) <= {"createRuntime", "poststart"},
          f"{name}: stages {stages} (createRuntime or poststart)")
    patterns = dig(hook, "when", "annotations") or {}
    compiled = [(re.compile(k), re.compile(v)) for k, v in patterns.items()]

    def matches(key, value):
        return any(k.search(key) and v.search(value) for k, v in compiled)

    check(matches("perfqos.io/request.a", "cpu_dma_latency=25"), f"{name}: misses perfqos.io/")
    check(matches("cpu-c-states.crio.io", "disable"), f"{name}: misses cpu-c-states.crio.io")
    check(not matches("io.kubernetes.pod.name", "x"), f"{name}: matches other annotations")
    check(not matches("xperfqos.io/request.a", "x"), f"{name}: matches xperfqos.io/")


def main():
    source, hooks_json = sys.argv[1], sys.argv[2]
    deploy = os.path.join(source, "deploy", "kubernetes")
    kinds = {}
    for file in sorted(os.listdir(deploy)):
        if not file.endswith(".yaml"):
            continue
        with open(os.path.join(deploy, file)) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for doc in docs:
            name = f"{file}: {doc.get('kind')}/{dig(doc, 'metadata', 'name')}"
            check(doc.get("apiVersion") and doc.get("kind") and dig(doc, "metadata", "name"),
                  f"{name}: apiVersion, kind and metadata.name are required")
            kinds.setdefault(doc.get("kind"), []).append(name)
            if doc.get("kind") == "DaemonSet":
                check_daemonset(name, doc)
            elif doc.get("kind") == "Pod":
                check_pod(name, doc)
    for kind in ("Namespace", "DaemonSet", "Pod"):
        check(kind in kinds, f"deploy/kubernetes has no {kind}")
    with open(hooks_json) as f:
        check_hooks_json(hooks_json, json.load(f))
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failures in {sum(len(v) for v in kinds.values())} documents")
    return 1 if failures else 0


sys.exit(main())
