"""PySide6 + qasync front end: the only package that imports Qt."""
