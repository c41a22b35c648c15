"""The main window and what it composes: endpoint picker, request editor, capture actions
(save/open, export, compare/replay). May import ``gui.views``, ``gui.stream``, ``gui.services``
and the engine; never ``gui.app``."""
