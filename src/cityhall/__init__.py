"""cityhall: an open-source digital city hall for Japanese municipalities."""
