"""Deploy smoke test: build and start Chute the way the Procfile does, then use it over HTTP.

Production settings (DEBUG off, secure cookies, SSL redirect with the router's
X-Forwarded-Proto header), PostgreSQL when the suite runs on it (SQLite otherwise), the
test SeaweedFS with a bucket of its own, `collectstatic` first, gunicorn with
project/gunicorn.py. Nothing here runs inside the test process's Django.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit, urlunsplit

import psycopg
import pytest
import requests

from files.embedded import free_port_pair
from tests.integration.workers import outside_env

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own: PostgreSQL when the suite runs on it, else a SQLite file."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('deploy') / 'db.sqlite3'}"
        return
    name = f"chute_deploy_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def production_env(seaweedfs, database_url, tmp_path_factory) -> dict[str, str]:
    port = free_port_pair()
    env = outside_env()
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "DATABASE_URL": database_url,
            "AWS_STORAGE_BUCKET_NAME": f"deploy-{secrets.token_hex(4)}",
            "AWS_S3_ENDPOINT_URL": seaweedfs.endpoint,
            "AWS_ACCESS_KEY_ID": seaweedfs.access_key,
            "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
            "STATIC_ROOT": str(tmp_path_factory.mktemp("staticfiles")),
            "CHUTE_METRICS_TOKEN": "deploy-metrics-token-0123456789",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def procfile(process: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise AssertionError(f"The Procfile has no {process} process.")


class Browserless(requests.Session):
    """requests as the platform's router would forward it: TLS ended, X-Forwarded-Proto set.

    Secure cookies are sent over the plain-HTTP hop, as a browser sends them over the HTTPS
    it actually uses (requests' own jar would hold them back).
    """

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.headers["X-Forwarded-Proto"] = "https"
        self.headers["Origin"] = base.replace("http://", "https://")

    def request(self, method: str, url: str, *args, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs["allow_redirects"] = False  # redirects are what these tests look at
        if self.cookies:
            cookie = "; ".join(f"{item.name}={item.value}" for item in self.cookies)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Cookie": cookie}
        return super().request(
            method, self.base + url if url.startswith("/") else url, *args, **kwargs
        )

    def csrf(self) -> str:
        return self.cookies["csrftoken"]


@pytest.fixture(scope="module")
def deployment(production_env, tmp_path_factory) -> Iterator[SimpleNamespace]:
    env = production_env
    # The build (the platform runs collectstatic), then the release phase, then an account.
    built = manage(env, "collectstatic", "--noinput")
    assert built.returncode == 0, built.stderr
    release = subprocess.run(
        procfile("release"),
        shell=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert release.returncode == 0, release.stdout + release.stderr
    created = manage(
        {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        "createsuperuser",
        "--noinput",
        "--username",
        "operator",
        "--email",
        "operator@example.com",
    )
    assert created.returncode == 0, created.stderr

    log = tmp_path_factory.mktemp("gunicorn") / "web.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {procfile('web')}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        wait_for(base, process, log)
        yield SimpleNamespace(base=base, env=env, log=log, process=process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for(base: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log.read_text()}")
        try:
            requests.get(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")


def sign_in(deployment) -> Browserless:
    session = Browserless(deployment.base)
    form = session.get("/accounts/login/")
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed_in = session.post(
        "/accounts/login/",
        data={"username": "operator", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302, signed_in.text
    return session


def test_upload_confirm_and_download_over_http(deployment):
    session = sign_in(deployment)
    data = secrets.token_bytes(200_000)

    home = session.get("/")
    assert home.status_code == 200
    assert "Choose files" in home.text

    issued = session.post(
        "/api/uploads",
        json={"name": "smoke.bin", "size": len(data), "content_type": "application/octet-stream"},
        headers={"X-CSRFToken": session.csrf()},
    )
    assert issued.status_code == 201, issued.text
    post = issued.json()["post"]
    stored = requests.post(
        post["url"], data=post["fields"], files={"file": ("f", data)}, timeout=30
    )
    assert stored.status_code == 201, stored.text

    confirmed = session.post(
        f"/api/uploads/{issued.json()['id']}/confirm", headers={"X-CSRFToken": session.csrf()}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "ready"

    download = session.get(f"/files/{issued.json()['id']}/download")
    assert download.status_code == 302
    fetched = requests.get(download.headers["Location"], timeout=30)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).digest() == hashlib.sha256(data).digest()
    assert fetched.headers["Content-Disposition"].startswith("attachment")


def test_pages_carry_production_security_headers(deployment):
    session = sign_in(deployment)
    home = session.get("/")

    policy = home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert f"connect-src 'self' {deployment.env['AWS_S3_ENDPOINT_URL']}" in policy
    assert "max-age=" in home.headers["Strict-Transport-Security"]
    assert home.headers["X-Frame-Options"] == "DENY"
    assert "unsafe-inline" not in policy


def test_plain_http_is_redirected_to_https(deployment):
    response = requests.get(f"{deployment.base}/", allow_redirects=False, timeout=30)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_static_files_are_served_hashed_and_cacheable(deployment):
    session = sign_in(deployment)
    home = session.get("/")
    stylesheet = re.search(r'href="(/static/css/chute\.[0-9a-f]{12}\.css)"', home.text)
    assert stylesheet, home.text[:500]
    script = re.search(r'src="(/static/files/pages/uploader\.[0-9a-f]{12}\.js)"', home.text)
    assert script, home.text[-800:]
    # The entry module imports its modules by their hashed names, and those are served.
    entry = session.get(script.group(1))
    assert entry.status_code == 200
    imported = re.findall(r'from\s+"(\.\.?/[a-z/-]+\.[0-9a-f]{12}\.js)"', entry.text)
    assert any(name.startswith("../uploader/") for name in imported), imported
    assert all(session.get(urljoin(script.group(1), name)).status_code == 200 for name in imported)

    css = session.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert "immutable" in css.headers["Cache-Control"]
    # Brotli (pinned) makes whitenoise write .br files, smaller than .gz, for browsers asking.
    brotli = session.get(stylesheet.group(1), headers={"Accept-Encoding": "br, gzip"})
    assert brotli.headers["Content-Encoding"] == "br"
    assert brotli.text == css.text


def test_healthz_reports_database_and_bucket(deployment):
    response = requests.get(
        f"{deployment.base}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=30
    )
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "bucket": "ok"}


def test_metrics_sum_every_gunicorn_worker(deployment):
    session = sign_in(deployment)
    token = {"Authorization": f"Bearer {deployment.env['CHUTE_METRICS_TOKEN']}"}

    def started() -> float:
        scraped = session.get("/metrics", headers=token)
        assert scraped.status_code == 200, scraped.text
        found = re.search(r"^chute_uploads_started_total (\S+)$", scraped.text, re.M)
        return float(found.group(1)) if found else 0.0

    before = started()
    for _ in range(4):  # spread over both workers
        issued = session.post(
            "/api/uploads",
            json={"name": "m.bin", "size": 10, "content_type": "application/octet-stream"},
            headers={"X-CSRFToken": session.csrf()},
        )
        assert issued.status_code == 201
    assert {started() - before for _ in range(4)} == {4.0}  # whichever worker answers
    assert session.get("/metrics").status_code == 401


def test_platform_probes_reach_healthz_over_plain_http_with_an_internal_host(deployment):
    # No X-Forwarded-Proto (the probe is not HTTPS) and a Host outside ALLOWED_HOSTS.
    response = requests.get(
        f"{deployment.base}/healthz", headers={"Host": "10.1.2.3:5000"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"
    assert "no-store" in response.headers["Cache-Control"]


def test_access_log_has_one_line_per_request_and_no_secrets(deployment):
    session = sign_in(deployment)
    session.get("/?page=2&X-Amz-Signature=leak")
    session.get("/s/not-a-real-share-token-abcdef")
    routed = session.get(
        "/accounts/login/",
        headers={"X-Request-ID": "router-req-0001", "X-Forwarded-For": "6.6.6.6, 203.0.113.50"},
    )
    assert routed.headers["X-Request-ID"] == "router-req-0001"
    time.sleep(0.5)  # let the workers flush

    log = deployment.log.read_text()
    timestamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO chute\.access: "
    assert re.search(timestamp + r"GET /accounts/login/ 200 \d+ms id=[0-9a-f]{32} client=", log)
    assert re.search(timestamp + r"POST /accounts/login/ 302 \d+ms id=", log)
    assert re.search(
        r"GET /accounts/login/ 200 \d+ms id=router-req-0001 client=203\.0\.113\.50", log
    )
    assert re.search(r"GET /s/\[redacted\] 404 \d+ms", log)
    assert "X-Amz-Signature" not in log
    assert "page=2" not in log
    assert "not-a-real-share-token-abcdef" not in log
    assert "Not Found" not in log  # Django's own 4xx lines are not a second line
    assert "AXES" not in log  # nor django-axes' banner and per-sign-in lines


def test_deploy_check_passes_with_production_settings(deployment):
    result = manage(deployment.env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_settings(production_env):
    for missing in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "AWS_STORAGE_BUCKET_NAME"):
        env = {key: value for key, value in production_env.items() if key != missing}
        result = manage(env, "check")
        assert result.returncode != 0
        assert f"Set the {missing} environment variable" in result.stderr, shlex.quote(missing)


def deploy_check(deployment, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bin/deploy-check", "--url", deployment.base, "--direct", *args],
        cwd=ROOT,
        env={**deployment.env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=180,
    )


def api_token(deployment) -> str:
    session = sign_in(deployment)
    made = session.post(
        "/api/tokens", json={"name": "deploy check"}, headers={"X-CSRFToken": session.csrf()}
    )
    assert made.status_code == 201, made.text
    return made.json()["token"]


def test_deploy_check_walks_the_whole_service_one_line_per_step(deployment):
    result = deploy_check(deployment, "--token", api_token(deployment))

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    steps = [line.split(":", 1)[0] for line in lines[:-1]]
    assert steps == [
        "ok   settings",
        "ok   migrations",
        "ok   bucket",
        "ok   health",
        "ok   upload",
        "ok   confirm",
        "ok   download",
        "ok   share",
        "ok   clean up",
    ]
    assert "65536 bytes, identical" in lines[6]
    assert lines[-1].startswith("The deployment works")


def test_deploy_check_stops_at_the_first_failure_with_a_sentence(deployment):
    result = deploy_check(deployment, "--token", "chute_" + "x" * 43)

    assert result.returncode == 1
    assert (
        result.stdout.strip()
        .splitlines()[-1]
        .startswith("FAIL upload: Starting an upload answered 401: ")
    )
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("CommandError: The deployment failed its upload check")
