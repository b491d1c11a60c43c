"""The command line: one-line errors with exit 2, help and version, layered settings."""

import subprocess
import sys

import pytest

from hedgeflow_tui import __version__
from hedgeflow_tui.cli.main import parse_settings
from hedgeflow_tui.config.settings import ConfigError, layered, load_file
from hedgeflow_tui.engine.sources import open_source


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.parametrize(
    "args, names",
    [
        (["SPY", "--bar", "2m"], "30s"),
        (["SPY", "--minutes", "0"], "1 to 390"),
        (["SPY", "--minutes", "391"], "1 to 390"),
        (["S P Y"], "1-10 letters"),
        (["SPYSPYSPYSPY"], "1-10 letters"),
        (["SPY", "--base-url", "http://example.com"], "only to 127.0.0.1"),
        (["SPY", "--base-url", "ftp://127.0.0.1"], "http(s) URL"),
        (["SPY", "--speed", "-3"], "positive"),
        (["SPY", "--start", "25:00"], "HH:MM"),
        (["SPY", "--date", "tomorrow", "--headless"], "YYYY-MM-DD"),
        (["SPY", "--no-such-flag"], "unrecognized"),
        (["SPY", "--window", "2h"], "cumulative, 5m, 15m, 30m, 1h"),
        (["SPY", "--bar", "15m", "--window", "5m"], "window 5m is not longer than the 15m bar"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, names):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hedgeflow-tui: error:")
    assert names in lines[0]
    assert "Traceback" not in result.stderr


def test_help_documents_every_flag_and_version_prints():
    help_text = run_cli("--help").stdout
    for flag in (
        "--bar",
        "--minutes",
        "--headless",
        "--demo",
        "--speed",
        "--seed",
        "--start",
        "--date",
        "--base-url",
        "--sensitivity",
        "--bell",
        "--alert-cmd",
        "--theme",
        "--timeout",
        "--record",
        "--replay",
        "--export",
        "--version",
    ):
        assert flag in help_text
    assert run_cli("--version").stdout.strip() == f"hedgeflow-tui {__version__}"


def test_symbols_are_upper_cased_and_deduplicated(monkeypatch, tmp_path):
    monkeypatch.setenv("HEDGEFLOW_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("FLASHALPHA_API_KEY", raising=False)
    settings = parse_settings(["spy", "qqq", "SPY", "^spx"])
    assert settings.symbols == ["SPY", "QQQ", "^SPX"]


def test_flags_override_env_which_overrides_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        'api_key = "from-file"\nbar = "5m"\nsensitivity = "high"\ntheme = "colorblind"\n'
    )
    from_file = load_file(path)
    settings = layered({"bar": None}, environ={}, file_values=from_file)
    assert (settings.api_key, settings.bar, settings.sensitivity) == ("from-file", "5m", "high")
    settings = layered(
        {"bar": "30s"}, environ={"FLASHALPHA_API_KEY": "from-env"}, file_values=from_file
    )
    assert (settings.api_key, settings.bar, settings.theme) == ("from-env", "30s", "colorblind")
    assert "from-env" not in repr(settings)


@pytest.mark.parametrize(
    "line, key, says",
    [
        ('bar = "2m"', "bar", "one of 30s, 1m, 5m, 15m"),
        ("minutes = 5000", "minutes", "from 1 to 390"),
        ("sensitivity = 5", "sensitivity", "one of low, normal, high"),
        ('sensitivity = "loud"', "sensitivity", "one of low, normal, high"),
        ("timeout = 0", "timeout", "positive"),
        ('theme = "pink"', "theme", "one of default, colorblind"),
        ("bell = 1", "bell", "true or false"),
        ('base_url = "http://example.com"', "base_url", "only to 127.0.0.1"),
        ("colour = 'red'", "colour", "unknown key"),
        ("minutes = ", "cannot read", "cannot read"),
    ],
)
def test_a_bad_config_file_value_is_one_line_naming_file_and_key_and_exit_2(
    tmp_path, line, key, says
):
    path = tmp_path / "config.toml"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError, match=key):
        load_file(path)
    result = run_cli("SPY", "--headless", env={"HEDGEFLOW_CONFIG": str(path), "PATH": "/bin"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"hedgeflow-tui: error: config file {path}: ")
    assert key in lines[0] and says in lines[0]


def test_flags_and_the_config_file_refuse_with_the_same_words(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("minutes = 5000\n")
    from_file = run_cli("SPY", env={"HEDGEFLOW_CONFIG": str(path), "PATH": "/bin"}).stderr
    from_flag = run_cli("SPY", "--minutes", "5000").stderr
    words = "minutes must be a whole number from 1 to 390, got"
    assert f": {words} 5000" in from_file and f"error: --{words} '5000'" in from_flag


def test_a_bad_key_in_the_environment_is_refused_without_echoing_it():
    env = {"FLASHALPHA_API_KEY": "secret with spaces", "PATH": "/bin"}
    result = run_cli("SPY", "--headless", env=env)
    assert result.returncode == 2 and "FLASHALPHA_API_KEY must be" in result.stderr
    assert "secret" not in result.stderr


def test_source_choice_follows_key_base_url_and_demo():
    assert open_source(layered({}, environ={}, file_values={})).kind == "SIMULATED"
    live = open_source(layered({}, environ={"FLASHALPHA_API_KEY": "k"}, file_values={}))
    assert live.kind == "LIVE" and "k" not in live.description
    demo = open_source(layered({"demo": True}, environ={"FLASHALPHA_API_KEY": "k"}, file_values={}))
    assert demo.kind == "SIMULATED"
    remote = open_source(
        layered({"base_url": "http://127.0.0.1:8787/"}, environ={}, file_values={})
    )
    assert remote.kind == "REMOTE" and remote.description == "server 127.0.0.1:8787"
    with pytest.raises(ConfigError, match="only to the built-in simulator"):
        open_source(layered({"seed": 3}, environ={"FLASHALPHA_API_KEY": "k"}, file_values={}))
