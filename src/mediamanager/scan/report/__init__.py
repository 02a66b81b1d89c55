"""scan/report."""
