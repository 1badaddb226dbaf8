"""Roster import: a spreadsheet of workers, previewed, then imported in one go."""
