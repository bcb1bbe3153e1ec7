"""How many callers a stampede test sends at once: tasks for the async client, threads for the sync.

``tests/_async`` names :class:`AsyncCrowd`; ``scripts/unasync.py`` turns that into :class:`Crowd`
in the generated ``tests/_sync`` twin, so each client gets a crowd it can really run at once
(1,000 tasks on one event loop; 64 threads)."""

from __future__ import annotations


class AsyncCrowd:
    size = 1000


class Crowd:
    size = 64
