"""Keap REST v2 as both Keap connectors speak it: signing in (`auth`), what Keap's answers mean
(`errors`), its rate-limit headers (`throttle`), pacing and JSON envelopes (`http`), and the order
custom field that marks what destination-keap wrote (`sync_marker`).
"""
