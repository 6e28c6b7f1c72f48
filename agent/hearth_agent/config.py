"""Configuration from a small INI file, overridden by environment variables."""

from __future__ import annotations

import configparser
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = "/etc/hearth-agent/agent.conf"
DEFAULT_STATE = "/var/lib/hearth-agent"

_DEFAULTS = {
    "url": "",
    "interval": "10",
    "send_interval": "30",
    "timeout": "10",
    "buffer_dir": f"{DEFAULT_STATE}/buffer",
    "buffer_max_bytes": str(50 * 1024 * 1024),
    "credentials": f"{DEFAULT_STATE}/credentials.json",
    "retry_max": "60",
}


class ConfigError(Exception):
    pass


@dataclass
class Config:
    url: str
    interval: float
    send_interval: float
    timeout: float
    buffer_dir: Path
    buffer_max_bytes: int
    credentials: Path
    retry_max: float
    key: str = field(default="", repr=False)
    server: int | None = None


def _raw_values(path: str | None) -> dict[str, str]:
    values = dict(_DEFAULTS)
    path = path or os.environ.get("HEARTH_AGENT_CONFIG") or DEFAULT_CONFIG
    parser = configparser.ConfigParser()
    if parser.read(path) and parser.has_section("agent"):
        values.update({k: v for k, v in parser.items("agent") if k in _DEFAULTS})
    for name in _DEFAULTS:
        env = os.environ.get(f"HEARTH_AGENT_{name.upper()}")
        if env:
            values[name] = env
    return values


def _number(values: dict, name: str, minimum: float) -> float:
    try:
        number = float(values[name])
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {values[name]!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return number


def load(path: str | None = None) -> Config:
    values = _raw_values(path)
    config = Config(
        url=values["url"].rstrip("/"),
        interval=_number(values, "interval", 0.1),
        send_interval=_number(values, "send_interval", 0),
        timeout=_number(values, "timeout", 0.1),
        buffer_dir=Path(values["buffer_dir"]),
        buffer_max_bytes=int(_number(values, "buffer_max_bytes", 1024)),
        credentials=Path(values["credentials"]),
        retry_max=_number(values, "retry_max", 0),
    )
    return config


def read_credentials(config: Config) -> Config:
    try:
        data = json.loads(config.credentials.read_text())
        config.key, config.server = data["key"], int(data["server"])
        config.url = config.url or data["url"].rstrip("/")
    except FileNotFoundError:
        raise ConfigError(
            f"no credentials at {config.credentials}: run `hearth-agent register` first"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(f"{config.credentials} is damaged: register again") from None
    return config


def write_credentials(path: Path, *, url: str, server: int, key: str) -> None:
    """Save the agent key readable by its owner only (mode 0600, set before writing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, json.dumps({"url": url, "server": server, "key": key}).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
