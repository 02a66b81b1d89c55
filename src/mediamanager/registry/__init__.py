"""The registry: creators register works and preferences; AI builders look them up.

``uow.UnitOfWork`` holds the engine, settings and the audit-logged write transaction; one class
per use case is built from it: ``accounts.AccountService``, ``works.WorkService``,
``preferences.PreferenceService``, ``disputes.DisputeService``, ``domains.DomainService``
(with domain verification), ``lookup.LookupService`` and ``export.ExportReader``; ``records``
the records they hand out. ``store`` is the SQL schema (Alembic migrations in ``migrations/``);
``audit`` the hash-chained log; ``bulk`` bulk registration; ``snapshot`` the offline export; and
``client.LocalRegistryClient`` the in-process :class:`~mediamanager.lookup.RegistryClient`.
"""
