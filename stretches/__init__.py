"""Stretch half of StretchGuard: catalog, checks, holds, thresholds and evaluation over tracks."""
