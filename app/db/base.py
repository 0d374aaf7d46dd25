"""Engine, sessions and the declarative base (SQLAlchemy 2.0, typed models).

Writes and reads take different paths:

- `transaction(factory)` is a unit of work that writes.  On PostgreSQL concurrent writers are
  serialised by the row locks they take (`app.exchange.parties.lock`), bounded by
  `lock_timeout`.  SQLite has one writer per database: inside the process writers queue for it
  in arrival order (`WriterQueue`) and across processes SQLite's busy timeout applies; both
  waits are bounded, and a writer that does not get its turn in time raises `Busy` (the API
  answers 503 with Retry-After) instead of failing later with "database is locked".
- `read_session(factory)` only reads: on SQLite a deferred transaction (WAL lets it read while
  a writer works), so polling and back-office reads never wait for a large message.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

DEFAULT_WRITE_WAIT = 10.0  # seconds a writer waits for its turn before it is told to retry
READ_ONLY = "ijw_read_only"  # execution option of read sessions (SQLite: deferred BEGIN)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; constraint names are deterministic for migrations."""

    metadata = MetaData(naming_convention=NAMING)


class Busy(RuntimeError):
    """A write did not get its turn within the bounded wait; retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WriterQueue:
    """The writers of one SQLite database in this process, served one at a time in arrival
    order; a writer waits at most `timeout` seconds for its turn."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait for this writer's turn; False when `timeout` passed first."""
        ticket = object()
        deadline = time.monotonic() + timeout
        with self._cond:
            self._waiting.append(ticket)
            while self._held or self._waiting[0] is not ticket:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()  # the next in line may now be first
                    return False
                self._cond.wait(left)
            self._waiting.popleft()
            self._held = True
            return True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


# One queue per SQLite database file in this process (several engines may open the same file),
# and the bounded wait configured for each engine.
_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()
_write_wait: weakref.WeakKeyDictionary[Engine, tuple[WriterQueue, float]] = (
    weakref.WeakKeyDictionary()
)


def writer_queue(engine: Engine) -> tuple[WriterQueue, float] | None:
    """The writer queue of a SQLite engine and its bounded wait (None for other databases)."""
    return _write_wait.get(engine)


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "another writer holds the lock, try again later":
    SQLite's BUSY/LOCKED, PostgreSQL's lock_timeout, deadlock or serialisation failure."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes)
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate in ("55P03", "40P01", "40001")


def _retry_after(wait: float) -> int:
    return max(1, math.ceil(wait / 2))


def make_engine(url: str, *, write_wait: float = DEFAULT_WRITE_WAIT) -> Engine:
    """An engine for SQLite (file or memory) or PostgreSQL; a writer waits at most about
    `write_wait` seconds for the database (then `Busy`)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The busy timeout bounds the wait for writers of other processes on the same file.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": write_wait}
        )
        key = str(Path(path).resolve()) if path and path != ":memory:" else f"memory:{id(engine)}"
        with _queues_lock:
            queue = _queues.setdefault(key, WriterQueue())
        _write_wait[engine] = (queue, write_wait)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # a DBAPI connection
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # Let the "begin" event below issue BEGIN instead of pysqlite's implicit one.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # A writer takes the write lock at BEGIN so two never interleave read-then-write; a
            # read session reads a snapshot next to the writer (WAL) and takes no lock.
            read_only = conn.get_execution_options().get(READ_ONLY)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # lock_timeout bounds how long a writer waits for another's row locks (then `Busy`).
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"options": f"-c lock_timeout={int(write_wait * 1000)}"},
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (answers are built after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """On SQLite: wait (bounded) for this process's writer queue; elsewhere nothing."""
    found = writer_queue(engine)
    if found is None:
        yield
        return
    queue, wait = found
    if not queue.acquire(wait):
        raise Busy(
            f"the database is busy with other writes (waited {wait:g} s); try again",
            _retry_after(wait),
        )
    try:
        yield
    finally:
        queue.release()


def _engine_of(factory: sessionmaker[Session]) -> Engine:
    bind = factory.kw.get("bind")
    assert isinstance(bind, Engine), "session factories are bound to one engine"
    return bind


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back on any error.  Waits its turn
    (bounded, see the module docstring) and raises `Busy` when it does not get it."""
    engine = _engine_of(factory)
    with _writer_turn(engine):
        try:
            with factory() as session, session.begin():
                yield session
        except DBAPIError as exc:
            if is_busy(exc):
                found = writer_queue(engine)
                wait = found[1] if found else DEFAULT_WRITE_WAIT
                raise Busy(
                    "the database is busy with other writes; try again", _retry_after(wait)
                ) from exc
            raise


@contextmanager
def read_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that only reads (module docstring); closed, never committed."""
    with factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        yield session
