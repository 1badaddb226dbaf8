"""People who sign in: staff with passwords, workers with PINs."""
