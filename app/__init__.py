"""Fieldpost (工地驿站): a mobile-first portal for construction field teams."""

import os

# Piccolo's own tools find the engine through this module.
os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")
