"""Albumen extends saq by subclassing; this holds the pinned saq (`saq>=0.26,<0.27`) to exactly what
the subclasses override and the internals they touch, so an upgrade that changes any of it fails here
rather than in a running server. A new override must be added below, with the signature it relies on."""

from __future__ import annotations

import inspect

import pytest
import saq
from saq import Queue, Status, Worker
from saq.queue.postgres import PostgresQueue
from saq.queue.redis import ID_PREFIX, RedisQueue

from albumen.jobs.backend import BrokerQueue
from albumen.jobs.postgres_backend import PgQueue
from albumen.jobs.queue import _Worker
from albumen.jobs.redis_backend import RedisBrokerQueue

DEQUEUE = "(self, timeout: 'float' = 0.0, poll_interval: 'float' = 0.0) -> 'Job | None'"
SWEEP = "(self, lock: 'int' = 60, abort: 'float' = 5.0) -> 'list[str]'"
OVERRIDES: dict[type, tuple[type, dict[str, str | None]]] = {
    BrokerQueue: (
        Queue,
        {
            "dequeue": DEQUEUE,
            "finish": "(self, job: 'Job', status: 'Status', *, result: 't.Any' = None, "
            "error: 'str | None' = None, **kwargs: 't.Any') -> 'None'",
        },
    ),
    PgQueue: (
        PostgresQueue,
        {"init_db": "(self) -> 'None'", "_dequeue": "(self) -> 'None'", "sweep": SWEEP},
    ),
    RedisBrokerQueue: (RedisQueue, {"dequeue": DEQUEUE, "sweep": SWEEP}),
    _Worker: (Worker, {"SIGNALS": None, "__init__": None, "stop": "(self) -> 'None'"}),
}


def overridden(ours: type, base: type) -> set[str]:
    saq_names = {name for klass in base.__mro__ if klass is not object for name in vars(klass)}
    return {
        name
        for name in vars(ours)
        if name in saq_names
        and (name == "__init__" or not name.startswith("_") or not name.endswith("_"))
        and name not in {"_abc_impl"}
    }


def test_the_pin() -> None:
    assert saq.__version__.startswith("0.26."), saq.__version__


@pytest.mark.parametrize("ours", list(OVERRIDES), ids=lambda klass: klass.__name__)
def test_exactly_these_saq_methods_are_overridden_with_these_signatures(ours: type) -> None:
    base, expected = OVERRIDES[ours]
    assert overridden(ours, base) == set(expected)
    for name, signature in expected.items():
        if signature is not None:
            assert str(inspect.signature(getattr(base, name))) == signature, name
    # _Worker.__init__ passes keywords through; these are the ones JobQueue gives.
    parameters = inspect.signature(Worker.__init__).parameters
    for keyword in (
        "functions",
        "concurrency",
        "timers",
        "shutdown_grace_period_s",
        "dequeue_timeout",
        "metadata",
    ):
        assert keyword in parameters


def test_the_internals_the_subclasses_touch() -> None:
    source = inspect.getsource(PostgresQueue.__init__) + inspect.getsource(PostgresQueue)
    for attribute in ("self._dequeue_lock", "self._waiting", "self._listener", "def _job_queue"):
        assert attribute in source, attribute
    worker_source = inspect.getsource(Worker)
    assert 'name="process"' in worker_source  # _Worker.stop tells job slots from upkeep loops by name
    assert "self.tasks" in worker_source
    assert "self.event" in worker_source
    assert "def update(self, job: Job, **kwargs: t.Any) -> None:" in inspect.getsource(Queue)


def test_the_redis_layout_the_admin_reads_rely_on() -> None:
    queue = RedisQueue.__new__(RedisQueue)
    queue.name = "thumbnailGeneration"
    assert ID_PREFIX == "saq:job:"
    assert queue.job_id("k:1") == "saq:job:thumbnailGeneration:k:1"
    assert [queue.namespace(n) for n in ("queued", "active", "incomplete")] == [
        "saq:thumbnailGeneration:queued",
        "saq:thumbnailGeneration:active",
        "saq:thumbnailGeneration:incomplete",
    ]
    assert {s.value for s in Status} == {
        "new",
        "queued",
        "active",
        "aborting",
        "aborted",
        "failed",
        "complete",
    }
