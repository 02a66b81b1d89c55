"""scan/steps."""
