"""Invisible watermarks on generated media: :mod:`.image` (pixels) and the text watermark modules."""
