"""The operators' real parts on loopback, for the backup and proxy tests and for
`make backup-drill`: moto's S3 server, the service under Litestream as the systemd unit
runs it, and a reader of the files Litestream writes to a replica."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import lz4.block
import pytest

from ..support import ROOT, Service, free_port, wait_until

BIN = Path(sys.executable).parent
LITESTREAM_YML = ROOT / "deploy" / "litestream.yml"
BUCKET = "forms-backups"
SYNC_SECONDS = 1.0
MONITOR_SECONDS = 0.1
"""deploy/litestream.yml's sync and monitor intervals: a commit is on the replica at most
their sum (plus one upload) after it was made."""
UPLOAD_SECONDS = 0.3
"""What the tests allow that one upload to moto on loopback: seen from 10 to 100 ms, more
on a machine shared with other jobs, where Litestream may also wait for a core."""


def without_ca_bundle(env: dict[str, str]) -> dict[str, str]:
    """Litestream 0.5.17 refuses a custom S3 endpoint when AWS_CA_BUNDLE is set ("unable
    to add custom RootCAs"), and this machine sets it: no TLS is used on loopback."""
    return {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}


def _answering(proc: subprocess.Popen[bytes] | None, url: str, log_path: Path) -> bool:
    """Whether a server started for a test answers HTTP yet; its log, if it has exited."""
    assert proc is not None
    if proc.poll() is not None:
        raise AssertionError(f"{proc.args[0]} exited:\n{log_path.read_text()}")
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.HTTPError:
        return False


class MotoS3:
    """moto's S3 server (`moto_server`, from PyPI) on a loopback port, with one bucket."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"moto-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> MotoS3:
        self.proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            env=without_ca_bundle(dict(os.environ)),
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _answering(self.proc, self.endpoint, self.log_path), 30, "moto")
        httpx.put(f"{self.endpoint}/{BUCKET}", timeout=5).raise_for_status()
        return self

    def replica_url(self, path: str) -> str:
        return f"s3://{BUCKET}/{path}?endpoint={self.endpoint}&region=us-east-1"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def replicate_argv(config: Path) -> list[str]:
    """The systemd unit's command line with this checkout's paths (tests/unit/test_deploy.py
    holds the two together)."""
    serve = f"{BIN / 'forms-service'} serve"
    return [str(BIN / "litestream"), "replicate", "-config", str(config), "-exec", serve]


class ReplicatedService(Service):
    """The service as the systemd unit runs it: `litestream replicate -config
    deploy/litestream.yml -exec "forms-service serve"`, in a process group of its own."""

    own_group = True

    def __init__(
        self,
        workdir: Path,
        site_dir: Path,
        replica_url: str,
        config: Path = LITESTREAM_YML,
        **env: str,
    ) -> None:
        super().__init__(
            workdir,
            site_dir,
            None,
            ("serve",),
            FORMS_LITESTREAM_CONFIG=str(config),
            LITESTREAM_REPLICA_URL=replica_url,
            LITESTREAM_SSE_CUSTOMER_KEY="",
            AWS_ACCESS_KEY_ID="moto",
            AWS_SECRET_ACCESS_KEY="moto",  # moto takes any
            **env,
        )
        self.env = without_ca_bundle(self.env)
        self.config = config

    def argv(self) -> list[str]:
        return replicate_argv(self.config)

    def operator(self, *args: str) -> subprocess.CompletedProcess[str]:
        """An operator's `forms-service` command, with the service's settings."""
        env = {k: v for k, v in self.env.items() if k != "FORMS_PORT"}
        return subprocess.run(
            [str(BIN / "forms-service"), *args],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def ltx_pages(path: Path) -> Iterator[bytes]:
    """Every page an LTX file holds, uncompressed: its 100-byte header gives the page
    size, then each page is a 6-byte header (page number, flags), with flag 1 a 4-byte
    size and an LZ4 block (superfly/ltx v0.5), until a page number 0."""
    data = path.read_bytes()
    (page_size,) = struct.unpack_from(">I", data, 8)
    at = 100
    while at + 6 <= len(data):
        pgno, flags = struct.unpack_from(">IH", data, at)
        at += 6
        if pgno == 0:
            return
        if not flags & 1:
            yield data[at : at + page_size]
            at += page_size
            continue
        (size,) = struct.unpack_from(">I", data, at)
        yield lz4.block.decompress(data[at + 4 : at + 4 + size], uncompressed_size=page_size)
        at += 4 + size


def files_holding(folder: Path, needle: bytes) -> list[Path]:
    """The files under a file:// replica that hold `needle`, read as Litestream wrote
    them (every page of every LTX file uncompressed) and as plain bytes for any other."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".ltx":
            held = any(needle in page for page in ltx_pages(path))
        else:
            held = needle in path.read_bytes()
        if held:
            found.append(path)
    return found


CADDYFILE = ROOT / "deploy" / "Caddyfile"


def require_caddy() -> None:
    """Skip where Debian's caddy is missing, except in CI, where that is a failure."""
    if shutil.which("caddy"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("caddy is missing; `make test` installs it as root")
    pytest.skip("caddy is not installed (run `make test` as root to install it)")


class Caddy:
    """Debian's caddy with deploy/Caddyfile on a loopback port, the service's name given
    as http:// (no certificate on loopback), its admin API off, its header timeout
    `header_timeout` so that a test need not wait the deployed 10 s."""

    def __init__(self, workdir: Path, name: str, service_port: int, header_timeout: str) -> None:
        self.port = free_port()
        self.name = name
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"caddy-{self.port}.log"
        self.env = {
            **os.environ,
            "HOME": str(workdir),
            "XDG_DATA_HOME": str(workdir / "caddy-data"),
            "XDG_CONFIG_HOME": str(workdir / "caddy-config"),
            "FORMS_SERVICE_NAME": f"http://{name}:{self.port}",
            "FORMS_PORT": str(service_port),
            "CADDY_ADMIN": "off",
            "CADDY_BIND": "127.0.0.1",
            "CADDY_HEADER_TIMEOUT": header_timeout,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Caddy:
        self.proc = subprocess.Popen(
            ["caddy", "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=self.env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _answering(self.proc, self.url, self.log_path), 20, "caddy")
        return self

    def client(self, source: str, name: str | None = None) -> httpx.Client:
        """A client connecting from `source` (any 127.x.y.z is this machine), asking for
        `name` (the service's own by default)."""
        return httpx.Client(
            base_url=self.url,
            headers={"Host": name or self.name},
            transport=httpx.HTTPTransport(local_address=source),
            timeout=10,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
