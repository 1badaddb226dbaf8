"""Crews, subcontractors and the real-name register of workers."""
