"""Each role's home (the to-do list) and the shell pages around every screen."""
