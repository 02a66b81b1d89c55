"""scan/writers."""
