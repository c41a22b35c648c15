"""The top floor: the `stream-inspector` entry point, launch order, the app's lifetime, demos
and screenshots. May import every other floor of ``gui`` and the engine; nothing imports it."""
