"""Training Records API (Weekly10-style): training records of people against packages."""
