"""Benchmark suite of artdag L1: `make bench` (or `python -m benchmarks`).

The machine the suite runs on is small, shared and noisy, so every figure is a
ratio to a baseline measured in the same run, next to it in time (interleaved,
median of repeats). The suite brings up its own PostgreSQL database, Redis db
number, data dir, queue, web server and Celery worker, and removes them all at
the end. It writes BENCHMARKS.md and prints the same table; the exit code is 0
when every benchmark ran (whether or not it met its target), 1 if one crashed.

Modules: ``environment`` (the isolated database/broker/data dir), ``processes``
(web server and worker), ``client`` (HTTP), ``images`` (synthetic pictures),
``report`` (table and BENCHMARKS.md), one ``bench_*`` module per figure.
"""
