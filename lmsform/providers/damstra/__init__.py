"""Damstra Learning (formerly Velpic): users with roles, groups with members and supervisors,
lessons (read-only) and lesson schedules, through the Public REST API v2."""
