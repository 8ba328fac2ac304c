"""Vision half of StretchGuard: frames → poses → tracks (model, estimator, tracking, smoothing, roles, drawing)."""
