"""The stores' parts without I/O, shared by both client trees: store URLs and drivers
(``urls``), the SQLite file (``sqlite``), the payment journal's records and decisions
(``journal``), and the token cache's entry names and sealing (``token_cache``).

The I/O halves are ``_async/stores/`` (hand-written) and ``_sync/stores/`` (generated);
``qbank_connect.journal`` and ``qbank_connect.token_cache`` are the public faces.
"""
