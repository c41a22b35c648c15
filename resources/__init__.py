"""Art and desktop files, installed as the package ``stream_inspector_resources``.

Read them through ``importlib.resources`` (``gui.services.resources``), never by a path into the
source tree: an installed copy has no source tree.
"""
