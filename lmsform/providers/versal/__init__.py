"""Versal (Partner API): organisation users with their org role, read-only courses, and who learns
or edits which course (course roles and learner tracking)."""
