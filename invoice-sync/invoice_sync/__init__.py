"""invoice-sync: the Keap ⇄ Xero sync in one command, a thin layer over PyAirbyte.

It adds only what PyAirbyte does not know: the connection file (accounts, sync mode, start
point, directions), rotated credentials kept in their config files, and the run log.
"""
