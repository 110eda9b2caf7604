"""The volact.kms lab: a simulated Windows fleet for tests and the demo.

``kmslab.model`` is the pure-Python model of the Software Protection Platform and its neighbours
(registry, sppsvc, firewall, events, KMS host and client, DNS publishing). Front ends (WS-Man over
HTTP, BIND, the CLI) sit on top of it and never hold licensing rules of their own.
"""
