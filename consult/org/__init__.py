"""Legislatures, contact points, units, users, roles and API tokens."""
