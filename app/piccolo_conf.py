"""Piccolo's configuration: the engine from settings and the one app."""

from piccolo.conf.apps import AppRegistry

from app.config import get_settings
from app.db import engine_for

DB = engine_for(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["app.piccolo_app"])
