"""Resources come from the package through importlib.resources; a missing one is an error
(strict: an exception, for the install test), never a silent fallback."""

from __future__ import annotations

import pytest

from gui.services import resources


def test_resources_are_read_from_the_package(qapp: object) -> None:
    assert resources.stylesheet().strip()
    file = resources.path("icons/stream-inspector.svg")
    assert file is not None and file.read_bytes().startswith(b"<")
    assert not resources.icon("send").isNull()


def test_a_missing_resource_is_logged_as_an_error(qapp: object, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(resources.STRICT_ENV, raising=False)
    assert resources.stylesheet("no-such-style") == ""
    assert resources.icon("no-such-icon").isNull()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        "resource 'no-such-style.qss' not found in package stream_inspector_resources",
        "resource 'icons/no-such-icon.svg' not found in package stream_inspector_resources"]


def test_a_missing_resource_raises_in_strict_mode(qapp: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(resources.STRICT_ENV, "1")
    with pytest.raises(resources.MissingResource, match="no-such-style.qss"):
        resources.stylesheet("no-such-style")
    with pytest.raises(resources.MissingResource, match="strict-missing.svg"):
        resources.icon("strict-missing")
    monkeypatch.setattr(resources, "PACKAGE", "no_such_resources_package")
    with pytest.raises(resources.MissingResource, match="no_such_resources_package"):
        resources.read_bytes("style.qss")
