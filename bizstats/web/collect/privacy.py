"""The collector's privacy rule is the warehouse's: bizstats.privacy (the loader applies it
too). Kept as a name for code that imported it from here."""

from bizstats.privacy import Scrubber

__all__ = ["Scrubber"]
