"""Surveys: templates, versions, invitations, answers (online, by phone, imported), closing the
loop on a bad answer, and the results computed with manyi.metrics."""
