"""Qt-free streaming engine: request specs, httpx streaming, decoders, downloads, capture CLI."""
