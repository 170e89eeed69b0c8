"""Plain functions over arrays (hulls, LPs, exact certificates); no user classes."""
