"""`ijw serve --workers N`: N worker processes, each listening on a socket of its own.

Why not uvicorn's own `--workers`: its workers share one listening socket, and asyncio accepts
every pending connection at once, so a burst of keep-alive connections (a load balancer's pool,
a provider's client) all land on one worker while the others idle (measured with 8 clients: 2
workers served 0.9-1.0x the JW315 rate of one).  Here every worker binds the port with
SO_REUSEPORT and the kernel spreads new connections over the workers.  The supervisor starts
the workers, replaces one that dies (kill -9 included) and stops them all on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

from app import metrics

log = logging.getLogger("ijw.workers")

QUICK_EXIT = 10.0  # seconds: a worker that fails this soon after its start did not start
MAX_QUICK_EXITS = 3  # in a row: then the workers cannot start (a setting), and we stop


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker runs: the app factory ("module:function") on host:port, with the
    uvicorn options (`http`, the ssl_* settings) of `ijw serve`."""

    app: str
    host: str
    port: int
    options: dict[str, Any] = field(default_factory=dict)


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A TCP socket on host:port that other workers may bind too (SO_REUSEPORT), listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def run_worker(spec: WorkerSpec) -> None:
    """One worker process: its own socket on the shared port, the app built from the
    environment (`spec.app` is called in this process)."""
    config = uvicorn.Config(
        spec.app, factory=True, host=spec.host, port=spec.port, log_config=None, **spec.options
    )
    sock = listening_socket(spec.host, spec.port, config.backlog)
    uvicorn.Server(config).run(sockets=[sock])


def free_to_bind(host: str, port: int) -> str | None:
    """None when the workers can bind host:port, else why not (one line)."""
    try:
        listening_socket(host, port).close()
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def supervise(spec: WorkerSpec, workers: int) -> int:
    """Run `workers` worker processes until SIGTERM or SIGINT; 0 on a clean stop, 1 when the
    workers keep dying at their start."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no state inherited
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(target=run_worker, args=(spec,), name="ijw-worker")
        process.start()
        log.info("worker started", extra={"pid": process.pid})
        return process, time.monotonic()

    running = [start() for _ in range(workers)]
    quick_exits = 0
    status = 0
    while not stop.wait(0.2):
        for i, (process, started) in enumerate(running):
            if process.is_alive():
                continue
            lived = time.monotonic() - started
            log.warning(
                "worker exited; starting another",
                extra={"pid": process.pid, "exitcode": process.exitcode},
            )
            if process.pid is not None:
                metrics.worker_gone(process.pid)
            # An error exit soon after the start (a setting, a certificate) would recur in
            # every new worker; a worker killed by a signal (kill -9, the OOM killer) would not.
            failed = process.exitcode is not None and process.exitcode > 0
            quick_exits = quick_exits + 1 if failed and lived < QUICK_EXIT else 0
            if quick_exits >= MAX_QUICK_EXITS:
                log.error("the workers die at their start: stopping")
                stop.set()
                status = 1
                break
            running[i] = start()
    for process, _ in running:
        if process.is_alive():
            process.terminate()  # uvicorn's graceful shutdown in the worker
    for process, _ in running:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
    return status
