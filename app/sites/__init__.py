"""Building sites, their areas and who belongs to them."""
