"""gunicorn's settings for Parvis, read from the working directory (`gunicorn parvis.wsgi:application`, or
`-c /path/to/gunicorn.conf.py` from elsewhere). Command-line options win over these."""

import multiprocessing
import os

# Synchronous workers: a request keeps its worker while it waits on PostgreSQL, so two per core keep the
# processor busy (the on-sale benchmark runs 4 on 2 cores). gunicorn alone would start a single worker.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
# Room for the connections of an on-sale rush while every worker is busy.
backlog = 512
# A sale that cannot finish in 30 s is stuck: the worker is replaced (its transaction rolls back).
timeout = 30
graceful_timeout = 30


def post_worker_init(worker):
    """Parvis is loaded (with its URLs and views, which Django imports on the first request otherwise): what
    it holds lives as long as the worker. Frozen out of the garbage collector's reach, it is no longer walked
    by each full collection, which paused a worker for about 100 ms every few thousand requests."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every app's views)
    gc.collect()
    gc.freeze()
