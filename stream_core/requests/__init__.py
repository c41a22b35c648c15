"""Requests as people author and bring them: ``.http`` files (read and edited in place),
environments and ``{{variables}}``, auth, and import from curl, HAR, Postman and OpenAPI.
May import ``analysis``, ``net``, ``decode`` and ``records``; never ``capture``."""
