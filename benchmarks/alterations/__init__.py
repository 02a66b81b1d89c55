"""Reusable, seeded alteration suites for matching benchmarks and recall tests (one module per media)."""
