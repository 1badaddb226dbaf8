"""Cross-cutting HTTP pieces: rendering, access, errors, i18n, sessions, security headers."""
