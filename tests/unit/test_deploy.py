"""deploy/: the images, the compose file and the Kubernetes manifests, checked offline.

They cannot run here (no container runtime, no cluster), so they are held to their schemas
(Kubernetes 1.28 schemas bundled in ``kubernetes-validate``, strict: an unknown field is an
error; the Compose Specification's schema vendored in tests/schemas/), the Dockerfiles are
parsed, and every place where deploy/ meets the code is compared with the code: ports, paths
of the probes, environment variable names, the install commands of scripts/setup.sh.
"""

import copy
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import rasa
import rasa_sdk
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKER = DEPLOY / "docker"
KUBERNETES_VERSION = "1.28"
#: names whose value is a credential: never a default, never in an image
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|DATABASE_URL|_PASS$")
#: environment variable names of the project's own (the pattern of tests/unit/test_env_template.py)
PROJECT_NAME = re.compile(r"\b((?:CLOSEBOT|SERVICENOW|JIRA|SLACK|TEAMS)_[A-Z0-9_]+)\b")
#: read by the third-party images of the compose file, not by anything of ours
IMAGE_VARIABLES = {"POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS"}


# --- loading -----------------------------------------------------------------------------------

def _manifest_files() -> List[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _manifests() -> List[Tuple[str, Dict[str, Any]]]:
    return [(f"{p.name}:{doc['kind']}/{doc['metadata']['name']}", doc)
            for p in _manifest_files() for doc in yaml.safe_load_all(p.read_text()) if doc]


def _one(kind: str, name: str) -> Dict[str, Any]:
    [doc] = [d for _, d in _manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _all(kind: str) -> List[Dict[str, Any]]:
    return [d for _, d in _manifests() if d["kind"] == kind]


def _pod_containers(doc: Dict[str, Any], init: bool = True) -> List[Dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return list(spec["containers"]) + (list(spec.get("initContainers", [])) if init else [])


def _container(deployment: str) -> Dict[str, Any]:
    return _pod_containers(_one("Deployment", deployment), init=False)[0]


def _env_names(container: Dict[str, Any]) -> Set[str]:
    """Every variable a Kubernetes container gets: its env, and the keys of ConfigMaps it loads."""
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        names |= set(_one("ConfigMap", source["configMapRef"]["name"])["data"])
    return names


def _compose() -> Dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _dockerfile(name: str) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO((DOCKER / name).read_bytes()))


def _instructions(parser: DockerfileParser, instruction: str) -> List[str]:
    return [i["value"] for i in parser.structure if i["instruction"] == instruction]


def _package_sources(package: Any) -> Iterator[str]:
    for path in Path(package.__file__).parent.rglob("*.py"):
        yield path.read_text(encoding="utf-8", errors="replace")


def _read_by_us() -> str:
    """Everything of ours that reads environment variables, as one text."""
    paths = [p for d in ["bot", "actions", "channels", "rasa_components", "rasa_sdk_plugins", "deploy/docker",
                         "deploy/postgres"]
             for p in (ROOT / d).rglob("*") if p.suffix in {".py", ".sh"}]
    paths += [ROOT / "endpoints.production.yml", ROOT / "credentials.yml"]
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


# --- Kubernetes: schemas ------------------------------------------------------------------------

@pytest.mark.parametrize("label, doc", _manifests(), ids=[label for label, _ in _manifests()])
def test_every_manifest_matches_the_kubernetes_schema(label: str, doc: Dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def _rasa_container(doc: Dict[str, Any]) -> Dict[str, Any]:
    return doc["spec"]["template"]["spec"]["containers"][0]


#: one mistake each, of the kinds a hand-edited manifest gets: (kind, name, the edit)
BREAKAGES = {
    "misspelt probe": (
        "Deployment", "closebot-rasa",
        lambda d: _rasa_container(d).update(readinesProbe=_rasa_container(d).pop("readinessProbe"))),
    "port as text": (
        "Deployment", "closebot-rasa", lambda d: _rasa_container(d)["ports"][0].update(containerPort="5005/tcp")),
    "memory as a list": (
        "Deployment", "closebot-rasa",
        lambda d: _rasa_container(d)["resources"]["limits"].update(memory=["1.5Gi"])),
    "utilisation as text": (
        "HorizontalPodAutoscaler", "closebot-rasa",
        lambda d: d["spec"]["metrics"][0]["resource"]["target"].update(averageUtilization="70%")),
    "restart policy misspelt": (
        "Job", "closebot-migrate", lambda d: d["spec"]["template"]["spec"].update(restartpolicy="Never")),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_the_schema_check_catches_a_broken_manifest(breakage: str) -> None:
    kind, name, breaking = BREAKAGES[breakage]
    broken = copy.deepcopy(_one(kind, name))
    breaking(broken)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in _manifest_files()} - {"secret.example.yaml"}
    images = {d["image"].split(":")[0] for _, doc in _manifests() if doc["kind"] in {"Deployment", "Job"}
              for d in _pod_containers(doc)}
    assert images == {i["name"] for i in kustomization["images"]}


def test_the_secret_example_holds_placeholders_only() -> None:
    secret = _one("Secret", "closebot-secrets")
    credentials = {k: v for k, v in secret["stringData"].items() if SECRET_NAME.search(k)}
    assert credentials and all("CHANGE-ME" in v for v in credentials.values()), credentials
    assert "deploy/k8s/secret.yaml" in (ROOT / ".gitignore").read_text().split("\n")


def test_every_secret_and_config_map_a_pod_names_exists() -> None:
    secret = _one("Secret", "closebot-secrets")
    example_text = (K8S / "secret.example.yaml").read_text()
    for doc in _all("Deployment") + _all("Job"):
        for container in _pod_containers(doc):
            for source in container.get("envFrom", []):
                _one("ConfigMap", source["configMapRef"]["name"])
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref is None:
                    continue
                assert ref["name"] == secret["metadata"]["name"]
                if ref.get("optional"):  # a channel's key: shown, commented out, in the example
                    assert re.search(rf"#\s*{ref['key']}:", example_text), ref["key"]
                else:
                    assert ref["key"] in secret["stringData"], ref["key"]


def test_only_the_migration_job_holds_the_owner_credentials() -> None:
    job = _one("Job", "closebot-migrate")
    [container] = _pod_containers(job)
    assert container["command"] == ["closebot", "db", "upgrade"]
    [url] = [e for e in container["env"] if e["name"] == "CLOSEBOT_DATABASE_URL"]
    assert url["valueFrom"]["secretKeyRef"]["key"] == "CLOSEBOT_MIGRATOR_DATABASE_URL"
    for deployment in _all("Deployment"):
        assert "CLOSEBOT_MIGRATOR_DATABASE_URL" not in yaml.safe_dump(deployment)
        [wait] = deployment["spec"]["template"]["spec"]["initContainers"]
        assert wait["command"] == ["closebot", "db", "current"]


# --- Kubernetes: how the pieces fit -------------------------------------------------------------

def test_each_service_selects_one_deployment_and_a_named_port() -> None:
    for service in _all("Service"):
        selector = service["spec"]["selector"].items()
        matching = [d for d in _all("Deployment")
                    if selector <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matching) == 1, service["metadata"]["name"]
        port_names = {p["name"] for c in _pod_containers(matching[0], init=False) for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_each_autoscaler_targets_a_deployment_whose_pods_request_cpu() -> None:
    autoscalers = _all("HorizontalPodAutoscaler")
    assert {h["metadata"]["name"] for h in autoscalers} == {"closebot-rasa", "closebot-actions"}
    for hpa in autoscalers:
        target = hpa["spec"]["scaleTargetRef"]
        deployment = _one(target["kind"], target["name"])
        assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["minReplicas"] >= 2
        # a CPU utilisation target is a percentage of the request: without one the HPA does nothing
        assert all(c["resources"]["requests"].get("cpu") for c in _pod_containers(deployment, init=False))


def test_every_container_has_requests_and_limits() -> None:
    for doc in _all("Deployment") + _all("Job"):
        for container in _pod_containers(doc):
            assert container["resources"]["requests"]["memory"], container["name"]
            assert container["resources"]["limits"]["memory"], container["name"]
    rasa_resources = _container("closebot-rasa")["resources"]
    assert rasa_resources["limits"]["memory"] == "1.5Gi"
    assert rasa_resources["requests"]["memory"] == "1.2Gi"


def test_every_pod_runs_as_the_images_unprivileged_user() -> None:
    users = {int(_instructions(_dockerfile(f), "USER")[-1]) for f in ["rasa.Dockerfile", "actions.Dockerfile"]}
    for doc in _all("Deployment") + _all("Job"):
        pod = doc["spec"]["template"]["spec"]["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] in users
        for container in _pod_containers(doc):
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_both_servers_have_readiness_and_liveness_probes_on_paths_that_exist() -> None:
    rasa_routes = (Path(rasa.__file__).parent / "server.py").read_text()
    sdk_routes = (Path(rasa_sdk.__file__).parent / "endpoint.py").read_text()
    served = {
        "closebot-rasa": lambda path: f'@app.get("{path}")' in rasa_routes,
        "closebot-actions": lambda path: f'"{path}"' in sdk_routes,
    }
    from rasa_sdk_plugins import OPEN_PATHS

    for name, serves in served.items():
        container = _container(name)
        port_names = {p["name"] for p in container["ports"]}
        for probe in ("readinessProbe", "livenessProbe"):
            assert probe in container, (name, probe)
        for key in ("startupProbe", "readinessProbe", "livenessProbe"):
            http = container.get(key, {}).get("httpGet")
            if http is None:
                continue
            assert http["port"] in port_names and serves(http["path"]), (name, key, http)
            if name == "closebot-actions":  # probes carry no token: the path must be open
                assert http["path"] in OPEN_PATHS
    # Rasa's readiness checks the tracker store too, with a script that is in the image
    ready = _container("closebot-rasa")["readinessProbe"]["exec"]["command"]
    # the image's WORKDIR is /app, where the build context (the repository) is copied
    assert ready == ["python", "/app/deploy/docker/rasa_ready.py"]
    assert _instructions(_dockerfile("rasa.Dockerfile"), "WORKDIR") == ["/app"]
    in_repo = ready[1].removeprefix("/app/")
    assert (ROOT / in_repo).is_file() and not _dockerignored(in_repo)
    assert ready[1] in " ".join(_instructions(_dockerfile("rasa.Dockerfile"), "HEALTHCHECK"))


def test_the_action_url_names_the_action_service() -> None:
    url = urlsplit(_one("ConfigMap", "closebot-config")["data"]["CLOSEBOT_ACTION_URL"])
    service = _one("Service", url.hostname)
    assert url.port in {p["port"] for p in service["spec"]["ports"]}
    assert url.path == "/webhook" and '"/webhook"' in (Path(rasa_sdk.__file__).parent / "endpoint.py").read_text()
    compose_url = urlsplit(_compose()["services"]["rasa"]["environment"]["CLOSEBOT_ACTION_URL"])
    assert compose_url.hostname in _compose()["services"] and compose_url.path == "/webhook"
    assert url.port == compose_url.port == _exposed("actions.Dockerfile")


# --- the environment: what is set is what the code reads ----------------------------------------

def _values(path: Path) -> str:
    """A YAML file's content without its comments (which may show ${VAR} as an example)."""
    return yaml.safe_dump(yaml.safe_load(path.read_text()), width=10**6)


def _endpoint_variables() -> Set[str]:
    return set(re.findall(r"\$\{(\w+)\}", _values(ROOT / "endpoints.production.yml")))


RASA_NEEDS = {"CLOSEBOT_RASA_TOKEN", "CLOSEBOT_ACTION_TOKEN", "CLOSEBOT_DATABASE_URL", "SANIC_WORKERS"}
ACTIONS_NEED = {"CLOSEBOT_ACTION_TOKEN", "CLOSEBOT_DATABASE_URL", "SANIC_HOST"}


def test_the_rasa_server_gets_every_variable_endpoints_production_names() -> None:
    """Rasa refuses to start when a ${VAR} of the endpoints file is unset."""
    wanted = _endpoint_variables() | RASA_NEEDS
    assert "CLOSEBOT_PG_HOST" in wanted  # the scan found the file's variables
    assert wanted <= _env_names(_container("closebot-rasa"))
    assert wanted <= set(_compose()["services"]["rasa"]["environment"])


def test_the_action_server_gets_its_token_and_store() -> None:
    assert _env_names(_container("closebot-actions")) >= ACTIONS_NEED
    assert set(_compose()["services"]["actions"]["environment"]) >= ACTIONS_NEED


def _set_variables() -> Iterator[Tuple[str, str]]:
    for label, doc in _manifests():
        if doc["kind"] in {"Deployment", "Job"}:
            for container in _pod_containers(doc):
                for name in _env_names(container):
                    yield label, name
    for service, spec in _compose()["services"].items():
        for name in spec.get("environment", {}):
            yield f"compose:{service}", name
    for name in re.findall(r"^(\w+)=", (DEPLOY / "production.env.example").read_text(), re.M):
        yield "production.env.example", name


def test_every_variable_deploy_sets_is_read_by_something() -> None:
    """A misspelt name is silently ignored by the program: each one must be read by our code,
    by Rasa or Rasa SDK, or by the third-party image it is given to."""
    ours = _read_by_us()
    theirs = "\n".join([*_package_sources(rasa), *_package_sources(rasa_sdk)])
    compose_text = _values(DEPLOY / "compose.yaml")
    unread = set()
    for where, name in _set_variables():
        if name in ours or name in IMAGE_VARIABLES:
            continue
        if not PROJECT_NAME.match(name) and f'"{name}"' in theirs:
            continue
        if where == "production.env.example" and "${" + name in compose_text:
            continue  # compose interpolates it into a value the code reads
        unread.add((where, name))
    assert sorted(unread) == []


def test_one_sanic_worker_per_rasa_container_and_telemetry_off() -> None:
    config = _one("ConfigMap", "closebot-config")["data"]
    assert config["SANIC_WORKERS"] == "1" and config["RASA_TELEMETRY_ENABLED"] == "false"
    for service in ("rasa", "actions"):
        env = _compose()["services"][service]["environment"]
        assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert _compose()["services"]["rasa"]["environment"]["SANIC_WORKERS"] == "1"
    for name in ("rasa.Dockerfile", "actions.Dockerfile"):
        assert _dockerfile(name).envs["RASA_TELEMETRY_ENABLED"] == "false"


# --- compose ------------------------------------------------------------------------------------

def _compose_validator() -> jsonschema.Draft7Validator:
    import json

    return jsonschema.Draft7Validator(json.loads((ROOT / "tests" / "schemas" / "compose-spec.json").read_text()))


def test_compose_matches_the_compose_spec() -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in _compose_validator().iter_errors(_compose())]
    assert errors == []


@pytest.mark.parametrize("breakage", [
    lambda c: c["services"]["rasa"]["depends_on"]["migrate"].update(condition="service_finished"),
    lambda c: c["services"]["actions"].update(enviroment=c["services"]["actions"].pop("environment")),
    lambda c: c["services"]["postgres"]["healthcheck"].update(intreval="5s"),
])
def test_the_compose_check_catches_a_broken_file(breakage: Any) -> None:
    broken = _compose()
    breakage(broken)
    assert list(_compose_validator().iter_errors(broken))


def test_compose_bakes_in_no_credential() -> None:
    """Each credential is ${VAR:?...} (compose stops while it is unset) or, for an optional chat
    channel, ${VAR:-} (empty: the channel is off); never a literal or a non-empty default."""
    text = _values(DEPLOY / "compose.yaml")
    assert not re.findall(r"\$\{[A-Z0-9_]*(?:PASSWORD|TOKEN|SECRET)[A-Z0-9_]*:-[^}]", text)
    for service, spec in _compose()["services"].items():
        for name, value in spec.get("environment", {}).items():
            if SECRET_NAME.search(name):
                assert "${" in str(value), (service, name)
                for reference in re.findall(r"\$\{([^}]*)\}", str(value)):
                    assert re.fullmatch(r"\w+:\?.+|\w+:-", reference), (service, name, reference)


def test_the_env_example_lists_every_variable_compose_interpolates() -> None:
    text = _values(DEPLOY / "compose.yaml")
    interpolated = set(re.findall(r"\$\{(\w+)", text))
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (DEPLOY / "production.env.example").read_text()
    listed = dict(re.findall(r"^(\w+)=(.*)$", example, re.M))
    commented = set(re.findall(r"^#\s*(\w+)=", example, re.M))
    assert required <= set(listed), "a required variable is missing or commented out"
    assert interpolated == set(listed) | commented
    assert {k: v for k, v in listed.items() if SECRET_NAME.search(k) and v} == {}
    assert "deploy/production.env" in (ROOT / ".gitignore").read_text().split("\n")


def test_compose_starts_the_servers_after_the_migration_and_healthy_services() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["closebot", "db", "upgrade"]
    assert "closebot_migrator" in services["migrate"]["environment"]["CLOSEBOT_DATABASE_URL"]
    for server in ("rasa", "actions"):
        assert services[server]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "closebot_migrator" not in yaml.safe_dump(services[server])
    for server, spec in services.items():
        for dependency, how in spec.get("depends_on", {}).items():
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], (server, dependency)
    assert services["rasa"]["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/docker/rasa_ready.py"]
    assert ":5055/health" in " ".join(services["actions"]["healthcheck"]["test"])
    # published on the host's loopback unless told otherwise; the action server not at all
    assert services["rasa"]["ports"] == ["${CLOSEBOT_RASA_PUBLISH:-127.0.0.1:5005}:5005"]
    assert "ports" not in services["actions"]


# --- the images ---------------------------------------------------------------------------------

DOCKERFILES = ["rasa.Dockerfile", "actions.Dockerfile"]


def _exposed(name: str) -> int:
    [port] = _instructions(_dockerfile(name), "EXPOSE")
    return int(port)


def _pip_commands(text: str) -> List[str]:
    """The pip installs of a shell text, with the interpreter and -q/--disable-pip-version-check
    dropped: what is installed and how, the same in a venv and in an image."""
    commands = []
    for line in re.split(r"\n|&&", text.replace("\\\n", " ")):
        words = shlex.split(line.replace('"$VENV/bin/python"', "python"), comments=True)
        if words[:4] == ["python", "-m", "pip", "install"]:
            commands.append(" ".join(w for w in words[4:] if w not in {"-q", "--disable-pip-version-check"}))
    return commands


@pytest.mark.parametrize("name", DOCKERFILES)
def test_the_image_installs_exactly_what_setup_sh_installs(name: str) -> None:
    setup = _pip_commands((ROOT / "scripts" / "setup.sh").read_text())
    assert len(setup) == 4, setup  # pip itself, requirements + constraints, no-deps, the project
    image = _pip_commands("\n".join(_instructions(_dockerfile(name), "RUN")))
    assert image == setup


@pytest.mark.parametrize("name", DOCKERFILES)
def test_the_image_is_pinned_unprivileged_and_checked(name: str) -> None:
    parser = _dockerfile(name)
    assert re.fullmatch(r"python:3\.10\.\d+-slim-\w+", parser.baseimage), parser.baseimage
    assert "latest" not in parser.content
    user = _instructions(parser, "USER")[-1]
    assert user.isdigit() and int(user) != 0  # numeric: Kubernetes' runAsNonRoot can check it
    users = [i for i in parser.structure if i["instruction"] == "USER"]
    assert parser.structure[-1]["startline"] > users[-1]["startline"]
    assert len(_instructions(parser, "HEALTHCHECK")) == 1
    assert _exposed(name) in {5005, 5055}
    assert not [k for k in parser.envs if SECRET_NAME.search(k)]


def test_both_images_start_with_the_same_layers() -> None:
    """Everything before the project's sources is the same in both: one build of the (large)
    dependency layer serves both images."""
    def prefix(name: str) -> List[Tuple[str, str]]:
        steps = [(i["instruction"], i["value"]) for i in _dockerfile(name).structure
                 if i["instruction"] != "COMMENT"]
        return steps[: steps.index(("COPY", ". ."))]

    assert prefix("rasa.Dockerfile") == prefix("actions.Dockerfile")
    assert [step for step, _ in prefix("rasa.Dockerfile")] == ["FROM", "ENV", "WORKDIR", "RUN", "COPY", "RUN"]


def test_the_rasa_image_builds_the_pipeline_and_model_the_server_loads() -> None:
    runs = " ".join(_instructions(_dockerfile("rasa.Dockerfile"), "RUN"))
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    [spacy] = [c for c in config["pipeline"] if c["name"] == "SpacyNLP"]
    assert f"python -m bot.nlp.spacy_pipeline {spacy['model']}" in runs
    assert "rasa train --fixed-model-name closebot --out models" in runs
    entrypoint = (DOCKER / "rasa-entrypoint.sh").read_text()
    assert "-m models/closebot.tar.gz" in entrypoint and "--endpoints endpoints.production.yml" in entrypoint
    [start] = _instructions(_dockerfile("rasa.Dockerfile"), "ENTRYPOINT")
    assert yaml.safe_load(start) == ["deploy/docker/rasa-entrypoint.sh"]
    assert os.access(DOCKER / "rasa-entrypoint.sh", os.X_OK)


def test_the_ports_agree_everywhere() -> None:
    ready = _load_rasa_ready()
    assert _exposed("rasa.Dockerfile") == ready.RASA_PORT == 5005
    assert "--port 5005" in (DOCKER / "rasa-entrypoint.sh").read_text()
    assert _container("closebot-rasa")["ports"][0]["containerPort"] == 5005
    [cmd] = _instructions(_dockerfile("actions.Dockerfile"), "CMD")
    assert yaml.safe_load(cmd)[-2:] == ["--port", str(_exposed("actions.Dockerfile"))]
    assert _container("closebot-actions")["ports"][0]["containerPort"] == _exposed("actions.Dockerfile")
    healthcheck = " ".join(_instructions(_dockerfile("actions.Dockerfile"), "HEALTHCHECK"))
    assert f":{_exposed('actions.Dockerfile')}/health" in healthcheck


def _dockerignored(path: str) -> bool:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for pattern in patterns:
        bare = pattern.rstrip("/").removeprefix("**/")
        if path == bare or path.startswith(bare + "/") or fnmatch(path, bare) or fnmatch(Path(path).name, bare):
            return True
    return False


def test_the_build_context_holds_what_the_images_run_and_no_local_state() -> None:
    needed = ["requirements.txt", "requirements-nodeps.txt", "constraints.txt", "pyproject.toml", "config.yml",
              "domain.yml", "endpoints.production.yml", "credentials.yml", "data/close/nlu.yml",
              "bot/core/config.py", "actions/actions.py", "channels/rest.py", "rasa_components/__init__.py",
              "rasa_sdk_plugins/__init__.py", "deploy/docker/rasa-entrypoint.sh", "deploy/docker/rasa_ready.py"]
    assert [p for p in needed if _dockerignored(p)] == []
    for path in needed:
        assert (ROOT / path).exists() or path == "data/close/nlu.yml", path
    kept_out = [".venv/bin/python", ".git/HEAD", "models/closebot.tar.gz", ".env", "deploy/production.env",
                "closebot.db", "build/spacy/closebot_en", "tests/unit/test_deploy.py"]
    assert [p for p in kept_out if not _dockerignored(p)] == []


# --- the Rasa entrypoint and the readiness check, run ------------------------------------------

def _run_entrypoint(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """The entrypoint with a stand-in `rasa` that prints the arguments it was given."""
    stub = tmp_path / "rasa"
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\necho "SANIC_WORKERS=$SANIC_WORKERS"\n')
    stub.chmod(0o755)
    return subprocess.run(["sh", str(DOCKER / "rasa-entrypoint.sh")], capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{tmp_path}:/usr/bin:/bin", **env})


def test_the_entrypoint_starts_rasa_on_all_interfaces_with_the_api_token(tmp_path: Path) -> None:
    run = _run_entrypoint(tmp_path, CLOSEBOT_RASA_TOKEN="-tok en", CLOSEBOT_ACTION_TOKEN="act")
    assert run.returncode == 0, run.stderr
    args = run.stdout.splitlines()
    assert args[:4] == ["run", "--interface", "0.0.0.0", "--port"] and "--auth-token=-tok en" in args
    assert "--enable-api" in args and args[-1] == "SANIC_WORKERS=1"


@pytest.mark.parametrize("env", [
    {"CLOSEBOT_ACTION_TOKEN": "act"},
    {"CLOSEBOT_RASA_TOKEN": "tok"},
    {"CLOSEBOT_RASA_TOKEN": "CHANGE-ME-rasa-api-token", "CLOSEBOT_ACTION_TOKEN": "act"},
])
def test_the_entrypoint_refuses_a_missing_or_placeholder_token(tmp_path: Path, env: Dict[str, str]) -> None:
    run = _run_entrypoint(tmp_path, **env)
    assert run.returncode == 64 and "error: set CLOSEBOT_" in run.stderr and run.stdout == ""


def _load_rasa_ready() -> Any:
    spec = importlib.util.spec_from_file_location("rasa_ready", DOCKER / "rasa_ready.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_rasa() -> Iterator[str]:
    """A stand-in for Rasa's /status (200 with ?token=good, 401 otherwise) and / (200)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            ok = self.path in {"/", "/status?token=good"}
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readiness_needs_rasa_to_answer_with_the_right_token(fake_rasa: str) -> None:
    ready = _load_rasa_ready()
    assert ready.model_problem(fake_rasa, "good") is None
    assert ready.model_problem(fake_rasa, None) is None  # API off: only the root answers
    assert "401" in ready.model_problem(fake_rasa, "wrong")
    assert "does not answer" in ready.model_problem(f"http://127.0.0.1:{_closed_port()}", "good")


def test_readiness_fails_when_the_tracker_store_is_unreachable() -> None:
    ready = _load_rasa_ready()
    assert ready.tracker_problem({}) is None  # the embedded default: trackers in memory
    env = {"CLOSEBOT_PG_HOST": "127.0.0.1", "CLOSEBOT_PG_PORT": str(_closed_port()),
           "CLOSEBOT_PG_USER": "closebot_tracker", "CLOSEBOT_PG_PASSWORD": "x", "CLOSEBOT_TRACKER_DB": "t"}
    assert "unreachable" in ready.tracker_problem(env)


def test_the_readiness_script_exits_1_with_the_reason() -> None:
    """Run as the probes run it. A token nobody has: whether port 5005 is free or a developer's
    server holds it, the answer is "not ready"."""
    run = subprocess.run([sys.executable, str(DOCKER / "rasa_ready.py")], capture_output=True, text=True,
                         timeout=30, env={"PATH": "/usr/bin:/bin", "CLOSEBOT_RASA_TOKEN": "no-such-token"})
    assert run.returncode == 1 and run.stderr.startswith("not ready: "), run.stderr
