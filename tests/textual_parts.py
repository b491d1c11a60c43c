"""Textual widgets the tests read that Textual does not export by name (the footer's keys and
labels, a notification's toast), found by their CSS type names instead of a private import."""

from __future__ import annotations

from typing import Any

from textual.app import App


def footer_keys(app: App[Any]) -> list[Any]:
    """The footer's keys (each has `key_display`, `description` and a `region`)."""
    return list(app.query("Footer FooterKey"))


def footer_labels(app: App[Any]) -> list[Any]:
    """The labels the footer shows over a group of keys."""
    return list(app.query("Footer FooterLabel"))


def toasts(app: App[Any]) -> list[Any]:
    """The notifications shown on screen."""
    return list(app.query("Toast"))
