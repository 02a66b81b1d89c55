"""provenance/watermark."""
