"""The run panel and History: every step, cell and sub-query, live or replayed."""
