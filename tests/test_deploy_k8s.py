"""The Kubernetes manifests in deploy/k8s/, checked offline.

- yamllint (style and syntax) and kubernetes-validate (strict: unknown fields fail) against the schemas
  the package bundles; a broken copy must fail both, so the checks can fail;
- checkov's Kubernetes security checks. checkov pins dozens of packages (an older `packaging`, boto3…)
  that would fight the app's own pins, so it is not in requirements-dev.txt: it gets its own virtual
  environment in the user's cache folder, made on first use (pinned: CHECKOV), outside the repository;
- what the app needs from them: the image's port, user and HOME, probes on /_stcore/health, a read-only
  root with writable HOME and /tmp (exactly what tests/test_docker_image.py runs the real image with),
  cookie affinity and long websocket timeouts, an HPA on CPU aimed at the Deployment, no egress.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from conftest import in_ci

REPO_ROOT = Path(__file__).resolve().parent.parent
K8S = REPO_ROOT / "deploy" / "k8s"
KUBE_VERSION = "1.33.0"
CHECKOV = "checkov==3.3.30"
CHECKOV_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rnnviz" / "checkov-3.3.30"
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 110}, document-start: disable}}"
BIN = Path(sys.executable).parent


def manifests() -> list[Path]:
    files = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert len(files) >= 6, files
    return files


def docs() -> dict[str, dict]:
    """kind -> the (single) resource of that kind."""
    out = {}
    for f in manifests():
        for doc in yaml.safe_load_all(f.read_text(encoding="utf-8")):
            assert doc["kind"] not in out, f"two {doc['kind']} resources"
            out[doc["kind"]] = doc
    return out


def dockerfile() -> str:
    return (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")


def container() -> dict:
    (c,) = docs()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return c


# --------------------------------------------------------------------------- linters and schemas


def run_tool(args: list[str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_yamllint_passes_and_can_fail(tmp_path: Path) -> None:
    ok = run_tool([str(BIN / "yamllint"), "-s", "-d", YAMLLINT_CONFIG, str(K8S)])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\na: 2\n  b: [\n", encoding="utf-8")
    assert run_tool([str(BIN / "yamllint"), "-s", "-d", YAMLLINT_CONFIG, str(bad)]).returncode != 0


def test_every_manifest_matches_the_kubernetes_schema_strictly(tmp_path: Path) -> None:
    files = [str(f) for f in manifests()]
    ok = run_tool([str(BIN / "kubernetes-validate"), "--strict", "-k", KUBE_VERSION, *files])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("passed") + ok.stderr.count("passed") == len(files), ok.stdout + ok.stderr
    # a misspelled field and a wrong type must be caught
    broken = (K8S / "deployment.yaml").read_text(encoding="utf-8")
    broken = broken.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesytem: true")
    broken = broken.replace("replicas: 2", "replicas: two")
    bad = tmp_path / "deployment.yaml"
    bad.write_text(broken, encoding="utf-8")
    assert run_tool([str(BIN / "kubernetes-validate"), "--strict", "-k", KUBE_VERSION, str(bad)]).returncode


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    assert sorted(listed) == sorted(f.name for f in manifests())


def checkov_binary() -> Path:
    exe = CHECKOV_VENV / "bin" / "checkov"
    if exe.exists():
        return exe
    venv.create(CHECKOV_VENV, with_pip=True, clear=True)
    pip = run_tool([str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", CHECKOV])
    if pip.returncode != 0 or not exe.exists():
        message = f"could not install {CHECKOV}: {pip.stdout[-1500:]}{pip.stderr[-1500:]}"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return exe


def test_checkov_finds_no_failed_kubernetes_check() -> None:
    proc = run_tool([str(checkov_binary()), "-d", str(K8S), "--framework", "kubernetes", "-o", "json",
                     "--skip-download"])
    report = json.loads(proc.stdout)
    results, summary = report["results"], report["summary"]
    failed = [(c["check_id"], c["check_name"], c["resource"]) for c in results.get("failed_checks", [])]
    assert not failed and summary["failed"] == 0, failed
    assert summary["parsing_errors"] == 0 and summary["resource_count"] >= 7, summary
    assert summary["passed"] >= 80, summary  # checkov 3.3.30 runs 93 checks on these manifests
    skipped = [c["check_id"] for c in results.get("skipped_checks", [])]
    assert skipped == ["CKV_K8S_43"], skipped  # the image digest: only a pushed image has one


# --------------------------------------------------------------------------- what the app needs


def test_container_matches_the_image() -> None:
    c = container()
    expose = re.search(r"^EXPOSE\s+(\d+)", dockerfile(), flags=re.MULTILINE).group(1)
    assert [p["containerPort"] for p in c["ports"]] == [int(expose)]
    uid = re.findall(r"^USER\s+(\d+)", dockerfile(), flags=re.MULTILINE)[-1]
    pod = docs()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(uid) == c["securityContext"]["runAsUser"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["automountServiceAccountToken"] is False
    home = re.search(r"HOME=(\S+)", dockerfile()).group(1)
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert set(mounts) == {home, "/tmp"}, mounts
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert all("emptyDir" in volumes[name] for name in mounts.values())


def test_pod_security_is_what_the_image_test_runs_with() -> None:
    sc = container()["securityContext"]
    assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and not sc["privileged"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    from test_docker_image import RUN_LIKE_A_POD

    flags = " ".join(RUN_LIKE_A_POD)
    assert "--read-only" in flags and "--cap-drop ALL" in flags and "no-new-privileges" in flags
    tmpfs = sorted(RUN_LIKE_A_POD[i + 1].split(":")[0]
                   for i, flag in enumerate(RUN_LIKE_A_POD) if flag == "--tmpfs")
    assert tmpfs == sorted(m["mountPath"] for m in container()["volumeMounts"])


def test_probes_ask_streamlits_health_endpoint() -> None:
    c = container()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = c[probe]["httpGet"]
        assert get["path"] == "/_stcore/health" and get["port"] in ("http", 8501), (probe, get)
    assert "/_stcore/health" in dockerfile()  # the image's HEALTHCHECK asks the same


def test_resources_are_one_core_per_replica() -> None:
    res = container()["resources"]
    assert res["requests"]["cpu"] == res["limits"]["cpu"] == "1"  # one process uses one core (the GIL)
    mib = {k: int(res[k]["memory"].removesuffix("Mi")) if res[k]["memory"].endswith("Mi")
           else 1024 * int(res[k]["memory"].removesuffix("Gi")) for k in ("requests", "limits")}
    # after a long lesson the bounded caches hold ~0.5-0.7 GB (docs/load.md): the limit leaves room
    assert 384 <= mib["requests"] <= mib["limits"] and 768 <= mib["limits"] <= 2048, mib


def test_service_ingress_and_hpa_point_at_the_pods() -> None:
    d = docs()
    labels = d["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert d["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert d["Service"]["spec"]["selector"].items() <= labels.items()
    assert d["Service"]["spec"]["ports"][0]["targetPort"] in ("http", 8501)
    backend = d["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == d["Service"]["metadata"]["name"]
    hpa = d["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": d["Deployment"]["metadata"]["name"]}
    (metric,) = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu" and hpa["minReplicas"] >= 2
    assert d["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    names = {doc["metadata"].get("namespace") for kind, doc in d.items() if kind != "Namespace"}
    assert names == {d["Namespace"]["metadata"]["name"]}


def test_ingress_keeps_a_student_on_one_pod_for_a_whole_lesson() -> None:
    ann = docs()["Ingress"]["metadata"]["annotations"]
    assert ann["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert ann["nginx.ingress.kubernetes.io/affinity-mode"] == "persistent"
    for key in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(ann[f"nginx.ingress.kubernetes.io/{key}"]) >= 3600
    body = ann["nginx.ingress.kubernetes.io/proxy-body-size"]
    config = (REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    upload_mb = int(re.search(r"maxUploadSize\s*=\s*(\d+)", config).group(1))
    assert int(body.removesuffix("m")) > upload_mb


def test_pods_may_open_no_connection() -> None:
    policy = docs()["NetworkPolicy"]["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"} and policy["egress"] == []
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8501}]
