"""Vision half of StretchGuard: frames → poses → tracks, and the overlays drawn on frames."""
