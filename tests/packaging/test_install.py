"""`pip install .` (not editable) in a fresh virtual environment gives a working service: the
schemas, code lists and migrations are package data, and `ijw` works from any directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

from testkit.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def _tracked_copy(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


@pytest.mark.slow
def test_a_plain_install_migrates_validates_and_serves(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to know which files ship")
    source = tmp_path / "source"
    _tracked_copy(source)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    pip = [
        str(bin_dir / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    subprocess.run([*pip, "-c", str(source / "requirements.lock"), str(source)], check=True)
    shutil.rmtree(source)  # the installed package must not need the checkout

    work = tmp_path / "elsewhere"
    work.mkdir()
    ijw = str(bin_dir / "ijw")
    url = f"sqlite:///{work / 'x.sqlite'}"

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([ijw, *args], cwd=work, capture_output=True, timeout=120)

    assert run("--version").stdout.startswith(b"ijw ")
    assert run("db", "upgrade", "--database-url", url).returncode == 0
    example = run("example", "JW315")
    assert example.returncode == 0, example.stderr
    (work / "vot.xml").write_bytes(example.stdout)
    checked = run("validate", "vot.xml")
    assert checked.returncode == 0 and b"JW315 ok" in checked.stdout, checked.stderr

    port = free_port()
    server = subprocess.Popen(
        [ijw, "serve", "--port", str(port), "--database-url", url],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr
            time.sleep(0.2)
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        assert docs.status_code == 200 and "/static-offline-docs/" in docs.text
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert sys.prefix != str(env_dir)
