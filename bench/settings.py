"""The panel's settings, with the chart baseline view mounted next to the panel's URLs."""

from panel.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
