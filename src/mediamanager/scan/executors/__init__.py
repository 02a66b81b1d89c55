"""scan/executors."""
