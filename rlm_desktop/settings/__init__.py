"""Settings and the first-run guide: models, keys, limits, prices, safety."""
