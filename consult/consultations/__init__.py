"""Consultation tasks: a published draft version opened to contact points until a deadline."""
