"""The registry: creators register works and preferences; AI builders look them up.

``service.RegistryService`` holds the use cases; ``store`` the SQL schema (Alembic
migrations in ``migrations/``); ``audit`` the hash-chained log; ``verify`` domain
verification; ``bulk`` bulk registration; ``snapshot`` the offline export; and
``client.LocalRegistryClient`` the in-process :class:`~mediamanager.lookup.RegistryClient`.
"""
