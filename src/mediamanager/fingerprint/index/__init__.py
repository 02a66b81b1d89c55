"""fingerprint/index."""
