"""Test kits shipped with botostub_ec2 (importable by other projects' test suites).

* :mod:`botostub_ec2.testing.conformance`: the suite every state backend must pass.
"""
