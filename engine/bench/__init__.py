"""Long-context benchmark: task generators from a seed, exact scorers, runner and report."""
