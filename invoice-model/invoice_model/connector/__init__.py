"""Pieces every connector of the project needs the same way: config checks, backoff, OAuth.

Needs the `connector` extra (`invoice-model[connector]`, which brings airbyte-cdk); the record
contract itself does not.
"""
