"""scan/readers."""
