"""Textual widgets the tests read that Textual does not export by name (the footer's keys and
labels, a notification's toast), found by their CSS type names instead of a private import."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.command import CommandList


def footer_keys(app: App[Any]) -> list[Any]:
    """The footer's keys (each has `key_display`, `description` and a `region`)."""
    return list(app.query("Footer FooterKey"))


def footer_labels(app: App[Any]) -> list[Any]:
    """The labels the footer shows over a group of keys."""
    return list(app.query("Footer FooterLabel"))


def toasts(app: App[Any]) -> list[Any]:
    """The notifications shown on screen."""
    return list(app.query("Toast"))


def palette_prompts(app: App[Any]) -> list[str]:
    """The command palette's options as shown."""
    return [str(option.prompt) for option in app.screen.query_one(CommandList).options]


def record_notifications(app: App[Any], monkeypatch: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every `app.notify(message, **options)` from now on, as (message, options); each is still
    shown."""
    notes: list[tuple[str, dict[str, Any]]] = []
    original = app.notify

    def notify(message: str, **options: Any) -> None:
        notes.append((message, options))
        original(message, **options)

    monkeypatch.setattr(app, "notify", notify)
    return notes
