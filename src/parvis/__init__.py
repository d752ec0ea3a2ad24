"""Parvis: ticketing and audience relations for cultural venues and their networks."""
