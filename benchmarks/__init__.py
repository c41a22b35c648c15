"""``make bench``: Stream Inspector measured side by side with curl, HTTPie, httpx and httpx-sse.

Run ``python -m benchmarks`` (``--quick`` for a one-minute smoke run). Every scenario runs its
contenders in fresh processes against one embedded demo server started in a process of its own
(so the server's CPU never shares a GIL with the client), alternating A/B/... per round, and
reports medians, ratios and CPU seconds per process. See ``benchmarks/README.md``.
"""
