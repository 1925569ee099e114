"""Skilljar: domain users, groups and group membership through Skilljar's v1 API."""
