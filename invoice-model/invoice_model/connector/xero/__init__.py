"""What both Xero connectors share: signing in to one organisation (`access`), the marks
destination-xero leaves on what it writes (`marks`), and how Xero says a rate limit is spent
(`limits`).
"""
