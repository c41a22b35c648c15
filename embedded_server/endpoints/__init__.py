"""Endpoint routers of the demo server, one module per OpenAPI tag."""
